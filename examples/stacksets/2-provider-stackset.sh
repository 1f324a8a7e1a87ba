#!/usr/bin/env bash
# The provider itself as a StackSet over the DNS account's regions (self-managed permissions, the DNS
# account administering its own stack instances). Run as the DNS account, from the repository root,
# after 1-upload-code.sh uploaded the release (CODE_VERSION, RELEASE_DIR in env.sh).
#
# Self-managed StackSets need two roles in the DNS account first (docs/deploy.md, "StackSet
# prerequisites"): AWSCloudFormationStackSetAdministrationRole, which cloudformation.amazonaws.com
# assumes and which may assume AWSCloudFormationStackSetExecutionRole; and
# AWSCloudFormationStackSetExecutionRole, which trusts the administration role and may create the
# provider's resources. Without StackSets, the same result is a loop of
#   aws cloudformation deploy --region "$region" --template-file "$RELEASE_DIR/provider.yaml" --stack-name subdomain-delegation-provider ...
# Later updates: 4-update-stackset.sh subdomain-delegation-provider ...
set -euo pipefail
. "$(dirname "$0")/env.sh"
template="$RELEASE_DIR/provider.yaml"
[ -f "$template" ] || { echo "no $template: run scripts/release, or set RELEASE_DIR" >&2; exit 1; }

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
    # One value for every region: each stack reads its code from <prefix>-<its region>.
    "CodeS3BucketPrefix": env["CODE_BUCKET_PREFIX"],
    "CodeVersion": env["CODE_VERSION"],
    "Architecture": env["ARCHITECTURE"],
    # Without it, every request from another account of the organization fails.
    "OrganizationId": env["ORGANIZATION_ID"],
    "AllowOrganizationInvoke": "true",
    # Required. IAM refuses NS/DS writes outside *.accounts.example.com, whatever the provider decides.
    "AllowedRecordNames": "*." + suffix,
    # IAM also denies any change batch that names the parent zone's apex.
    "ParentZoneApexNames": env["PARENT_ZONE_NAME"],
    # Left at their defaults: ReservedConcurrency 20, Route53RequestsPerSecond 10 (raise it only when
    # the DNS account's Route 53 quota was raised), ParentRoleArn empty (no request may name one).
    # The provider lets each account delegate only its own names (docs/design.md, "Who may ask").
    "DelegationPolicy": json.dumps(policy, separators=(",", ":")),
    # The queued ServiceToken (SNS topic -> SQS -> function, batched per parent zone) that the child
    # StackSet uses by default (QUEUED_SERVICE_TOKEN); offered either way, as the direct one always is.
    # Left at their defaults: BatchSize 500, BatchingWindowSeconds 2, MaximumConcurrency 2 (keep it
    # below ReservedConcurrency), MaxChangesPerBatch 100, TopicKmsKeyArn empty (see docs/deploy.md).
    "QueuedServiceToken": "true",
    # Operations: alarms to this address (empty = none), the optional dashboard. MetricsNamespace
    # stays SubdomainDelegation.
    "AlarmEmail": env["ALARM_EMAIL"],
    "CreateDashboard": env["CREATE_DASHBOARD"],
    # The audit runs in one region only (docs/deploy.md, "The audit"): off here, and turned on for
    # one stack instance with an override (a StackSet overrides only the parameters it names).
    "EnableAudit": "false",
}
with open(sys.argv[1], "w") as f:
    json.dump([{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()], f, indent=1)
PY

aws cloudformation create-stack-set \
  --region "$main_region" \
  --stack-set-name subdomain-delegation-provider \
  --description "subdomain-delegation provider in every region that uses it" \
  --template-body "file://$template" \
  --capabilities CAPABILITY_NAMED_IAM \
  --permission-model SELF_MANAGED \
  --parameters "file://$params"

# One operation for every region, one region at a time; no per-region override is needed.
# shellcheck disable=SC2086
operation="$(aws cloudformation create-stack-instances \
  --region "$main_region" \
  --stack-set-name subdomain-delegation-provider \
  --accounts "$DNS_ACCOUNT_ID" \
  --regions $PROVIDER_REGIONS \
  --operation-preferences RegionConcurrencyType=SEQUENTIAL,FailureToleranceCount=0,MaxConcurrentCount=1 \
  --query OperationId --output text)"
while :; do
  status="$(aws cloudformation describe-stack-set-operation --region "$main_region" \
    --stack-set-name subdomain-delegation-provider --operation-id "$operation" \
    --query 'StackSetOperation.Status' --output text)"
  case "$status" in
    RUNNING | QUEUED | STOPPING) sleep 10 ;;
    SUCCEEDED) echo "provider in $PROVIDER_REGIONS: SUCCEEDED"; break ;;
    *)
      echo "provider StackSet operation ended $status:" >&2
      aws cloudformation list-stack-set-operation-results --region "$main_region" \
        --stack-set-name subdomain-delegation-provider --operation-id "$operation" \
        --query 'Summaries[].[Region,Status,StatusReason]' --output table >&2
      exit 1 ;;
  esac
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
