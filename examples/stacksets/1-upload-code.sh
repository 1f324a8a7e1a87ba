#!/usr/bin/env bash
# Uploads a release's Lambda zips to a code bucket in every provider region. Run as the DNS account,
# from the repository root, after scripts/release (or after unpacking a downloaded release into
# RELEASE_DIR, dist/<version>/ by default).
#
# Lambda reads code only from a bucket in its own region, so each region has its bucket
# <CODE_BUCKET_PREFIX>-<region>; cfn/provider.yaml derives that name from CodeS3BucketPrefix and its
# region, so one set of StackSet parameters serves every region. A bucket is created when missing:
# S3 Versioning on (an overwritten or deleted zip can be restored), all public access blocked, and
# a policy refusing requests without TLS. Each zip goes to
#   subdomain-delegation/<version>/subdomain-delegation-<version>-<arch>.zip
# the key the provider template builds from CodeVersion and Architecture. S3 checks the upload
# against the zip's SHA-256 (from SHA256SUMS, verified first); a key that already holds another
# object is refused, never overwritten: a release is immutable.
set -euo pipefail
. "$(dirname "$0")/env.sh"

[ -f "$RELEASE_DIR/SHA256SUMS" ] || {
  echo "no release in $RELEASE_DIR: run scripts/release (or set RELEASE_DIR / CODE_VERSION)" >&2
  exit 1
}
(cd "$RELEASE_DIR" && sha256sum -c --quiet SHA256SUMS) || { echo "$RELEASE_DIR does not match its SHA256SUMS" >&2; exit 1; }
shopt -s nullglob
zips=("$RELEASE_DIR"/subdomain-delegation-"$CODE_VERSION"-*.zip)
[ "${#zips[@]}" -gt 0 ] || { echo "no subdomain-delegation-$CODE_VERSION-<arch>.zip in $RELEASE_DIR" >&2; exit 1; }
[ -f "$RELEASE_DIR/subdomain-delegation-$CODE_VERSION-$ARCHITECTURE.zip" ] ||
  echo "warning: the release has no $ARCHITECTURE zip, which ARCHITECTURE=$ARCHITECTURE needs" >&2

# The SHA-256 of a file as S3 takes it (base64 of the digest).
sha256_b64() { python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1], "rb").read()).digest()).decode())' "$1"; }

for region in $PROVIDER_REGIONS; do
  bucket="${CODE_BUCKET_PREFIX}-${region}"
  case "$region" in cn-*) partition=aws-cn ;; us-gov-*) partition=aws-us-gov ;; *) partition=aws ;; esac
  if ! aws s3api head-bucket --bucket "$bucket" --region "$region" 2>/dev/null; then
    echo "creating s3://$bucket in $region"
    if [ "$region" = us-east-1 ]; then
      aws s3api create-bucket --bucket "$bucket" --region "$region"
    else
      aws s3api create-bucket --bucket "$bucket" --region "$region" \
        --create-bucket-configuration "LocationConstraint=$region"
    fi
    aws s3api put-public-access-block --bucket "$bucket" --region "$region" \
      --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
    aws s3api put-bucket-policy --bucket "$bucket" --region "$region" --policy "$(printf '%s' \
      '{"Version":"2012-10-17","Statement":[{"Sid":"TlsOnly","Effect":"Deny","Principal":"*","Action":"s3:*",' \
      "\"Resource\":[\"arn:$partition:s3:::$bucket\",\"arn:$partition:s3:::$bucket/*\"]," \
      '"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}')"
  fi
  # Also on an existing bucket: versioning is what makes an object restorable.
  aws s3api put-bucket-versioning --bucket "$bucket" --region "$region" --versioning-configuration Status=Enabled
  for zip in "${zips[@]}"; do
    key="subdomain-delegation/${CODE_VERSION}/$(basename "$zip")"
    sum="$(sha256_b64 "$zip")"
    existing="$(aws s3api head-object --bucket "$bucket" --key "$key" --region "$region" --checksum-mode ENABLED \
      --query ChecksumSHA256 --output text 2>/dev/null || true)"
    if [ "$existing" = "$sum" ]; then
      echo "s3://$bucket/$key: already there, same SHA-256"
      continue
    elif [ -n "$existing" ]; then
      echo "s3://$bucket/$key already holds another object (SHA-256 $existing, this zip $sum): not overwritten" >&2
      exit 1
    fi
    version_id="$(aws s3api put-object --bucket "$bucket" --key "$key" --region "$region" --body "$zip" \
      --checksum-sha256 "$sum" --query VersionId --output text)"
    echo "s3://$bucket/$key: uploaded (version $version_id)"
  done
done
echo "CodeS3BucketPrefix=${CODE_BUCKET_PREFIX} CodeVersion=${CODE_VERSION}"
