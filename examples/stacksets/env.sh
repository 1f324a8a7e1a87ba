# Settings shared by the StackSet scripts in this folder. Edit, then run the scripts from the repository
# root in order: 1-upload-code.sh, 2-provider-stackset.sh (as the DNS account), 3-child-stackset.sh (as
# the management account or a delegated StackSets administrator); 4-update-stackset.sh for updates.

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
# Code buckets, one per region, named <prefix>-<region>, owned by the DNS account (the provider's
# CodeS3BucketPrefix; 1-upload-code.sh creates them, versioned).
export CODE_BUCKET_PREFIX="subdomain-delegation-code-${DNS_ACCOUNT_ID}"
# The release to deploy (CodeVersion) and where it is: scripts/release writes dist/<version>/, or unpack
# a downloaded release there. Default: the version in Cargo.toml.
export CODE_VERSION="${CODE_VERSION:-$(sed -n '/^\[package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)}"
export RELEASE_DIR="${RELEASE_DIR:-dist/${CODE_VERSION}}"
# The provider's architecture; the release must hold its zip.
export ARCHITECTURE="arm64"
# Where the provider's alarms go (an e-mail address that confirms the SNS subscription; empty = none),
# and whether it gets a CloudWatch dashboard.
export ALARM_EMAIL=""
export CREATE_DASHBOARD="false"
# Agreed between the provider side and every child: the reader roles demand it (sts:ExternalId).
export EXTERNAL_ID="subdomain-delegation-${ORGANIZATION_ID}"
export PROVIDER_NAME="subdomain-delegation"
# The ServiceToken child stacks use. "true": the provider's SNS topic (queued: requests reach the
# function through SQS in batches per parent zone, which suits a StackSet whose accounts all ask at
# once). "false": the function itself (direct). The provider StackSet offers both.
# CloudFormation cannot change an existing resource's ServiceToken: a child StackSet created before
# this setting existed uses the direct token and must keep "false".
export QUEUED_SERVICE_TOKEN="true"
