#!/usr/bin/env bash
# Builds the zips and uploads the chosen architecture's zip to a bucket in every provider region.
# Lambda takes code only from a bucket in its own region. The key contains the zip's hash, so a new
# build is a new key and a StackSet update redeploys the function.
# Run as the DNS account. Prints the S3 key to use in 2-provider-stackset.sh.
set -euo pipefail
. "$(dirname "$0")/env.sh"

scripts/package "$ARCHITECTURE"
zip="target/lambda-${ARCHITECTURE}/subdomain-delegation/bootstrap.zip"
hash="$(sha256sum "$zip" | cut -c1-16)"
key="subdomain-delegation/${hash}/${ARCHITECTURE}/bootstrap.zip"

for region in $PROVIDER_REGIONS; do
  bucket="${CODE_BUCKET_PREFIX}-${region}"
  if ! aws s3api head-bucket --bucket "$bucket" --region "$region" 2>/dev/null; then
    if [ "$region" = us-east-1 ]; then
      aws s3api create-bucket --bucket "$bucket" --region "$region"
    else
      aws s3api create-bucket --bucket "$bucket" --region "$region" \
        --create-bucket-configuration "LocationConstraint=$region"
    fi
    aws s3api put-public-access-block --bucket "$bucket" --region "$region" \
      --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
  fi
  aws s3 cp "$zip" "s3://${bucket}/${key}" --region "$region"
done
echo "CODE_S3_KEY=${key}"
