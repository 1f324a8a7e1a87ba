#!/usr/bin/env bash
# The provider itself as a StackSet over the DNS account's regions (self-managed permissions, the DNS
# account administering its own stack instances). Run as the DNS account, with CODE_S3_KEY from
# 1-upload-code.sh:  CODE_S3_KEY=subdomain-delegation/<hash>/arm64/bootstrap.zip examples/stacksets/2-provider-stackset.sh
#
# Self-managed StackSets need two roles in the DNS account first, AWSCloudFormationStackSetAdministrationRole
# and AWSCloudFormationStackSetExecutionRole (AWS publishes templates for both in the StackSets guide).
# Without StackSets, the same result is a loop of
#   aws cloudformation deploy --region "$region" --template-file cfn/provider.yaml --stack-name subdomain-delegation-provider ...
set -euo pipefail
. "$(dirname "$0")/env.sh"
: "${CODE_S3_KEY:?set CODE_S3_KEY to the key printed by 1-upload-code.sh}"

main_region="${PROVIDER_REGIONS%% *}"
# JSON parameters: DelegationPolicy holds commas, which the CLI's shorthand syntax would split.
params="$(mktemp)"
trap 'rm -f "$params"' EXIT
python3 - "$params" <<'PY'
import json, os, sys
env = os.environ
suffix = env["CHILD_DOMAIN_SUFFIX"]
policy = {"allow": [{"accounts": ["*"], "names": ["{account}." + suffix, "*.{account}." + suffix]}]}
values = {
    "ProviderName": env["PROVIDER_NAME"],
    "CodeS3Bucket": env["CODE_BUCKET_PREFIX"] + "-" + env["PROVIDER_REGIONS"].split()[0],
    "CodeS3Key": env["CODE_S3_KEY"],
    "Architecture": env["ARCHITECTURE"],
    "OrganizationId": env["ORGANIZATION_ID"],
    "AllowOrganizationInvoke": "true",
    # Required. IAM refuses NS/DS writes outside *.accounts.example.com, whatever the provider decides.
    "AllowedRecordNames": "*." + suffix,
    # IAM also denies any change batch that names the parent zone's apex.
    "ParentZoneApexNames": env["PARENT_ZONE_NAME"],
    # Left at their defaults: ReservedConcurrency 20, Route53RequestsPerSecond 10 (raise it only when
    # the DNS account's Route 53 quota was raised), ParentRoleArn empty (no request may name one).
    # The provider lets each account delegate only its own names (contract section 8).
    "DelegationPolicy": json.dumps(policy, separators=(",", ":")),
    # The queued ServiceToken (SNS topic -> SQS -> function, batched per parent zone) that the child
    # StackSet uses by default (QUEUED_SERVICE_TOKEN); offered either way, as the direct one always is.
    # Left at their defaults: BatchSize 500, BatchingWindowSeconds 2, MaximumConcurrency 2 (keep it
    # below ReservedConcurrency), MaxChangesPerBatch 100, TopicKmsKeyArn empty (see docs/deploy.md).
    "QueuedServiceToken": "true",
}
with open(sys.argv[1], "w") as f:
    json.dump([{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()], f, indent=1)
PY

aws cloudformation create-stack-set \
  --region "$main_region" \
  --stack-set-name subdomain-delegation-provider \
  --description "subdomain-delegation provider in every region that uses it" \
  --template-body file://cfn/provider.yaml \
  --capabilities CAPABILITY_NAMED_IAM \
  --permission-model SELF_MANAGED \
  --parameters "file://$params"

# The code bucket differs per region (Lambda reads code from its own region): override it per region.
for region in $PROVIDER_REGIONS; do
  aws cloudformation create-stack-instances \
    --region "$main_region" \
    --stack-set-name subdomain-delegation-provider \
    --accounts "$DNS_ACCOUNT_ID" \
    --regions "$region" \
    --parameter-overrides "ParameterKey=CodeS3Bucket,ParameterValue=${CODE_BUCKET_PREFIX}-${region}" \
    --operation-preferences FailureToleranceCount=0,MaxConcurrentCount=1
  # One operation at a time per StackSet: wait for this one before the next region.
  while :; do
    op="$(aws cloudformation list-stack-set-operations --region "$main_region" \
      --stack-set-name subdomain-delegation-provider --query 'Summaries[0].Status' --output text)"
    case "$op" in
      RUNNING | QUEUED | STOPPING) sleep 10 ;;
      SUCCEEDED) break ;;
      *) echo "provider StackSet operation for $region ended $op" >&2; exit 1 ;;
    esac
  done
  echo "provider in $region: $op"
done

# Outputs per region: the ServiceTokens (direct: ServiceToken; queued: SnsServiceToken), the role child
# reader roles must trust, and the dead-letter queue to watch (requests nobody could answer).
for region in $PROVIDER_REGIONS; do
  aws cloudformation list-stack-instances --region "$main_region" --stack-set-name subdomain-delegation-provider \
    --stack-instance-region "$region" --query 'Summaries[0].StackId' --output text |
    xargs -I{} aws cloudformation describe-stacks --region "$region" --stack-name {} \
      --query 'Stacks[0].Outputs[?OutputKey==`ServiceToken`||OutputKey==`SnsServiceToken`||OutputKey==`ProviderRoleArn`||OutputKey==`DeadLetterQueueUrl`]' \
      --output table
done
