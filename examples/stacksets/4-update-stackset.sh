#!/usr/bin/env bash
# Updates a StackSet, restating every parameter it has with UsePreviousValue except those given, so
# that an update of one or two values (a new CodeVersion, a new ExternalId) does not mean retyping
# the thirty others. Parameters the new template no longer declares are dropped (CloudFormation
# refuses them); parameters new in the template take their defaults unless given.
#
#   examples/stacksets/4-update-stackset.sh STACK_SET [--template FILE] [--call-as DELEGATED_ADMIN] [Key=Value ...]
#
# Examples (from the repository root, after editing env.sh):
#   # the provider on a new release (upload it first with 1-upload-code.sh):
#   examples/stacksets/4-update-stackset.sh subdomain-delegation-provider \
#     --template "dist/0.2.0/provider.yaml" CodeVersion=0.2.0
#   # rotate the children's ExternalId, same template:
#   examples/stacksets/4-update-stackset.sh subdomain-delegation-child --call-as DELEGATED_ADMIN ExternalId=new-value
#
# Without --template the StackSet keeps its template (--use-previous-template). Key= (nothing after
# the =) sets an empty value. The update goes to every stack instance; the script waits for the
# operation and prints its result. Per-instance parameter overrides are kept by CloudFormation.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
stack_set="$1"; shift
template="" call_as=()
assignments=()
while [ $# -gt 0 ]; do
  case "$1" in
    --template) template="${2:?--template needs a file}"; shift 2 ;;
    --call-as) call_as=(--call-as "${2:?--call-as needs SELF or DELEGATED_ADMIN}"); shift 2 ;;
    -h | --help) usage ;;
    *=*) assignments+=("$1"); shift ;;
    *) echo "unexpected argument: $1" >&2; usage ;;
  esac
done
region="${STACK_SET_REGION:-$CHILD_HOME_REGION}"
case "$stack_set" in *provider*) region="${STACK_SET_REGION:-${PROVIDER_REGIONS%% *}}" ;; esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
aws cloudformation describe-stack-set --region "$region" "${call_as[@]}" --stack-set-name "$stack_set" \
  --query 'StackSet.Parameters' --output json >"$work/previous.json"
if [ -n "$template" ]; then
  [ -f "$template" ] || { echo "no such template: $template" >&2; exit 1; }
  template_args=(--template-body "file://$template")
  cp "$template" "$work/template"
else
  template_args=(--use-previous-template)
  aws cloudformation describe-stack-set --region "$region" "${call_as[@]}" --stack-set-name "$stack_set" \
    --query 'StackSet.TemplateBody' --output text >"$work/template"
fi
python3 -B "$here/stackset_params.py" "$work/previous.json" "$work/template" "$work/params.json" "${assignments[@]}"

operation="$(aws cloudformation update-stack-set --region "$region" "${call_as[@]}" \
  --stack-set-name "$stack_set" "${template_args[@]}" \
  --capabilities CAPABILITY_NAMED_IAM \
  --parameters "file://$work/params.json" \
  --operation-preferences RegionConcurrencyType=SEQUENTIAL,MaxConcurrentCount=25,FailureToleranceCount=0 \
  --query OperationId --output text)"
echo "update of $stack_set: operation $operation"
while :; do
  status="$(aws cloudformation describe-stack-set-operation --region "$region" "${call_as[@]}" \
    --stack-set-name "$stack_set" --operation-id "$operation" --query 'StackSetOperation.Status' --output text)"
  case "$status" in
    RUNNING | QUEUED | STOPPING) sleep 15 ;;
    SUCCEEDED) echo "update of $stack_set: SUCCEEDED"; break ;;
    *)
      echo "update of $stack_set ended $status; the instances that failed, and why:" >&2
      aws cloudformation list-stack-set-operation-results --region "$region" "${call_as[@]}" \
        --stack-set-name "$stack_set" --operation-id "$operation" \
        --query 'Summaries[?Status!=`SUCCEEDED`].[Account,Region,Status,StatusReason]' --output table >&2
      exit 1 ;;
  esac
done
