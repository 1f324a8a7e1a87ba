# Settings shared by the StackSet scripts in this folder. Edit, then run the scripts from the repository
# root in order: 1-upload-code.sh, 2-provider-stackset.sh (as the DNS account), 3-child-stackset.sh (as
# the management account or a delegated StackSets administrator).

# The DNS (parent) account: owns the parent zone and runs the provider.
export DNS_ACCOUNT_ID="111111111111"
export PARENT_ZONE_NAME="example.com"
# Child zones are <account id>.accounts.example.com (cfn/child-account.yaml's default label).
export CHILD_DOMAIN_SUFFIX="accounts.${PARENT_ZONE_NAME}"
# Regions in which stacks use the ServiceToken. A ServiceToken must be in the stack's own region,
# so the provider runs in each of these.
export PROVIDER_REGIONS="us-east-1 eu-west-1"
# With ZoneScope=account (the default), each child account's zone lives in this one region.
export CHILD_HOME_REGION="us-east-1"
# Regions the child StackSet deploys to (a subset of PROVIDER_REGIONS).
export CHILD_REGIONS="us-east-1"
# The organization and the OU(s) whose accounts get a delegated zone.
export ORGANIZATION_ID="o-exampleorg1"
export TARGET_OUS="ou-abcd-11111111"
# Code buckets, one per region, named <prefix>-<region>, owned by the DNS account.
export CODE_BUCKET_PREFIX="subdomain-delegation-code-${DNS_ACCOUNT_ID}"
export ARCHITECTURE="arm64"
# Agreed between the provider side and every child: the reader roles demand it (sts:ExternalId).
export EXTERNAL_ID="subdomain-delegation-${ORGANIZATION_ID}"
export PROVIDER_NAME="subdomain-delegation"
# The ServiceToken child stacks use. "true": the provider's SNS topic (queued: requests reach the
# function through SQS in batches per parent zone, which suits a StackSet whose accounts all ask at
# once). "false": the function itself (direct). The provider StackSet offers both.
# CloudFormation cannot change an existing resource's ServiceToken: a child StackSet created before
# this setting existed uses the direct token and must keep "false".
export QUEUED_SERVICE_TOKEN="true"
