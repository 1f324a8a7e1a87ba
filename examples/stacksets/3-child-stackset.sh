#!/usr/bin/env bash
# cfn/child-account.yaml as a service-managed StackSet with auto-deployment to the target OUs: every
# account in them (and every account added later) gets <account id>.accounts.example.com, a reader role
# and the delegation. Run as the organization's management account, or as a delegated StackSets
# administrator with --call-as DELEGATED_ADMIN added to each command.
# The provider must already run in every region listed in CHILD_REGIONS (2-provider-stackset.sh).
# Service-managed StackSets need trusted access for CloudFormation StackSets in AWS Organizations
# (docs/deploy.md, "StackSet prerequisites"). Later updates: 4-update-stackset.sh subdomain-delegation-child ...
set -euo pipefail
. "$(dirname "$0")/env.sh"
template="$RELEASE_DIR/child-account.yaml"
[ -f "$template" ] || template=cfn/child-account.yaml

aws cloudformation create-stack-set \
  --region "$CHILD_HOME_REGION" \
  --stack-set-name subdomain-delegation-child \
  --description "Delegated subdomain per account (subdomain-delegation)" \
  --template-body "file://$template" \
  --capabilities CAPABILITY_NAMED_IAM \
  --permission-model SERVICE_MANAGED \
  --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \
  --parameters \
    "ParameterKey=ProviderAccountId,ParameterValue=${DNS_ACCOUNT_ID}" \
    "ParameterKey=ProviderName,ParameterValue=${PROVIDER_NAME}" \
    "ParameterKey=QueuedServiceToken,ParameterValue=${QUEUED_SERVICE_TOKEN}" \
    "ParameterKey=ExternalId,ParameterValue=${EXTERNAL_ID}" \
    "ParameterKey=DomainSuffix,ParameterValue=${CHILD_DOMAIN_SUFFIX}" \
    "ParameterKey=ParentHostedZoneName,ParameterValue=${PARENT_ZONE_NAME}" \
    "ParameterKey=ServiceTimeout,ParameterValue=900" \
    "ParameterKey=ZoneScope,ParameterValue=account" \
    "ParameterKey=HomeRegion,ParameterValue=${CHILD_HOME_REGION}"

# Regions deploy one after another; accounts in parallel, 25 at a time. With the queued ServiceToken
# their requests wait in the provider's SQS queue and are handled in batches per parent zone (a few
# change batches instead of one per account), so a higher MaxConcurrentCount mostly adds waiting in the
# queue; the direct token runs one invocation per request, within the function's reserved concurrency.
# Either way the provider paces itself by Route 53's request rate and retries throttled calls.
# shellcheck disable=SC2086
aws cloudformation create-stack-instances \
  --region "$CHILD_HOME_REGION" \
  --stack-set-name subdomain-delegation-child \
  --deployment-targets "OrganizationalUnitIds=${TARGET_OUS// /,}" \
  --regions $CHILD_REGIONS \
  --operation-preferences RegionConcurrencyType=SEQUENTIAL,MaxConcurrentCount=25,FailureToleranceCount=5

# Later changes (a new template, a new ExternalId) go through 4-update-stackset.sh, which restates every
# other parameter; new accounts in the OUs are deployed automatically. Never change
# QueuedServiceToken of an existing StackSet: CloudFormation refuses to change a resource's ServiceToken
# ("Modifying service token is not allowed"), so every instance's update would fail and roll back.
