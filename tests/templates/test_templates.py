"""Static checks of the deployment templates (cfn/*.yaml and the CDK synth output).

Run by scripts/check-templates (which synthesizes the CDK app first). The templates are read with
cfn-lint's decoder, so short-form tags (!Sub, !Ref, ...) arrive as their long forms. A small
evaluator below renders intrinsic functions for given parameter values, so that ARNs built in one
template can be compared with the names another template gives its resources.

What is asserted:
- Route 53 writes are limited by route53:ChangeResourceRecordSetsRecordTypes (NS, DS) and
  ...Actions (UPSERT, DELETE) with ForAllValues:StringEquals, and by ...NormalizedRecordNames
  (ForAllValues:StringLike) from the required AllowedRecordNames ("*" = any name); the parent zone
  apex names get an explicit Deny (ForAnyValue:StringEquals), checked with a small evaluator of IAM's
  condition set operators against change batches;
- the provider may assume only the reader roles (by prefix) and exactly the named parent role, which
  is also the function's DELEGATION_PARENT_ROLE_ARNS; DELEGATION_ROUTE53_REQUESTS_PER_SECOND comes
  from Route53RequestsPerSecond; reserved concurrency is on by default; the asynchronous invoke
  configuration bounds event age (<= 1 h) and retries;
- both the provider's role and each reader role may read stack events (cleanup verification);
- each reader role trusts exactly one principal, the provider's execution role, with sts:ExternalId;
- ServiceToken wiring: the role a child template trusts is the role the provider function runs as,
  and the child's ServiceToken is, by default, the provider's topic (the queued token) in the same
  region, or with QueuedServiceToken=false the provider function's ARN (the direct token);
- the queued path (provider template and CDK synth alike): an SNS topic whose policy admits this
  account, the organization (aws:PrincipalOrgID) and CloudFormation for our stacks only; an SQS queue
  with SSE, a dead-letter queue (redrive, bounded receives, 14 days), a visibility timeout of at least
  6 x the function's timeout, a policy that lets only that topic send (aws:SourceArn); the event source
  mapping (ReportBatchItemFailures; batch size, window and concurrency from bounded parameters, with
  the SQS rule that a batch above 10 needs a window); the role's SQS permissions on that queue only;
  both ServiceTokens as outputs; DELEGATION_MAX_CHANGES_PER_BATCH from MaxChangesPerBatch;
- every documented deployment of the provider passes the required AllowedRecordNames;
- the shipped templates never set the local-test-only environment variables.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
from pathlib import Path

import pytest
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
CFN = ROOT / "cfn"
CDK_OUT = Path(os.environ.get("CDK_OUT_DIR", ROOT / "examples" / "cdk" / "cdk.out"))

DNS_ACCOUNT = "111111111111"
CHILD_ACCOUNT = "222222222222"
REGION = "eu-west-1"
PARTITION = "aws"

# docs/design.md, "Properties" (ServiceToken and ServiceTimeout are CloudFormation's own).
RESOURCE_PROPERTIES = {
    "ServiceToken",
    "ServiceTimeout",
    "ParentHostedZoneId",
    "ParentHostedZoneName",
    "ChildHostedZoneId",
    "ChildRoleArn",
    "ChildExternalId",
    "ParentRoleArn",
    "ParentExternalId",
    "DelegatedName",
    "TTL",
    "WaitForSync",
    "Dnssec",
    "OnConflict",
    "AllowOccludedRecords",
    "StsRegion",
}
FORBIDDEN_ENV = ("DELEGATION_ALLOW_LOOPBACK_RESPONSE_URL", "DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION")
R53_TYPES = "route53:ChangeResourceRecordSetsRecordTypes"
R53_ACTIONS = "route53:ChangeResourceRecordSetsActions"
R53_NAMES = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
VERIFY_ACTIONS = ["cloudformation:DescribeStackEvents", "cloudformation:DescribeStackResource",
                  "cloudformation:DescribeStacks"]
# Variables the CDK construct may set as cfn/provider.yaml does (the audit's switch, metrics, discovery).
OPTIONAL_CDK_ENV = {"DELEGATION_METRICS_NAMESPACE", "DELEGATION_PARENT_ZONE_IDS", "DELEGATION_AUDIT_DISABLED",
                    "DELEGATION_AUDIT_ZONES"}
PROVIDER_ENV = {"DELEGATION_POLICY", "DELEGATION_PARENT_ROLE_ARNS", "DELEGATION_ROUTE53_REQUESTS_PER_SECOND",
                "DELEGATION_MAX_CHANGES_PER_BATCH", "DELEGATION_RESOURCE_TYPES"}
SQS_CONSUME_ACTIONS = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                       "sqs:ReceiveMessage"]
TOPIC_KEY = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"


# --------------------------------------------------------------------------------------------------
# Loading and rendering


def load(path: Path) -> dict:
    template, matches = decode(str(path))
    assert template is not None and not matches, f"{path} does not parse: {matches}"
    return template


class NoValue:
    """AWS::NoValue: removes the property or list item that holds it."""


class Symbol(str):
    """A value only known at deploy time, kept symbolic, e.g. GetAtt:Function.Arn or Ref:HostedZone."""


class Renderer:
    """Evaluates the intrinsic functions of one template for given parameter values."""

    def __init__(self, template: dict, params: dict[str, str] | None = None, account: str = DNS_ACCOUNT,
                 region: str = REGION, stack_id: str = "STACK_ID"):
        self.template = template
        self.params: dict[str, object] = {}
        for name, spec in template.get("Parameters", {}).items():
            value = (params or {}).get(name, spec.get("Default"))
            if value is None:
                raise AssertionError(f"parameter {name} needs a value for rendering")
            if spec.get("Type") == "CommaDelimitedList" or spec.get("Type", "").startswith("List<"):
                value = [] if value == "" else [v.strip() for v in str(value).split(",")]
            self.params[name] = value
        self.pseudo = {
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": PARTITION,
            "AWS::StackId": stack_id,
            "AWS::StackName": "stack",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NoValue(),
        }
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = self.cond(self.template["Conditions"][name])
        return self._conditions[name]

    def cond(self, node) -> bool:
        (fn, args), = node.items()
        if fn == "Fn::Equals":
            a, b = (self.render(x) for x in args)
            return str(a) == str(b)
        if fn == "Fn::Not":
            return not self.cond(args[0])
        if fn == "Fn::And":
            return all(self.cond(x) for x in args)
        if fn == "Fn::Or":
            return any(self.cond(x) for x in args)
        if fn == "Condition":
            return self.condition(args)
        raise AssertionError(f"unsupported condition {fn}")

    def ref(self, name: str):
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            return self.params[name]
        assert name in self.template["Resources"], f"Ref to unknown {name}"
        return Symbol(f"Ref:{name}")

    def sub(self, text: str, variables: dict) -> str:
        def repl(match):
            key = match.group(1)
            if key.startswith("!"):
                return "${" + key[1:] + "}"
            if key in variables:
                return str(variables[key])
            if "." in key:
                res, attr = key.split(".", 1)
                return f"GetAtt:{res}.{attr}"
            value = self.ref(key)
            assert not isinstance(value, list), f"${{{key}}} is a list"
            return str(value)

        return re.sub(r"\$\{([^}]+)\}", repl, text)

    def render(self, node):
        if isinstance(node, list):
            out = [self.render(x) for x in node]
            return [x for x in out if not isinstance(x, NoValue)]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, args), = node.items()
            if key == "Ref":
                return self.ref(args)
            if key == "Fn::GetAtt":
                res, attr = args if isinstance(args, list) else args.split(".", 1)
                return Symbol(f"GetAtt:{res}.{attr}")
            if key == "Fn::Sub":
                if isinstance(args, str):
                    return self.sub(args, {})
                text, variables = args
                return self.sub(text, {k: self.render(v) for k, v in variables.items()})
            if key == "Fn::Join":
                sep, items = args
                items = self.render(items)
                return sep.join(str(x) for x in items)
            if key == "Fn::Split":
                sep, text = args
                return str(self.render(text)).split(sep)
            if key == "Fn::If":
                name, yes, no = args
                return self.render(yes if self.condition(name) else no)
            if key == "Fn::Select":
                index, items = args
                return self.render(items)[int(self.render(index))]
            if key == "Fn::ImportValue":
                return Symbol(f"Import:{self.render(args)}")
        out = {}
        for k, v in node.items():
            value = self.render(v)
            if not isinstance(value, NoValue):
                out[k] = value
        return out

    def resources(self) -> dict[str, dict]:
        """Rendered resources that exist under the current parameters."""
        out = {}
        for name, res in self.template["Resources"].items():
            if "Condition" in res and not self.condition(res["Condition"]):
                continue
            out[name] = {"Type": res["Type"], "Properties": self.render(res.get("Properties", {}))}
        return out

    def outputs(self) -> dict[str, object]:
        out = {}
        for name, o in self.template.get("Outputs", {}).items():
            if "Condition" in o and not self.condition(o["Condition"]):
                continue
            out[name] = self.render(o["Value"])
        return out


def of_type(resources: dict, rtype: str) -> dict[str, dict]:
    return {k: v for k, v in resources.items() if v["Type"] == rtype}


def is_alarm_topic(topic: dict) -> bool:
    """The alarms' topic (AlarmEmail), as opposed to the request topic."""
    return "alarm" in str(topic.get("Properties", {}).get("DisplayName", "")).lower()


def request_topic(resources: dict) -> tuple[str, dict]:
    """The queued ServiceToken's topic: the one SNS topic that is not the alarm topic."""
    topics = [(k, t) for k, t in of_type(resources, "AWS::SNS::Topic").items() if not is_alarm_topic(t)]
    assert len(topics) == 1, f"expected one request topic, found {[k for k, _ in topics]}"
    return topics[0]


def one_of_type(resources: dict, rtype: str) -> tuple[str, dict]:
    found = of_type(resources, rtype)
    assert len(found) == 1, f"expected one {rtype}, found {sorted(found)}"
    return next(iter(found.items()))


def as_list(x) -> list:
    return x if isinstance(x, list) else [x]


def statements(doc: dict) -> list[dict]:
    return as_list(doc["Statement"])


def role_statements(resources: dict, role: str) -> list[dict]:
    """All identity-policy statements attached to a role: inline, AWS::IAM::Policy and managed."""
    out = []
    for p in resources[role]["Properties"].get("Policies", []):
        out += statements(p["PolicyDocument"])
    for res in resources.values():
        if res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            if f"Ref:{role}" in [str(r) for r in res["Properties"].get("Roles", [])]:
                out += statements(res["Properties"]["PolicyDocument"])
    assert not resources[role]["Properties"].get("ManagedPolicyArns"), "provider role must not get managed policies"
    return out


def provider_role(resources: dict) -> str:
    """The role the provider function runs as (the audit schedule has a role of its own)."""
    _, fn = one_of_type(resources, "AWS::Lambda::Function")
    role = str(fn["Properties"]["Role"])
    assert role.startswith("GetAtt:") and role.endswith(".Arn"), role
    return role[len("GetAtt:"):-len(".Arn")]


def actions_of(stmt: dict) -> list[str]:
    return as_list(stmt.get("Action", []))


def cdk_template(stack: str) -> dict:
    path = CDK_OUT / f"{stack}.template.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/check-templates, which synthesizes the CDK app first")
    return json.loads(path.read_text())


PROVIDER_VARIANTS = [
    {},  # defaults (and the required AllowedRecordNames="*", see provider())
    {
        "ProviderName": "dns-delegation",
        "ReaderRoleNamePrefix": "dns-reader",
        "AllowedRecordNames": "*.accounts.example.com,dev.example.com",
        "ParentZoneApexNames": "example.com,accounts.example.com",
        "ParentHostedZoneIds": "Z0PARENT1,Z0PARENT2",
        "OrganizationId": "o-abcdefghij",
        "QueuedServiceToken": "true",
        "TopicKmsKeyArn": TOPIC_KEY,
        "BatchSize": "1000",
        "BatchingWindowSeconds": "10",
        "MaximumConcurrency": "5",
        "MaxChangesPerBatch": "40",
        "ParentRoleArn": "arn:aws:iam::333333333333:role/parent-writer",
        "DelegationPolicy": '{"allow":[]}',
        "ReservedConcurrency": "5",
        "Route53RequestsPerSecond": "25",
        "EnableAudit": "true",
        "AuditSchedule": "rate(6 hours)",
        "AuditZones": "Z0PARENT1,example.com",
        "AuditRemoveDangling": "true",
        "AlarmEmail": "dns-team@example.com",
        "MetricsNamespace": "Platform/DNS",
        "CreateDashboard": "true",
        "CodeVersion": "2.3.4-rc.1",
        "Architecture": "x86_64",
    },
]


def provider(params: dict | None = None, region: str = REGION) -> Renderer:
    """The provider template; AllowedRecordNames is required, "*" (any name) unless given."""
    p = {"CodeS3BucketPrefix": "artifacts-111111111111", "AllowedRecordNames": "*", **(params or {})}
    return Renderer(load(CFN / "provider.yaml"), p, account=DNS_ACCOUNT, region=region)


def child(params: dict | None = None, region: str = REGION, home: str | None = None) -> Renderer:
    p = {"ProviderAccountId": DNS_ACCOUNT, "ExternalId": "ext-id-1", "DomainSuffix": "accounts.example.com",
         "HomeRegion": home or region, **(params or {})}
    return Renderer(load(CFN / "child-account.yaml"), p, account=CHILD_ACCOUNT, region=region,
                    stack_id=f"arn:aws:cloudformation:{region}:{CHILD_ACCOUNT}:stack/child/uuid")


def arn_of(resources: dict, logical: str, account: str, region: str = REGION) -> str:
    """The ARN CloudFormation gives a named IAM role, Lambda function, SNS topic or SQS queue."""
    res = resources[logical]
    if res["Type"] == "AWS::IAM::Role":
        return f"arn:{PARTITION}:iam::{account}:role/{res['Properties']['RoleName']}"
    if res["Type"] == "AWS::Lambda::Function":
        return f"arn:{PARTITION}:lambda:{region}:{account}:function:{res['Properties']['FunctionName']}"
    if res["Type"] == "AWS::SNS::Topic":
        return f"arn:{PARTITION}:sns:{region}:{account}:{res['Properties']['TopicName']}"
    if res["Type"] == "AWS::SQS::Queue":
        return f"arn:{PARTITION}:sqs:{region}:{account}:{res['Properties']['QueueName']}"
    raise AssertionError(res["Type"])


def resolve_getatt(resources: dict, value, account: str, region: str = REGION) -> str:
    m = re.fullmatch(r"GetAtt:([A-Za-z0-9]+)\.Arn", str(value))
    assert m, f"expected Fn::GetAtt <resource>.Arn, got {value!r}"
    return arn_of(resources, m.group(1), account, region)


# --------------------------------------------------------------------------------------------------
# Route 53 write scope


def check_change_scope(stmts: list[dict], names: list[str], apex: list[str]) -> None:
    """One Allow of ChangeResourceRecordSets (NS/DS, UPSERT/DELETE, the name patterns), and the apex Deny."""
    touching = [s for s in stmts if any(fnmatch.fnmatch("route53:ChangeResourceRecordSets", a) for a in actions_of(s))]
    writes = [s for s in touching if s["Effect"] == "Allow"]
    assert len(writes) == 1, f"expected one statement allowing ChangeResourceRecordSets, got {writes}"
    (stmt,) = writes
    assert actions_of(stmt) == ["route53:ChangeResourceRecordSets"], "the write statement must grant nothing else"
    cond = stmt["Condition"]
    assert set(cond) == {"ForAllValues:StringEquals", "ForAllValues:StringLike"}, cond
    eq = cond["ForAllValues:StringEquals"]
    assert sorted(as_list(eq[R53_TYPES])) == ["DS", "NS"]
    assert sorted(as_list(eq[R53_ACTIONS])) == ["DELETE", "UPSERT"]
    assert names, "AllowedRecordNames is required"
    assert sorted(as_list(cond["ForAllValues:StringLike"][R53_NAMES])) == sorted(names)
    denies = [s for s in touching if s["Effect"] == "Deny"]
    if apex:
        assert len(denies) == 1, f"expected one apex Deny, got {denies}"
        (deny,) = denies
        assert actions_of(deny) == ["route53:ChangeResourceRecordSets"]
        # ForAnyValue: one apex name anywhere in the batch is enough to refuse it.
        assert deny["Condition"] == {"ForAnyValue:StringEquals": {R53_NAMES: apex}}
        assert as_list(deny["Resource"]) == [f"arn:{PARTITION}:route53:::hostedzone/*"]
    else:
        assert denies == [], "no apex names, no Deny (an empty ForAnyValue list would match nothing anyway)"
    for s in stmts:
        for a in actions_of(s):
            assert a != "*" and not a.startswith("route53:*") and a != "route53:Change*", f"wildcard action {a}"
            assert not a.startswith("sts:*") and not a.startswith("cloudformation:*"), f"wildcard action {a}"
    for r in as_list(stmt["Resource"]):
        assert re.fullmatch(r"arn:(\*|aws[a-z-]*):route53:::hostedzone/[A-Z0-9*]+", r), r


def iam_condition_matches(operator: str, request: list[str], values: list[str]) -> bool:
    """IAM's evaluation of one condition operator on a multivalued key (the request's values)."""
    qualifier, _, op = operator.rpartition(":")
    match = {"StringEquals": lambda x, v: x == v,
             "StringLike": lambda x, v: fnmatch.fnmatchcase(x, v)}[op]
    hit = [any(match(x, v) for v in values) for x in request]
    if qualifier == "ForAllValues":
        return all(hit)  # true for an empty request set, as in IAM
    if qualifier == "ForAnyValue":
        return any(hit)
    raise AssertionError(f"{operator}: a multivalued key needs ForAllValues or ForAnyValue")


def change_allowed(stmts: list[dict], zone_id: str, names: list[str], types=("NS",), actions=("UPSERT",)) -> bool:
    """Would IAM allow ChangeResourceRecordSets of this batch? (Explicit Deny wins, then any Allow.)"""
    context = {R53_NAMES: names, R53_TYPES: list(types), R53_ACTIONS: list(actions)}
    arn = f"arn:{PARTITION}:route53:::hostedzone/{zone_id}"

    def applies(stmt: dict) -> bool:
        if not any(fnmatch.fnmatchcase("route53:ChangeResourceRecordSets", a) for a in actions_of(stmt)):
            return False
        if not any(fnmatch.fnmatchcase(arn, r.replace("arn:*:", f"arn:{PARTITION}:", 1))
                   for r in as_list(stmt["Resource"])):
            return False
        return all(iam_condition_matches(op, context[key], as_list(vals))
                   for op, keys in stmt.get("Condition", {}).items() for key, vals in keys.items())

    if any(applies(s) for s in stmts if s["Effect"] == "Deny"):
        return False
    return any(applies(s) for s in stmts if s["Effect"] == "Allow")


@pytest.mark.parametrize("variant", PROVIDER_VARIANTS, ids=["defaults", "all-options"])
def test_provider_route53_writes_are_scoped(variant):
    r = provider(variant)
    res = r.resources()
    role = provider_role(res)
    names = variant.get("AllowedRecordNames", "*").split(",")
    apex = [n for n in variant.get("ParentZoneApexNames", "").split(",") if n]
    stmts = role_statements(res, role)
    check_change_scope(stmts, names, apex)
    zones = variant.get("ParentHostedZoneIds", "*").split(",")
    write = next(s for s in stmts if "route53:ChangeResourceRecordSets" in actions_of(s))
    assert sorted(as_list(write["Resource"])) == sorted(f"arn:*:route53:::hostedzone/{z}" for z in zones)


def test_provider_never_writes_the_parent_apex():
    """The IAM semantics, on change batches: the apex is refused even when AllowedRecordNames is "*"."""
    any_name = provider({"ParentZoneApexNames": "example.com"})
    res = any_name.resources()
    stmts = role_statements(res, provider_role(res))
    assert change_allowed(stmts, "Z0PARENT", ["dev.example.com"])
    assert change_allowed(stmts, "Z0PARENT", ["dev.example.com", "dev.example.com"], types=("NS", "DS"))
    assert change_allowed(stmts, "Z0PARENT", ["dev.example.com"], actions=("DELETE",))
    assert not change_allowed(stmts, "Z0PARENT", ["example.com"])
    # One apex name in a mixed batch refuses the whole batch (ForAnyValue, not ForAllValues).
    assert not change_allowed(stmts, "Z0PARENT", ["dev.example.com", "example.com"], types=("NS", "DS"))
    assert not change_allowed(stmts, "Z0OTHER", ["example.com"], actions=("DELETE",))
    # The Allow still limits types and actions.
    assert not change_allowed(stmts, "Z0PARENT", ["dev.example.com"], types=("NS", "A"))
    assert not change_allowed(stmts, "Z0PARENT", ["dev.example.com"], actions=("CREATE",))
    # Why ForAnyValue: the same Deny with ForAllValues would let the mixed batch through.
    (deny,) = [s for s in stmts if s["Effect"] == "Deny"]
    wrong = {**deny, "Condition": {"ForAllValues:StringEquals": deny["Condition"]["ForAnyValue:StringEquals"]}}
    weak = [s for s in stmts if s is not deny] + [wrong]
    assert change_allowed(weak, "Z0PARENT", ["dev.example.com", "example.com"])
    # Without apex names, "*" alone would allow the apex: the Deny is what stops it.
    bare = provider().resources()
    bare_stmts = role_statements(bare, provider_role(bare))
    assert change_allowed(bare_stmts, "Z0PARENT", ["example.com"])
    # Name patterns: every name of the batch must match one (ForAllValues:StringLike).
    scoped = provider(PROVIDER_VARIANTS[1]).resources()
    scoped_stmts = role_statements(scoped, provider_role(scoped))
    assert change_allowed(scoped_stmts, "Z0PARENT1", ["222222222222.accounts.example.com"])
    assert change_allowed(scoped_stmts, "Z0PARENT2", ["dev.example.com"])
    assert not change_allowed(scoped_stmts, "Z0PARENT1", ["prod.example.com"])
    assert not change_allowed(scoped_stmts, "Z0PARENT1", ["dev.example.com", "prod.example.com"])
    assert not change_allowed(scoped_stmts, "Z0PARENT1", ["accounts.example.com"]), "an apex of the variant"
    assert not change_allowed(scoped_stmts, "Z0ELSEWHERE", ["dev.example.com"]), "only the listed zones"


def test_allowed_record_names_is_required_and_apex_names_are_normalized():
    t = load(CFN / "provider.yaml")
    allowed = t["Parameters"]["AllowedRecordNames"]
    assert allowed["Type"] == "CommaDelimitedList"
    assert "Default" not in allowed, "AllowedRecordNames must be a decision of whoever deploys"
    assert '"*"' in allowed["Description"], "the description must say how to allow any name"
    with pytest.raises(AssertionError, match="AllowedRecordNames needs a value"):
        Renderer(t, {"CodeS3BucketPrefix": "b"})
    # CloudFormation applies a CommaDelimitedList's AllowedPattern to each entry.
    pattern = re.compile(allowed["AllowedPattern"])
    for good in ("*", "*.accounts.example.com", "dev.example.com", "dev?.example.com"):
        assert pattern.fullmatch(good), good
    for bad in ("", "dev.example.com.", "Dev.example.com", "dev..example.com", "dev example.com"):
        assert not pattern.fullmatch(bad), bad
    # An explicit empty value (a list holding "") is refused by a template rule.
    rule = t["Rules"]["AllowedRecordNamesGiven"]
    assert rule["Assertions"][0]["Assert"] == {"Fn::Not": [{"Fn::Contains": [{"Ref": "AllowedRecordNames"}, ""]}]}
    apex = t["Parameters"]["ParentZoneApexNames"]
    assert apex["Type"] == "CommaDelimitedList" and apex["Default"] == ""
    pattern = re.compile(apex["AllowedPattern"])
    for good in ("", "example.com", "accounts.example.com"):
        assert pattern.fullmatch(good), good
    for bad in ("example.com.", "Example.com", "*.example.com", "example..com"):
        assert not pattern.fullmatch(bad), bad


def test_provider_assume_role_is_scoped_to_reader_roles():
    for variant in PROVIDER_VARIANTS + [{"ParentRoleArn": "arn:aws:iam::333333333333:role/path/parent-writer"}]:
        r = provider(variant)
        res = r.resources()
        role = provider_role(res)
        prefix = r.params["ReaderRoleNamePrefix"]
        stmts = role_statements(res, role)
        assumes = [s for s in stmts if any(fnmatch.fnmatchcase("sts:AssumeRole", a) for a in actions_of(s))]
        assert all(s["Effect"] == "Allow" and actions_of(s) == ["sts:AssumeRole"] for s in assumes), assumes
        assert not [a for s in stmts for a in actions_of(s) if a.startswith("sts:") and a != "sts:AssumeRole"]
        resources = sorted(str(x) for s in assumes for x in as_list(s["Resource"]))
        expected = [f"arn:aws:iam::*:role/{prefix}-*"]
        if variant.get("ParentRoleArn"):
            expected.append(variant["ParentRoleArn"])
        assert resources == sorted(expected)
        if variant.get("OrganizationId"):
            reader = next(s for s in assumes if s["Resource"] == expected[0])
            assert reader["Condition"] == {"StringEquals": {"aws:ResourceOrgID": variant["OrganizationId"]}}
        # The one parent role the provider may assume is the one a request may name.
        _, fn = one_of_type(res, "AWS::Lambda::Function")
        env = fn["Properties"]["Environment"]["Variables"]
        assert env["DELEGATION_PARENT_ROLE_ARNS"] == variant.get("ParentRoleArn", "")
        assert [x for x in resources if x != expected[0]] == [x for x in env["DELEGATION_PARENT_ROLE_ARNS"].split(",") if x]


def test_parent_role_arn_is_one_role_arn():
    """ParentRoleArn feeds a comma-separated variable, which the function parses as role ARNs."""
    pattern = re.compile(load(CFN / "provider.yaml")["Parameters"]["ParentRoleArn"]["AllowedPattern"])
    for good in ("", "arn:aws:iam::333333333333:role/parent-writer", "arn:aws-cn:iam::333333333333:role/a/b/w+=.@_-"):
        assert pattern.fullmatch(good), good
    for bad in ("arn:aws:iam::333333333333:role/a,arn:aws:iam::444444444444:role/b",
                "arn:aws:iam::333333333333:role/path/", "arn:aws:iam::333333333333:user/parent-writer",
                "arn:aws:iam::33333333333:role/parent-writer", "*"):
        assert not pattern.fullmatch(bad), bad


def test_provider_verifies_stacks_of_its_own_account_and_region():
    for region in ("eu-west-1", "us-east-2"):
        r = provider(region=region)
        res = r.resources()
        role = provider_role(res)
        stmts = [s for s in role_statements(res, role) if any(a.startswith("cloudformation:") for a in actions_of(s))]
        assert len(stmts) == 1
        (stmt,) = stmts
        assert stmt["Effect"] == "Allow" and sorted(actions_of(stmt)) == VERIFY_ACTIONS
        assert as_list(stmt["Resource"]) == [f"arn:aws:cloudformation:{region}:{DNS_ACCOUNT}:stack/*/*"]


def test_provider_function_settings():
    for variant in PROVIDER_VARIANTS:
        r = provider(variant)
        res = r.resources()
        name, fn = one_of_type(res, "AWS::Lambda::Function")
        p = fn["Properties"]
        assert p["Runtime"] == "provided.al2023" and p["Handler"] == "bootstrap"
        assert p["Timeout"] == 300
        assert p["LoggingConfig"]["LogFormat"] == "JSON"
        log_group, lg = one_of_type(res, "AWS::Logs::LogGroup")
        assert p["LoggingConfig"]["LogGroup"] == f"Ref:{log_group}"
        assert int(lg["Properties"]["RetentionInDays"]) > 0
        assert lg["Properties"]["LogGroupName"] == f"/aws/lambda/{p['FunctionName']}"
        env = p.get("Environment", {}).get("Variables", {})
        expected = {
            # Always set: empty means no request may name a ParentRoleArn.
            "DELEGATION_PARENT_ROLE_ARNS": variant.get("ParentRoleArn", ""),
            "DELEGATION_ROUTE53_REQUESTS_PER_SECOND": variant.get("Route53RequestsPerSecond", "10"),
            "DELEGATION_MAX_CHANGES_PER_BATCH": variant.get("MaxChangesPerBatch", "100"),
            "DELEGATION_RESOURCE_TYPES": variant.get("ResourceTypes", "Custom::SubdomainDelegation"),
            # Always set: empty means no metrics.
            "DELEGATION_METRICS_NAMESPACE": variant.get("MetricsNamespace", "SubdomainDelegation"),
            # Parent discovery chooses only among the zones the provider may write.
            "DELEGATION_PARENT_ZONE_IDS": variant.get("ParentHostedZoneIds", "*"),
        }
        if variant.get("DelegationPolicy"):
            expected["DELEGATION_POLICY"] = variant["DelegationPolicy"]  # with no policy, left unset
        if variant.get("EnableAudit") == "true":
            # The audit event may only narrow this: AuditZones, else the zones the provider may write.
            expected["DELEGATION_AUDIT_ZONES"] = variant.get("AuditZones") or variant.get("ParentHostedZoneIds", "*")
        else:
            expected["DELEGATION_AUDIT_DISABLED"] = "true"  # no audit: every audit event refused
        if variant.get("AuditRemoveDangling") == "true":
            # The audit removes only names the role may write anyway.
            expected["DELEGATION_AUDIT_REMOVE_DANGLING"] = "true"
            expected["DELEGATION_AUDIT_ALLOWED_NAMES"] = variant["AllowedRecordNames"]
        assert {k: str(v) for k, v in env.items()} == expected
        # Reserved concurrency is on unless explicitly emptied.
        assert str(p["ReservedConcurrentExecutions"]) == variant.get("ReservedConcurrency", "20")
        # Asynchronous invocations: bounded queue age and retries, on the function's $LATEST.
        _, eic = one_of_type(res, "AWS::Lambda::EventInvokeConfig")
        e = eic["Properties"]
        assert e["FunctionName"] == f"Ref:{name}" and e["Qualifier"] == "$LATEST"
        assert 60 <= int(e["MaximumEventAgeInSeconds"]) <= 3600
        assert 0 <= int(e["MaximumRetryAttempts"]) <= 2
        # The lambda service, and nothing else, may assume the execution role.
        role = provider_role(res)
        rr = res[role]
        assert p["Role"] == f"GetAtt:{role}.Arn"
        trust = statements(rr["Properties"]["AssumeRolePolicyDocument"])
        assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]
    arch = load(CFN / "provider.yaml")["Parameters"]["Architecture"]
    assert sorted(arch["AllowedValues"]) == ["arm64", "x86_64"]


def test_provider_rate_and_concurrency_parameters():
    params = load(CFN / "provider.yaml")["Parameters"]
    rate = params["Route53RequestsPerSecond"]
    assert (rate["Type"], rate["Default"], rate["MinValue"], rate["MaxValue"]) == ("Number", 10, 1, 1000)
    assert "raised" in rate["Description"]
    rc = params["ReservedConcurrency"]
    assert rc["Type"] == "String" and rc["Default"] == "20"
    pattern = re.compile(rc["AllowedPattern"])
    assert pattern.fullmatch("") and pattern.fullmatch("20") and pattern.fullmatch("1000")
    assert not pattern.fullmatch("0"), "0 would throttle every request"
    assert not pattern.fullmatch("-1") and not pattern.fullmatch("05")
    # Empty = no reservation, for accounts whose quota is too small.
    _, fn = one_of_type(provider({"ReservedConcurrency": ""}).resources(), "AWS::Lambda::Function")
    assert "ReservedConcurrentExecutions" not in fn["Properties"]


def test_provider_organization_access():
    r = provider(PROVIDER_VARIANTS[1])
    res = r.resources()
    fn_name, _ = one_of_type(res, "AWS::Lambda::Function")
    perms = of_type(res, "AWS::Lambda::Permission")
    org = [p["Properties"] for p in perms.values() if p["Properties"].get("PrincipalOrgID")]
    assert org == [{"Action": "lambda:InvokeFunction", "FunctionName": f"GetAtt:{fn_name}.Arn",
                    "Principal": "*", "PrincipalOrgID": "o-abcdefghij"}]
    # The topic (the queued token) admits the organization too; SNS no longer invokes the function.
    topic, _ = request_topic(res)
    check_topic_policy(res, topic, org="o-abcdefghij")
    assert not [p for p in perms.values() if p["Properties"]["Principal"] == "sns.amazonaws.com"]
    assert r.outputs()["SnsServiceToken"] == f"Ref:{topic}"
    # Defaults: no organization, and so no invoke permission for anyone else; the topic admits this
    # account (and CloudFormation for this account's stacks) only.
    d = provider().resources()
    assert not of_type(d, "AWS::Lambda::Permission")
    check_topic_policy(d, request_topic(d)[0], org=None)


# --------------------------------------------------------------------------------------------------
# The queued ServiceToken: topic -> queue -> event source mapping -> function


def check_topic_policy(res: dict, topic: str, org: str | None, account: str = DNS_ACCOUNT) -> None:
    """Only sns:Publish on the topic, for this account, the organization and CloudFormation for our stacks."""
    (tp,) = [t for t in of_type(res, "AWS::SNS::TopicPolicy").values()
             if t["Properties"]["Topics"] == [f"Ref:{topic}"]]
    stmts = statements(tp["Properties"]["PolicyDocument"])
    by_principal = {}
    for st in stmts:
        assert st["Effect"] == "Allow" and actions_of(st) == ["sns:Publish"], st
        assert as_list(st["Resource"]) == [f"Ref:{topic}"], st
        by_principal[json.dumps(st["Principal"], sort_keys=True)] = st.get("Condition")
    expected = {
        json.dumps({"AWS": f"arn:{PARTITION}:iam::{account}:root"}): None,
        json.dumps({"Service": "cloudformation.amazonaws.com"}):
            {"StringEquals": {"aws:SourceOrgID": org}} if org else {"StringEquals": {"aws:SourceAccount": account}},
    }
    if org:
        expected[json.dumps({"AWS": "*"})] = {"StringEquals": {"aws:PrincipalOrgID": org}}
    assert by_principal == expected
    assert len(stmts) == len(expected)


def check_queued_path(res: dict, batch_size: int, window: int, concurrency: int) -> dict[str, str]:
    """The topic, both queues, the queue policy, the subscription, the mapping and the role's SQS grant."""
    fn_name, fn = one_of_type(res, "AWS::Lambda::Function")
    timeout = int(fn["Properties"]["Timeout"])
    topic, _ = request_topic(res)
    queues = of_type(res, "AWS::SQS::Queue")
    assert len(queues) == 2, sorted(queues)
    (main,) = [k for k, q in queues.items() if "RedrivePolicy" in q["Properties"]]
    (dead,) = [k for k in queues if k != main]
    q, dlq = queues[main]["Properties"], queues[dead]["Properties"]
    for props in (q, dlq):
        assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), "queues are encrypted"
    # Dead-letter queue: after a few receives, kept 14 days; only the request queue may move messages there.
    redrive = q["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == f"GetAtt:{dead}.Arn"
    assert 1 <= int(redrive["maxReceiveCount"]) <= 10
    assert int(dlq["MessageRetentionPeriod"]) == 14 * 24 * 3600
    assert "RedrivePolicy" not in dlq
    allow = dlq["RedriveAllowPolicy"]
    assert allow["redrivePermission"] == "byQueue"
    assert [str(a) for a in allow["sourceQueueArns"]] == [arn_of(res, main, DNS_ACCOUNT)]
    # A message is not received again while a batch holding it may still run: 6 x the timeout.
    assert int(q["VisibilityTimeout"]) >= 6 * timeout
    assert int(q["VisibilityTimeout"]) <= 43200
    # CloudFormation waits up to an hour: a shorter retention would drop requests it still waits for.
    assert int(q.get("MessageRetentionPeriod", 345600)) >= 3600
    assert int(q.get("MessageRetentionPeriod", 345600)) > int(redrive["maxReceiveCount"]) * int(q["VisibilityTimeout"])
    # Only the topic may send to the queue.
    _, qp = one_of_type(res, "AWS::SQS::QueuePolicy")
    assert qp["Properties"]["Queues"] == [f"Ref:{main}"]
    stmts = statements(qp["Properties"]["PolicyDocument"])
    assert stmts
    for st in stmts:
        assert st["Effect"] == "Allow" and st["Principal"] == {"Service": "sns.amazonaws.com"}, st
        assert actions_of(st) == ["sqs:SendMessage"], st
        assert as_list(st["Resource"]) == [f"GetAtt:{main}.Arn"]
        (op, cond), = st["Condition"].items()
        assert op in ("ArnEquals", "StringEquals") and cond == {"aws:SourceArn": f"Ref:{topic}"}, st
    # The topic delivers to the queue (the SNS envelope, which the function unwraps).
    (sub,) = [s for s in of_type(res, "AWS::SNS::Subscription").values()
              if s["Properties"]["TopicArn"] == f"Ref:{topic}"]
    sp = sub["Properties"]
    assert (sp["Protocol"], sp["Endpoint"], sp["TopicArn"]) == ("sqs", f"GetAtt:{main}.Arn", f"Ref:{topic}")
    assert str(sp.get("RawMessageDelivery", False)).lower() == "false"
    # The event source mapping.
    _, esm = one_of_type(res, "AWS::Lambda::EventSourceMapping")
    ep = esm["Properties"]
    assert ep["FunctionName"] in (f"Ref:{fn_name}", f"GetAtt:{fn_name}.Arn")
    assert ep["EventSourceArn"] == f"GetAtt:{main}.Arn"
    assert ep["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert str(ep.get("Enabled", True)).lower() == "true"
    assert int(ep["BatchSize"]) == batch_size
    assert int(ep["MaximumBatchingWindowInSeconds"]) == window
    assert int(ep["ScalingConfig"]["MaximumConcurrency"]) == concurrency
    # The role may consume that queue, and no other, and do nothing else with SQS.
    role = provider_role(res)
    sqs_stmts = [st for st in role_statements(res, role) if any(a.startswith("sqs:") for a in actions_of(st))]
    assert len(sqs_stmts) == 1, sqs_stmts
    (grant,) = sqs_stmts
    assert grant["Effect"] == "Allow" and sorted(actions_of(grant)) == SQS_CONSUME_ACTIONS
    assert as_list(grant["Resource"]) == [f"GetAtt:{main}.Arn"]
    assert "Condition" not in grant
    return {"function": fn_name, "topic": topic, "queue": main, "dead_letter_queue": dead}


@pytest.mark.parametrize("variant", PROVIDER_VARIANTS, ids=["defaults", "all-options"])
def test_provider_queued_service_token(variant):
    r = provider(variant)
    res = r.resources()
    found = check_queued_path(res, batch_size=int(variant.get("BatchSize", 500)),
                              window=int(variant.get("BatchingWindowSeconds", 2)),
                              concurrency=int(variant.get("MaximumConcurrency", 2)))
    check_topic_policy(res, found["topic"], org=variant.get("OrganizationId"))
    # The names other accounts derive: topic <ProviderName> (the child's queued ServiceToken).
    name = r.params["ProviderName"]
    topic = res[found["topic"]]["Properties"]
    assert topic["TopicName"] == name
    assert res[found["queue"]]["Properties"]["QueueName"] == f"{name}-requests"
    assert res[found["dead_letter_queue"]]["Properties"]["QueueName"] == f"{name}-requests-dlq"
    # Encrypted only with a customer managed key that is given (alias/aws/sns would lock out other accounts).
    if variant.get("TopicKmsKeyArn"):
        assert topic["KmsMasterKeyId"] == variant["TopicKmsKeyArn"]
    else:
        assert "KmsMasterKeyId" not in topic
    # Both ServiceTokens are outputs; the queue URLs too, for operations.
    outs = r.outputs()
    assert outs["ServiceToken"] == f"GetAtt:{found['function']}.Arn"
    assert outs["SnsServiceToken"] == f"Ref:{found['topic']}"
    assert outs["RequestQueueUrl"] == f"Ref:{found['queue']}"
    assert outs["DeadLetterQueueUrl"] == f"Ref:{found['dead_letter_queue']}"
    exports = {n: o["Export"]["Name"] for n, o in r.template["Outputs"].items() if "Export" in o}
    assert set(exports) == {"ServiceToken", "SnsServiceToken"}
    # The function no longer subscribes to the topic itself: SNS reaches it only through the queue.
    assert not [p for p in of_type(res, "AWS::Lambda::Permission").values()
                if p["Properties"]["Principal"] == "sns.amazonaws.com"]
    assert [s["Properties"]["Protocol"] for s in of_type(res, "AWS::SNS::Subscription").values()
            if s["Properties"]["TopicArn"] == f"Ref:{found['topic']}"] == ["sqs"]


def test_provider_direct_only():
    r = provider({"QueuedServiceToken": "false", "OrganizationId": "o-abcdefghij", "MaxChangesPerBatch": "7"})
    res = r.resources()
    for rtype in ("AWS::SNS::Topic", "AWS::SNS::TopicPolicy", "AWS::SNS::Subscription", "AWS::SQS::Queue",
                  "AWS::SQS::QueuePolicy", "AWS::Lambda::EventSourceMapping"):
        assert not of_type(res, rtype), rtype
    role, _ = one_of_type(res, "AWS::IAM::Role")
    assert not [a for st in role_statements(res, role) for a in actions_of(st) if a.startswith("sqs:")]
    outs = r.outputs()
    assert "SnsServiceToken" not in outs and "RequestQueueUrl" not in outs
    fn_name, fn = one_of_type(res, "AWS::Lambda::Function")
    assert outs["ServiceToken"] == f"GetAtt:{fn_name}.Arn"
    assert str(fn["Properties"]["Environment"]["Variables"]["DELEGATION_MAX_CHANGES_PER_BATCH"]) == "7"


def test_queued_parameters_and_bounds():
    params = load(CFN / "provider.yaml")["Parameters"]
    bounds = {name: (params[name]["Type"], params[name]["Default"], params[name]["MinValue"], params[name]["MaxValue"])
              for name in ("BatchSize", "BatchingWindowSeconds", "MaximumConcurrency", "MaxChangesPerBatch")}
    assert bounds == {
        "BatchSize": ("Number", 500, 1, 10000),
        "BatchingWindowSeconds": ("Number", 2, 0, 300),
        "MaximumConcurrency": ("Number", 2, 2, 1000),
        "MaxChangesPerBatch": ("Number", 100, 1, 100),
    }
    queued = params["QueuedServiceToken"]
    assert (queued["Type"], queued["Default"], sorted(queued["AllowedValues"])) == ("String", "true", ["false", "true"])
    assert "CreateSnsTopic" not in params, "replaced by QueuedServiceToken"
    key = re.compile(params["TopicKmsKeyArn"]["AllowedPattern"])
    assert params["TopicKmsKeyArn"]["Default"] == ""
    for good in ("", TOPIC_KEY, "arn:aws:kms:eu-west-1:111111111111:alias/sns-requests",
                 "arn:aws-cn:kms:cn-north-1:111111111111:key/mrk-1234abcd12ab34cd56ef1234567890ab"):
        assert key.fullmatch(good), good
    for bad in ("alias/aws/sns", "1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:sns:eu-west-1:111111111111:t"):
        assert not key.fullmatch(bad), bad


def rule_holds(rule: dict, params: dict[str, str]) -> bool:
    """Evaluates a template rule (Fn::Equals, Fn::Contains, Fn::Not, Ref) for given parameter values."""
    def ev(node):
        if isinstance(node, list):
            return [ev(x) for x in node]
        if not isinstance(node, dict):
            return str(node)
        (fn, args), = node.items()
        if fn == "Ref":
            return str(params[args])
        if fn == "Fn::Equals":
            a, b = ev(args)
            return a == b
        if fn == "Fn::Contains":
            items, value = ev(args)
            return value in items
        if fn == "Fn::Not":
            return not ev(args[0])
        raise AssertionError(f"unsupported rule function {fn}")
    if "RuleCondition" in rule and not ev(rule["RuleCondition"]):
        return True
    return all(ev(a["Assert"]) for a in rule["Assertions"])


def test_batch_size_above_ten_needs_a_batching_window():
    """SQS refuses a BatchSize above 10 with MaximumBatchingWindowInSeconds 0; the template says so first."""
    t = load(CFN / "provider.yaml")
    rule = t["Rules"]["BatchWindowForLargeBatches"]
    defaults = {k: str(v["Default"]) for k, v in t["Parameters"].items() if k in ("BatchSize", "BatchingWindowSeconds")}
    assert rule_holds(rule, defaults)
    for size, window, ok in [("10", "0", True), ("1", "0", True), ("11", "0", False), ("500", "0", False),
                             ("10000", "0", False), ("11", "1", True), ("10000", "300", True)]:
        assert rule_holds(rule, {"BatchSize": size, "BatchingWindowSeconds": window}) is ok, (size, window)


def test_queue_visibility_follows_the_function_timeout():
    """The visibility timeout is a literal: it must keep up with the function's Timeout and longest window."""
    res = provider().resources()
    _, fn = one_of_type(res, "AWS::Lambda::Function")
    window_max = load(CFN / "provider.yaml")["Parameters"]["BatchingWindowSeconds"]["MaxValue"]
    (queue,) = [q for q in of_type(res, "AWS::SQS::Queue").values() if "RedrivePolicy" in q["Properties"]]
    assert int(queue["Properties"]["VisibilityTimeout"]) >= 6 * int(fn["Properties"]["Timeout"]) + int(window_max)


def test_child_uses_the_queued_token_by_default():
    params = load(CFN / "child-account.yaml")["Parameters"]
    assert params["QueuedServiceToken"]["Default"] == "true"
    assert sorted(params["QueuedServiceToken"]["AllowedValues"]) == ["false", "true"]
    for region in ("eu-west-1", "cn-north-1"):
        _, d = one_of_type(child(region=region).resources(), "Custom::SubdomainDelegation")
        assert d["Properties"]["ServiceToken"] == f"arn:{PARTITION}:sns:{region}:{DNS_ACCOUNT}:subdomain-delegation"


def test_deployment_scripts_name_only_existing_parameters():
    """The StackSet scripts pass parameters the templates have (CreateSnsTopic, for one, is gone)."""
    provider_params = set(load(CFN / "provider.yaml")["Parameters"])
    child_params = set(load(CFN / "child-account.yaml")["Parameters"])
    stacksets = ROOT / "examples" / "stacksets"
    provider_script = (stacksets / "2-provider-stackset.sh").read_text()
    values = re.search(r"values = \{(.*?)\n\}", provider_script, re.S).group(1)
    named = set(re.findall(r'^\s*"([A-Za-z0-9]+)":', values, re.M))
    assert named and named <= provider_params, named - provider_params
    assert "QueuedServiceToken" in named
    child_script = (stacksets / "3-child-stackset.sh").read_text()
    keys = set(re.findall(r"ParameterKey=([A-Za-z0-9]+)", child_script))
    assert keys and keys <= child_params, keys - child_params
    assert "QueuedServiceToken" in keys
    env = (stacksets / "env.sh").read_text()
    assert re.search(r'^export QUEUED_SERVICE_TOKEN="true"$', env, re.M), "the StackSets use the queued token"
    for path in list(CFN.glob("*.yaml")) + list(stacksets.glob("*.sh")):
        assert "CreateSnsTopic" not in path.read_text(), path
        assert not re.search(r"\bCodeS3Bucket\b", path.read_text()), f"{path}: CodeS3Bucket became CodeS3BucketPrefix"
    assert {"CodeS3BucketPrefix", "CodeVersion", "OrganizationId"} <= named


def test_deploy_guide_covers_the_queued_path():
    text = (ROOT / "docs" / "deploy.md").read_text()
    for word in ("QueuedServiceToken", "SnsServiceToken", "BatchSize", "BatchingWindowSeconds", "MaximumConcurrency",
                 "MaxChangesPerBatch", "DELEGATION_MAX_CHANGES_PER_BATCH", "TopicKmsKeyArn", "ReportBatchItemFailures",
                 "Modifying service token is not allowed"):
        assert word in text, word


# --------------------------------------------------------------------------------------------------
# The scheduled audit (docs/design.md, "Audit" and "Events")

AUDIT_NAMESPACE = "SubdomainDelegation/Audit"
AUDIT_VARIANT = {"EnableAudit": "true", "AllowedRecordNames": "*.accounts.example.com"}


def audit_alarms(resources: dict) -> dict[str, dict]:
    """The alarms on the audit's metrics (as opposed to the operational ones)."""
    return {k: a for k, a in of_type(resources, "AWS::CloudWatch::Alarm").items()
            if AUDIT_NAMESPACE in json.dumps(a["Properties"].get("Metrics", []))}


def test_audit_is_off_by_default_and_adds_nothing():
    res = provider().resources()
    assert not of_type(res, "AWS::Scheduler::Schedule") and not audit_alarms(res)
    assert len(of_type(res, "AWS::IAM::Role")) == 1
    stmts = role_statements(res, provider_role(res))
    assert not [s for s in stmts if "route53:ListHostedZones" in actions_of(s)]
    params = load(CFN / "provider.yaml")["Parameters"]
    assert params["EnableAudit"]["Default"] == "false"
    assert params["AuditSchedule"]["Default"] == "rate(1 day)", "daily unless told otherwise"
    assert params["AuditRemoveDangling"]["Default"] == "false", "removal is opt-in"


@pytest.mark.parametrize("zones,parents,configured", [
    ("", None, "*"),
    ("", "Z0PARENT1,Z0PARENT2", "Z0PARENT1,Z0PARENT2"),
    ("Z0PARENT1,example.com", "Z0PARENT1,Z0PARENT2", "Z0PARENT1,example.com"),
])
def test_audit_schedule_invokes_the_function_with_the_audit_event(zones, parents, configured):
    params = {**AUDIT_VARIANT, "AuditZones": zones}
    if parents:
        params["ParentHostedZoneIds"] = parents
    r = provider(params)
    res = r.resources()
    fn_name, fn = one_of_type(res, "AWS::Lambda::Function")
    env = fn["Properties"]["Environment"]["Variables"]
    # The deployment's audit zones: AuditZones, else ParentHostedZoneIds ("*" = every zone listed).
    assert env["DELEGATION_AUDIT_ZONES"] == configured
    assert "DELEGATION_AUDIT_DISABLED" not in env
    _, schedule = one_of_type(res, "AWS::Scheduler::Schedule")
    p = schedule["Properties"]
    assert p["ScheduleExpression"] == "rate(1 day)" and p["State"] == "ENABLED"
    assert p["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = p["Target"]
    assert target["Arn"] == f"GetAtt:{fn_name}.Arn"
    event = json.loads(target["Input"])
    assert list(event) == ["subdomainDelegationAudit"], "the key the function dispatches on"
    # No settings: the scheduled run is exactly the deployment's audit.
    assert event["subdomainDelegationAudit"] == {}
    # Its own role: only the scheduler may assume it, only for this account, and it may only
    # invoke the function.
    role = str(target["RoleArn"])[len("GetAtt:"):-len(".Arn")]
    assert role != provider_role(res)
    (trust,) = statements(res[role]["Properties"]["AssumeRolePolicyDocument"])
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"} and actions_of(trust) == ["sts:AssumeRole"]
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": DNS_ACCOUNT}}
    granted = [(a, str(x)) for s in role_statements(res, role) for a in actions_of(s) for x in as_list(s["Resource"])]
    assert granted == [("lambda:InvokeFunction", f"GetAtt:{fn_name}.Arn")]
    # The expression parameter takes rate() and cron(), and nothing else.
    pattern = re.compile(load(CFN / "provider.yaml")["Parameters"]["AuditSchedule"]["AllowedPattern"])
    for good in ("rate(1 day)", "rate(6 hours)", "rate(30 minutes)", "cron(0 6 * * ? *)"):
        assert pattern.fullmatch(good), good
    for bad in ("", "rate(0 days)", "daily", "at(2030-01-01T00:00:00)", "rate(1 week)"):
        assert not pattern.fullmatch(bad), bad


def test_audit_permissions_are_read_only_additions():
    base = provider({"AllowedRecordNames": AUDIT_VARIANT["AllowedRecordNames"]}).resources()
    audit = provider(AUDIT_VARIANT).resources()
    before = role_statements(base, provider_role(base))
    after = role_statements(audit, provider_role(audit))
    added = [s for s in after if s not in before]
    assert [(s["Effect"], actions_of(s), as_list(s["Resource"])) for s in added] == [
        ("Allow", ["route53:ListHostedZones"], ["*"])], added
    assert all(s in after for s in before)
    # Removal adds no permission: the DELETEs are the provider's, within AllowedRecordNames.
    removing = provider({**AUDIT_VARIANT, "AuditRemoveDangling": "true"}).resources()
    assert role_statements(removing, provider_role(removing)) == after
    _, fn = one_of_type(removing, "AWS::Lambda::Function")
    env = fn["Properties"]["Environment"]["Variables"]
    assert env["DELEGATION_AUDIT_REMOVE_DANGLING"] == "true"
    assert env["DELEGATION_AUDIT_ALLOWED_NAMES"] == "*.accounts.example.com"
    _, fn = one_of_type(audit, "AWS::Lambda::Function")
    assert "DELEGATION_AUDIT_REMOVE_DANGLING" not in fn["Properties"]["Environment"]["Variables"]
    assert "DELEGATION_AUDIT_SECURITY_HUB" not in fn["Properties"]["Environment"]["Variables"]
    # Security Hub adds one statement: BatchImportFindings on the account's default product only.
    importing = provider({**AUDIT_VARIANT, "AuditSecurityHub": "true"}).resources()
    added = [s for s in role_statements(importing, provider_role(importing)) if s not in after]
    assert [(s["Effect"], actions_of(s)) for s in added] == [
        ("Allow", ["securityhub:BatchImportFindings"])], added
    assert added[0]["Resource"] == "arn:aws:securityhub:eu-west-1:111111111111:product/111111111111/default"
    _, fn = one_of_type(importing, "AWS::Lambda::Function")
    assert fn["Properties"]["Environment"]["Variables"]["DELEGATION_AUDIT_SECURITY_HUB"] == "true"
    # Without the audit, the function refuses every audit event.
    _, fn = one_of_type(base, "AWS::Lambda::Function")
    env = fn["Properties"]["Environment"]["Variables"]
    assert env["DELEGATION_AUDIT_DISABLED"] == "true" and "DELEGATION_AUDIT_ZONES" not in env


@pytest.mark.parametrize("email", ["", "dns-team@example.com"])
def test_audit_alarm_watches_dangling_and_dnssec_broken_delegations(email):
    res = provider({**AUDIT_VARIANT, "AlarmEmail": email}).resources()
    (alarm,) = audit_alarms(res).values()
    p = alarm["Properties"]
    stats = {m["Id"]: m["MetricStat"] for m in p["Metrics"] if "MetricStat" in m}
    verdicts = set()
    for stat in stats.values():
        metric = stat["Metric"]
        assert metric["Namespace"] == AUDIT_NAMESPACE and metric["MetricName"] == "Delegations"
        (dim,) = metric["Dimensions"]
        assert dim["Name"] == "Verdict"
        verdicts.add(dim["Value"])
        assert stat["Stat"] == "Sum" and stat["Period"] == 86400
    assert verdicts == {"dangling", "dnssec-broken"}
    (expr,) = [m for m in p["Metrics"] if "Expression" in m]
    assert expr["ReturnData"] is True and set(re.findall(r"[a-z]+", expr["Expression"])) == set(stats)
    assert p["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" and p["Threshold"] == 1
    # Every run reports every verdict, zeros included: no data means no audit, and a dead schedule
    # must alarm.
    assert p["TreatMissingData"] == "breaching"
    assert int(p["EvaluationPeriods"]) == 1
    topics = [k for k, t in of_type(res, "AWS::SNS::Topic").items() if is_alarm_topic(t)]
    if not email:
        assert not topics and "AlarmActions" not in p
        return
    (topic,) = topics
    assert p["AlarmActions"] == [f"Ref:{topic}"]
    (sub,) = [s for s in of_type(res, "AWS::SNS::Subscription").values()
              if s["Properties"]["TopicArn"] == f"Ref:{topic}"]
    assert sub["Properties"] == {"TopicArn": f"Ref:{topic}", "Protocol": "email", "Endpoint": email}
    (policy,) = [t for t in of_type(res, "AWS::SNS::TopicPolicy").values()
                 if t["Properties"]["Topics"] == [f"Ref:{topic}"]]
    (stmt,) = statements(policy["Properties"]["PolicyDocument"])
    assert stmt["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and actions_of(stmt) == ["sns:Publish"]
    assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": DNS_ACCOUNT}}


def test_audit_metrics_are_the_ones_the_function_publishes():
    """The alarm's namespace, metric and dimension are those src/audit/report.rs prints as EMF."""
    source = (ROOT / "src" / "audit" / "report.rs").read_text()
    assert f'METRIC_NAMESPACE: &str = "{AUDIT_NAMESPACE}"' in source
    assert 'METRIC_NAME: &str = "Delegations"' in source
    assert '[["ParentZone", "Verdict"], ["Verdict"]]' in source
    verdicts = (ROOT / "src" / "domain" / "verdict.rs").read_text()
    for v in ("dangling", "dnssec-broken"):
        assert f'=> "{v}"' in verdicts


# --------------------------------------------------------------------------------------------------
# Trust policy and ServiceToken wiring


def check_reader_trust(role: dict, provider_role_arn: str, external_id) -> None:
    trust = statements(role["Properties"]["AssumeRolePolicyDocument"])
    assert len(trust) == 1, "the reader role must have a single trust statement"
    (stmt,) = trust
    assert stmt["Effect"] == "Allow"
    assert actions_of(stmt) == ["sts:AssumeRole"]
    assert stmt["Principal"] == {"AWS": provider_role_arn}
    assert stmt["Condition"] == {"StringEquals": {"sts:ExternalId": external_id}}


@pytest.mark.parametrize("provider_name", [None, "dns-delegation"])
@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2"])
def test_child_trusts_exactly_the_role_the_provider_runs_as(provider_name, region):
    names = {"ProviderName": provider_name, "ReaderRoleNamePrefix": "dns-reader"} if provider_name else {}
    prov = provider(names, region=region)
    pres = prov.resources()
    fn_name, fn = one_of_type(pres, "AWS::Lambda::Function")
    # The role the provider function runs as, and its ARN once deployed in the DNS account.
    provider_role_arn = resolve_getatt(pres, fn["Properties"]["Role"], DNS_ACCOUNT, region)
    function_arn = arn_of(pres, fn_name, DNS_ACCOUNT, region)
    assert prov.outputs()["ServiceToken"] == f"GetAtt:{fn_name}.Arn"
    assert prov.outputs()["ProviderRoleArn"] == fn["Properties"]["Role"]

    ch = child(names, region=region)
    cres = ch.resources()
    role_name, role = one_of_type(cres, "AWS::IAM::Role")
    check_reader_trust(role, provider_role_arn, ch.params["ExternalId"])

    _, deleg = one_of_type(cres, "Custom::SubdomainDelegation")
    dp = deleg["Properties"]
    # By default the queued token: the provider's topic of this region, which it exports.
    topic, _ = one_of_type(pres, "AWS::SNS::Topic")
    assert dp["ServiceToken"] == arn_of(pres, topic, DNS_ACCOUNT, region), "ServiceToken must be the provider topic"
    assert prov.outputs()["SnsServiceToken"] == f"Ref:{topic}"
    # QueuedServiceToken=false: the direct token, the provider function of this region.
    direct = child({**names, "QueuedServiceToken": "false"}, region=region).resources()
    _, ddeleg = one_of_type(direct, "Custom::SubdomainDelegation")
    assert ddeleg["Properties"]["ServiceToken"] == function_arn, "ServiceToken must be the provider function"
    assert dp["ChildRoleArn"] == f"GetAtt:{role_name}.Arn"
    assert dp["ChildExternalId"] == ch.params["ExternalId"], "the ExternalId sent must be the one the role demands"
    zone, _ = one_of_type(cres, "AWS::Route53::HostedZone")
    assert dp["ChildHostedZoneId"] == f"Ref:{zone}"

    # The provider may assume the reader role (its name matches the provider's AssumeRole resource).
    reader_arn = arn_of(cres, role_name, CHILD_ACCOUNT, region)
    prole = provider_role(pres)
    patterns = [str(r) for s in role_statements(pres, prole) if "sts:AssumeRole" in actions_of(s)
                for r in as_list(s["Resource"])]
    assert any(fnmatch.fnmatchcase(reader_arn, p) for p in patterns), (reader_arn, patterns)


def test_child_reader_role_is_read_only_and_scoped():
    ch = child()
    res = ch.resources()
    role_name, role = one_of_type(res, "AWS::IAM::Role")
    zone, _ = one_of_type(res, "AWS::Route53::HostedZone")
    assert role["Properties"]["RoleName"] == f"subdomain-delegation-reader-{REGION}", "role name must be regional"
    stmts = role_statements(res, role_name)
    granted = {a: as_list(s["Resource"]) for s in stmts for a in actions_of(s)}
    assert granted == {
        "route53:GetHostedZone": [f"arn:aws:route53:::hostedzone/Ref:{zone}"],
        "route53:GetDNSSEC": [f"arn:aws:route53:::hostedzone/Ref:{zone}"],
        "cloudformation:DescribeStackResource": [ch.pseudo["AWS::StackId"]],
        "cloudformation:DescribeStacks": [ch.pseudo["AWS::StackId"]],
        "cloudformation:DescribeStackEvents": [ch.pseudo["AWS::StackId"]],
    }


def test_child_zone_scope_across_regions():
    # ZoneScope=account: zone, role and delegation only in HomeRegion; elsewhere just a placeholder.
    home = child(region="us-east-1", home="us-east-1").resources()
    other = child(region="eu-west-1", home="us-east-1").resources()
    assert {v["Type"] for v in home.values()} == {"AWS::Route53::HostedZone", "AWS::IAM::Role",
                                                  "Custom::SubdomainDelegation"}
    assert [v["Type"] for v in other.values()] == ["AWS::CloudFormation::WaitConditionHandle"]
    _, zone = one_of_type(home, "AWS::Route53::HostedZone")
    assert zone["Properties"]["Name"] == f"{CHILD_ACCOUNT}.accounts.example.com"
    # ZoneScope=region: a zone per region, with distinct names and distinct reader roles.
    names, roles = set(), set()
    for region in ("us-east-1", "eu-west-1"):
        res = child({"ZoneScope": "region", "SubdomainLabel": "dev"}, region=region, home="us-east-1").resources()
        names.add(one_of_type(res, "AWS::Route53::HostedZone")[1]["Properties"]["Name"])
        roles.add(one_of_type(res, "AWS::IAM::Role")[1]["Properties"]["RoleName"])
    assert names == {"us-east-1.dev.accounts.example.com", "eu-west-1.dev.accounts.example.com"}
    assert len(roles) == 2
    # HomeRegion left empty: a single stack creates everything in its own region.
    here = Renderer(load(CFN / "child-account.yaml"),
                    {"ProviderAccountId": DNS_ACCOUNT, "ExternalId": "ext-id-1", "DomainSuffix": "accounts.example.com"},
                    account=CHILD_ACCOUNT, region="ap-south-1").resources()
    assert len(of_type(here, "Custom::SubdomainDelegation")) == 1


def test_child_parent_zone_properties():
    # Neither given (the default): the provider finds the parent zone from the child zone's name.
    params = load(CFN / "child-account.yaml")["Parameters"]
    assert params["ParentHostedZoneName"]["Default"] == "" and params["ParentHostedZoneId"]["Default"] == ""
    _, d = one_of_type(child().resources(), "Custom::SubdomainDelegation")
    assert "ParentHostedZoneName" not in d["Properties"] and "ParentHostedZoneId" not in d["Properties"]
    by_name = child({"ParentHostedZoneName": "example.com"}).resources()
    _, d = one_of_type(by_name, "Custom::SubdomainDelegation")
    assert d["Properties"]["ParentHostedZoneName"] == "example.com"
    assert "ParentHostedZoneId" not in d["Properties"]
    for p in ({"ParentHostedZoneId": "Z0PARENT"}, {"ParentHostedZoneId": "Z0PARENT", "ParentHostedZoneName": "example.com"}):
        _, d = one_of_type(child(p).resources(), "Custom::SubdomainDelegation")
        assert d["Properties"]["ParentHostedZoneId"] == "Z0PARENT"
        assert "ParentHostedZoneName" not in d["Properties"], "the ID wins"
    pattern = re.compile(params["ParentHostedZoneName"]["AllowedPattern"])
    for good in ("", "example.com", "example.com.", "Example.COM", "xn--bcher-kva.example"):
        assert pattern.fullmatch(good), good
    for bad in ("example..com", "exa mple.com", ".example.com"):
        assert not pattern.fullmatch(bad), bad


def test_child_service_timeout_covers_the_queued_path():
    """ServiceTimeout on the resource: long enough for the queued path, shorter than CloudFormation's hour."""
    param = load(CFN / "child-account.yaml")["Parameters"]["ServiceTimeout"]
    assert (param["Type"], param["MinValue"], param["MaxValue"]) == ("Number", 1, 3600)
    provider_template = load(CFN / "provider.yaml")
    window = provider_template["Parameters"]["BatchingWindowSeconds"]["MaxValue"]
    timeout = provider_template["Resources"]["Function"]["Properties"]["Timeout"]
    # The longest window, a batch ahead at the function's full timeout, and this request's own batch.
    assert window + 2 * timeout <= param["Default"] <= 3600
    for region, home in (("eu-west-1", None), ("us-west-2", "us-west-2")):
        _, d = one_of_type(child(region=region, home=home).resources(), "Custom::SubdomainDelegation")
        assert d["Properties"]["ServiceTimeout"] == param["Default"]
    _, d = one_of_type(child({"ServiceTimeout": "3600"}).resources(), "Custom::SubdomainDelegation")
    assert str(d["Properties"]["ServiceTimeout"]) == "3600"


def test_parent_delegations_wiring():
    params = {"ParentHostedZoneId": "Z0PARENT", "DevAccountId": CHILD_ACCOUNT, "DevChildHostedZoneId": "Z0DEV",
              "DevExternalId": "ext-id-1", "LocalChildHostedZoneId": "Z0LAB"}
    par = Renderer(load(CFN / "parent-delegations.yaml"), params, account=DNS_ACCOUNT)
    res = par.resources()
    prov = provider().resources()
    fn_name, _ = one_of_type(prov, "AWS::Lambda::Function")
    delegations = of_type(res, "Custom::SubdomainDelegation")
    assert len(delegations) == 2
    for d in delegations.values():
        assert d["Properties"]["ServiceToken"] == arn_of(prov, fn_name, DNS_ACCOUNT)
    dev = delegations["DevDelegation"]["Properties"]
    # The cross-account child role is the one cfn/child-account.yaml creates in that account and region.
    cres = child().resources()
    reader, _ = one_of_type(cres, "AWS::IAM::Role")
    assert dev["ChildRoleArn"] == arn_of(cres, reader, CHILD_ACCOUNT)
    assert dev["ChildExternalId"] == "ext-id-1"
    local = delegations["LocalDelegation"]["Properties"]
    assert "ChildRoleArn" not in local, "a child zone in the provider's account is read with its own credentials"


def test_delegations_use_documented_properties_only():
    templates = {p.name: load(p) for p in sorted(CFN.glob("*.yaml"))}
    templates.update({p.name: json.loads(p.read_text()) for p in sorted(CDK_OUT.glob("*.template.json"))})
    count = 0
    for name, t in templates.items():
        for logical, res in t.get("Resources", {}).items():
            if res["Type"].startswith("Custom::") or res["Type"] == "AWS::CloudFormation::CustomResource":
                assert res["Type"] == "Custom::SubdomainDelegation", f"{name}:{logical}"
                unknown = set(res["Properties"]) - RESOURCE_PROPERTIES
                assert not unknown, f"{name}:{logical} has unknown properties {unknown}"
                assert "ChildHostedZoneId" in res["Properties"] and "ServiceToken" in res["Properties"]
                count += 1
    assert count >= 5


def test_no_template_sets_test_only_variables():
    # Decoded templates (comments, which may name the variables to warn about them, are not data).
    docs = {p.name: json.dumps(load(p)) for p in sorted(CFN.glob("*.yaml"))}
    docs.update({p.name: p.read_text() for p in sorted(CDK_OUT.glob("*.template.json"))})
    assert len(docs) >= 6
    for name, text in docs.items():
        for var in FORBIDDEN_ENV:
            assert var not in text, f"{name} sets {var}"
    for d in (ROOT / "examples" / "cdk" / "lib", ROOT / "examples" / "cdk" / "bin"):
        for p in sorted(d.glob("*.ts")):
            code = re.sub(r"//.*", "", p.read_text())
            for var in FORBIDDEN_ENV:
                assert var not in code, f"{p} sets {var}"


# --------------------------------------------------------------------------------------------------
# The CDK app's synthesized output


def cdk(stack: str, account: str, region: str = REGION) -> Renderer:
    return Renderer(cdk_template(stack), {"BootstrapVersion": "/cdk-bootstrap/hnb659fds/version"},
                    account=account, region=region,
                    stack_id=f"arn:aws:cloudformation:{region}:{account}:stack/{stack}/uuid")


def test_cdk_provider_and_child_wiring():
    prov = cdk("SubdomainDelegationProvider", DNS_ACCOUNT)
    pres = prov.resources()
    fn_name, fn = one_of_type(pres, "AWS::Lambda::Function")
    p = fn["Properties"]
    assert p["Runtime"] == "provided.al2023" and p["Handler"] == "bootstrap" and p["Timeout"] == 300
    assert p["LoggingConfig"]["LogFormat"] == "JSON"
    env = p["Environment"]["Variables"]
    assert PROVIDER_ENV <= set(env) <= PROVIDER_ENV | OPTIONAL_CDK_ENV, set(env)
    assert env["DELEGATION_PARENT_ROLE_ARNS"] == "" and env["DELEGATION_ROUTE53_REQUESTS_PER_SECOND"] == "10"
    assert env["DELEGATION_MAX_CHANGES_PER_BATCH"] == "100"
    assert p["ReservedConcurrentExecutions"] == 20
    _, eic = one_of_type(pres, "AWS::Lambda::EventInvokeConfig")
    assert eic["Properties"] == {"FunctionName": f"Ref:{fn_name}", "Qualifier": "$LATEST",
                                 "MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 1}
    role, _ = one_of_type(pres, "AWS::IAM::Role")
    stmts = role_statements(pres, role)
    check_change_scope(stmts, ["*.example.com"], ["example.com"])
    assert not change_allowed(stmts, "Z0EXAMPLEPARENT", ["example.com"])
    assert change_allowed(stmts, "Z0EXAMPLEPARENT", ["lab.example.com"], types=("NS", "DS"))
    assumes = [str(r) for s in stmts if "sts:AssumeRole" in actions_of(s) for r in as_list(s["Resource"])]
    assert assumes == ["arn:aws:iam::*:role/subdomain-delegation-reader-*"], "no parent role is configured"
    (verify,) = [s for s in stmts if any(a.startswith("cloudformation:") for a in actions_of(s))]
    assert sorted(actions_of(verify)) == VERIFY_ACTIONS
    assert as_list(verify["Resource"]) == [f"arn:aws:cloudformation:{REGION}:{DNS_ACCOUNT}:stack/*/*"]
    provider_role_arn = resolve_getatt(pres, p["Role"], DNS_ACCOUNT)

    ch = cdk("SubdomainDelegationChild", CHILD_ACCOUNT)
    cres = ch.resources()
    reader, rrole = one_of_type(cres, "AWS::IAM::Role")
    _, deleg = one_of_type(cres, "Custom::SubdomainDelegation")
    dp = deleg["Properties"]
    check_reader_trust(rrole, provider_role_arn, dp["ChildExternalId"])
    (verify,) = [s for s in role_statements(cres, reader) if any(a.startswith("cloudformation:") for a in actions_of(s))]
    assert sorted(actions_of(verify)) == VERIFY_ACTIONS
    assert as_list(verify["Resource"]) == [ch.pseudo["AWS::StackId"]]
    # The child stack uses the queued token (cdk.json childServiceToken=queued): the provider's topic.
    topic, _ = one_of_type(pres, "AWS::SNS::Topic")
    assert dp["ServiceToken"] == arn_of(pres, topic, DNS_ACCOUNT)
    assert dp["ChildRoleArn"] == f"GetAtt:{reader}.Arn"

    par = cdk("SubdomainDelegationParent", DNS_ACCOUNT)
    _, pd = one_of_type(par.resources(), "Custom::SubdomainDelegation")
    token = str(pd["Properties"]["ServiceToken"])
    assert token.startswith("Import:"), "the parent stack takes the provider's ServiceToken by reference"
    exported = {str(prov.render(o["Export"]["Name"])): prov.render(o["Value"])
                for o in prov.template.get("Outputs", {}).values() if "Export" in o}
    assert exported[token[len("Import:"):]] == f"GetAtt:{fn_name}.Arn"


def cdk_organization() -> str | None:
    """The organization the CDK example's provider admits (cdk.json context organizationId)."""
    context = json.loads((ROOT / "examples" / "cdk" / "cdk.json").read_text())["context"]
    return context.get("organizationId") or None


def test_cdk_queued_path_matches_the_template():
    prov = cdk("SubdomainDelegationProvider", DNS_ACCOUNT)
    res = prov.resources()
    found = check_queued_path(res, batch_size=500, window=2, concurrency=2)
    check_topic_policy(res, found["topic"], org=cdk_organization())
    outs = prov.outputs()
    assert outs["ServiceToken"] == f"GetAtt:{found['function']}.Arn"
    assert outs["SnsServiceToken"] == f"Ref:{found['topic']}"
    _, topic = one_of_type(res, "AWS::SNS::Topic")
    assert "KmsMasterKeyId" not in topic["Properties"]


def test_every_documented_provider_deployment_passes_allowed_record_names():
    """AllowedRecordNames has no default: each command that deploys cfn/provider.yaml must give it."""
    docs = ROOT / "docs" / "deploy.md"
    chunks = re.split(r"\n(?=aws cloudformation )", docs.read_text())
    # An update of an existing stack (the guide says deploy keeps the parameters not given) may omit them.
    commands = [c for before, c in zip([""] + chunks, chunks)
                if c.startswith("aws cloudformation deploy") and "/provider.yaml" in c.split("\n\n")[0]
                and "keeps every parameter not given" not in before.rsplit("\n", 1)[-1]]
    assert commands, "docs/deploy.md deploys cfn/provider.yaml"
    for c in commands:
        block = c.split("\n\n")[0]
        assert "AllowedRecordNames=" in block and "ParentZoneApexNames=" in block, block
    script = (ROOT / "examples" / "stacksets" / "2-provider-stackset.sh").read_text()
    assert '"AllowedRecordNames":' in script and '"ParentZoneApexNames":' in script
    cdk_json = json.loads((ROOT / "examples" / "cdk" / "cdk.json").read_text())["context"]
    assert cdk_json["allowedRecordNames"] and cdk_json["parentZoneApexNames"]


def test_templates_render_without_leftover_intrinsics():
    """Guards the evaluator itself: every rendered value is plain data."""
    renders = [provider(v) for v in PROVIDER_VARIANTS] + [child(), child(region="us-west-2", home="us-east-1")]
    for r in renders:
        text = json.dumps(r.resources())
        assert "Fn::" not in text and '"Ref"' not in text, text
    assert copy.deepcopy(PROVIDER_VARIANTS[0]) == {}


def test_checkov_skips_are_justified_in_the_template():
    docs = {p.name: load(p) for p in sorted(CFN.glob("*.yaml"))}
    docs.update({p.name: json.loads(p.read_text()) for p in sorted(CDK_OUT.glob("*.template.json"))})
    skips = 0
    for name, t in docs.items():
        for logical, res in t.get("Resources", {}).items():
            for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
                assert re.fullmatch(r"CKV2?_AWS_[0-9]+", skip["id"]), f"{name}:{logical} {skip}"
                assert len(skip.get("comment", "").strip()) >= 30, f"{name}:{logical} skips {skip['id']} without a reason"
                skips += 1
    assert skips > 0


def test_the_served_resource_types_reach_the_function():
    """Verification refuses a request naming a type the provider does not serve (another
    provider's custom resource in progress cannot be borrowed); the template wires the list."""
    template = load(ROOT / "cfn" / "provider.yaml")
    param = template["Parameters"]["ResourceTypes"]
    assert param["Default"] == "Custom::SubdomainDelegation"
    env = template["Resources"]["Function"]["Properties"]["Environment"]["Variables"]
    assert env["DELEGATION_RESOURCE_TYPES"] == {"Ref": "ResourceTypes"}
    pattern = re.compile(param["AllowedPattern"])
    assert pattern.match("Custom::SubdomainDelegation,AWS::CloudFormation::CustomResource")
    assert not pattern.match("AWS::S3::Bucket")


# --------------------------------------------------------------------------------------------------
# Code location: one bucket prefix for every region, a versioned key per architecture


def cargo_version() -> str:
    return re.search(r'^\[package\].*?^version = "([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.S | re.M).group(1)


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2", "cn-north-1"])
@pytest.mark.parametrize("arch", ["arm64", "x86_64"])
def test_code_comes_from_the_regional_bucket_under_the_versioned_key(region, arch):
    r = provider({"CodeS3BucketPrefix": "dns-code-111111111111", "Architecture": arch}, region=region)
    _, fn = one_of_type(r.resources(), "AWS::Lambda::Function")
    version = r.params["CodeVersion"]
    assert fn["Properties"]["Architectures"] == [arch]
    assert fn["Properties"]["Code"] == {
        "S3Bucket": f"dns-code-111111111111-{region}",
        "S3Key": f"subdomain-delegation/{version}/subdomain-delegation-{version}-{arch}.zip",
    }
    # The key scripts/release names its zips by (dist/<version>/<name>), uploaded under subdomain-delegation/<version>/.
    release = (ROOT / "scripts" / "release").read_text()
    assert 'cp "$zip" "$stage/$bin_name-$version-$arch.zip"' in release and 'bin_name="subdomain-delegation"' in release
    # An override of the key, and an object version.
    own = provider({"CodeS3Key": "builds/own.zip", "CodeS3ObjectVersion": "v7"}, region=region)
    _, fn = one_of_type(own.resources(), "AWS::Lambda::Function")
    assert fn["Properties"]["Code"] == {"S3Bucket": f"artifacts-111111111111-{region}", "S3Key": "builds/own.zip",
                                        "S3ObjectVersion": "v7"}


def test_code_parameters():
    params = load(CFN / "provider.yaml")["Parameters"]
    assert "CodeS3Bucket" not in params, "replaced by CodeS3BucketPrefix"
    assert "Default" not in params["CodeS3BucketPrefix"]
    prefix = re.compile(params["CodeS3BucketPrefix"]["AllowedPattern"])
    longest_region = "ap-southeast-5"
    for good in ("a", "dns-code-111111111111", "x" * 48, "my.code.bucket"):
        assert prefix.fullmatch(good), good
        assert 3 <= len(f"{good}-{longest_region}") <= 63, "a valid bucket name in every region"
    for bad in ("", "x" * 49, "Code", "code-", "-code", "code_bucket", "code.", "s3://code"):
        assert not prefix.fullmatch(bad), bad
    version = params["CodeVersion"]
    # The templates' default is the crate's version: a release's templates run that release's code.
    assert version["Default"] == cargo_version()
    pattern = re.compile(version["AllowedPattern"])
    for good in ("0.1.0", "1.20.3", "2.0.0-rc.1"):
        assert pattern.fullmatch(good), good
    for bad in ("", "v0.1.0", "0.1", "0.1.0/../x", "latest"):
        assert not pattern.fullmatch(bad), bad
    assert params["CodeS3Key"]["Default"] == ""


# --------------------------------------------------------------------------------------------------
# Operations: metrics, alarms, dashboard


def alarms_by_metric(resources: dict) -> dict[str, dict]:
    """Operational alarms by the metric they watch (namespace/metric of a single-metric alarm)."""
    out = {}
    for name, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items():
        p = alarm["Properties"]
        if "MetricName" in p:
            out[f"{p['Namespace']}/{p['MetricName']}"] = {"name": name, **p}
    return out


# The metrics src/cfn/metrics.rs prints (Embedded Metric Format), each with FunctionName.
FUNCTION_METRICS = ("Requests", "Route53Calls", "Throttles", "Duration", "BatchMessages", "ParentCalls",
                    "BatchThrottles", "BatchDuration")


def test_alarms_and_dashboard_watch_the_metrics_the_function_prints():
    """The names and dimension sets the template uses are those src/cfn/metrics.rs prints."""
    source = (ROOT / "src" / "cfn" / "metrics.rs").read_text()
    for metric in FUNCTION_METRICS:
        assert f'{{"Name": "{metric}", "Unit": ' in source, metric
    # The FAILED alarm's dimension set, and the dashboard's.
    assert '["FunctionName", "RequestType", "Outcome"], ["FunctionName", "Outcome"]' in source
    assert '"Dimensions": [["FunctionName"]]' in source


def test_parent_discovery_scope_reaches_the_function():
    """Discovery (no parent named) chooses among ParentHostedZoneIds, the zones the role may write."""
    assert "DELEGATION_PARENT_ZONE_IDS" in (ROOT / "docs" / "design.md").read_text()
    for zones in ("*", "Z0PARENT1,Z0PARENT2"):
        res = provider({"ParentHostedZoneIds": zones}).resources()
        _, fn = one_of_type(res, "AWS::Lambda::Function")
        assert fn["Properties"]["Environment"]["Variables"]["DELEGATION_PARENT_ZONE_IDS"] == zones
        write = next(s for s in role_statements(res, provider_role(res))
                     if "route53:ChangeResourceRecordSets" in actions_of(s) and s["Effect"] == "Allow")
        assert sorted(as_list(write["Resource"])) == sorted(f"arn:*:route53:::hostedzone/{z}" for z in zones.split(","))


def test_metrics_namespace_reaches_the_function():
    params = load(CFN / "provider.yaml")["Parameters"]
    ns = params["MetricsNamespace"]
    source = (ROOT / "src" / "config" / "metrics.rs").read_text()
    assert f'DEFAULT_METRICS_NAMESPACE: &str = "{ns["Default"]}"' in source, "the function's own default"
    assert '"DELEGATION_METRICS_NAMESPACE"' in source
    pattern = re.compile(ns["AllowedPattern"])
    for good in ("", "SubdomainDelegation", "Platform/DNS", "a:b#c_d-e.f", "x" * 255, "Platform DNS"):
        assert pattern.fullmatch(good), good
    for bad in ("AWS/Lambda", "x" * 256, "bad{name}", " leading", "dns\n"):
        assert not pattern.fullmatch(bad), bad
    for value in ("", "Platform/DNS"):
        _, fn = one_of_type(provider({"MetricsNamespace": value}).resources(), "AWS::Lambda::Function")
        assert fn["Properties"]["Environment"]["Variables"]["DELEGATION_METRICS_NAMESPACE"] == value


@pytest.mark.parametrize("email", ["", "dns-team@example.com"])
def test_operational_alarms(email):
    r = provider({"AlarmEmail": email, "ProviderName": "dns-delegation"})
    res = r.resources()
    fn_name, _ = one_of_type(res, "AWS::Lambda::Function")
    found = check_queued_path(res, batch_size=500, window=2, concurrency=2)
    by_metric = alarms_by_metric(res)
    # Function errors (crashes, init errors) and throttles, on this function.
    for metric in ("AWS/Lambda/Errors", "AWS/Lambda/Throttles"):
        a = by_metric[metric]
        assert a["Dimensions"] == [{"Name": "FunctionName", "Value": f"Ref:{fn_name}"}]
        assert (a["Statistic"], a["ComparisonOperator"], a["Threshold"]) == ("Sum", "GreaterThanThreshold", 0)
        assert a["TreatMissingData"] == "notBreaching"
    # The dead-letter queue: any visible message alarms.
    dlq = by_metric["AWS/SQS/ApproximateNumberOfMessagesVisible"]
    assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": f"GetAtt:{found['dead_letter_queue']}.QueueName"}]
    assert (dlq["Statistic"], dlq["ComparisonOperator"], dlq["Threshold"]) == ("Maximum", "GreaterThanThreshold", 0)
    assert int(dlq["EvaluationPeriods"]) == 1
    # FAILED requests, from the function's own metric, dimension set (FunctionName, Outcome): every
    # request type at once (malformed requests included).
    failed = by_metric["SubdomainDelegation/Requests"]
    assert failed["Dimensions"] == [{"Name": "FunctionName", "Value": f"Ref:{fn_name}"},
                                    {"Name": "Outcome", "Value": "FAILED"}]
    assert (failed["Statistic"], failed["ComparisonOperator"], failed["Threshold"]) == ("Sum", "GreaterThanThreshold", 0)
    assert failed["TreatMissingData"] == "notBreaching"
    # Every alarm notifies the one alarm topic, when there is an address.
    assert len(by_metric) == 4
    alarms = [a["Properties"] for a in of_type(res, "AWS::CloudWatch::Alarm").values()]
    assert len(alarms) == 4
    topics = [k for k, t in of_type(res, "AWS::SNS::Topic").items() if is_alarm_topic(t)]
    if email:
        (topic,) = topics
        for a in alarms:
            assert a["AlarmActions"] == [f"Ref:{topic}"] and a["OKActions"] == [f"Ref:{topic}"]
        (sub,) = [s["Properties"] for s in of_type(res, "AWS::SNS::Subscription").values()
                  if s["Properties"]["TopicArn"] == f"Ref:{topic}"]
        assert (sub["Protocol"], sub["Endpoint"]) == ("email", email)
        assert r.outputs()["AlarmTopicArn"] == f"Ref:{topic}"
    else:
        assert not topics and all("AlarmActions" not in a for a in alarms)
    outs = r.outputs()
    for out in ("FunctionErrorsAlarmName", "FunctionThrottlesAlarmName", "DeadLetterQueueAlarmName",
                "FailedRequestsAlarmName"):
        assert str(outs[out]).startswith("Ref:"), out


def test_alarms_follow_the_options():
    # Direct only: no queue, no dead-letter alarm.
    direct = alarms_by_metric(provider({"QueuedServiceToken": "false"}).resources())
    assert "AWS/SQS/ApproximateNumberOfMessagesVisible" not in direct and "AWS/Lambda/Errors" in direct
    # No metrics namespace (metrics off), or the alarm turned off: no FAILED-requests alarm.
    for params in ({"MetricsNamespace": ""}, {"AlarmOnFailedRequests": "false"}):
        by_metric = alarms_by_metric(provider(params).resources())
        assert not [m for m in by_metric if m.endswith("/Requests")], params
        assert "AWS/Lambda/Errors" in by_metric
    # The namespace follows the parameter.
    assert "Platform/DNS/Requests" in alarms_by_metric(provider({"MetricsNamespace": "Platform/DNS"}).resources())
    params = load(CFN / "provider.yaml")["Parameters"]
    assert params["AlarmOnFailedRequests"]["Default"] == "true" and params["CreateDashboard"]["Default"] == "false"


def dashboard_of(params: dict, region: str = REGION) -> tuple[dict, dict]:
    res = provider({"CreateDashboard": "true", **params}, region=region).resources()
    _, d = one_of_type(res, "AWS::CloudWatch::Dashboard")
    return res, {"name": d["Properties"]["DashboardName"], "body": json.loads(d["Properties"]["DashboardBody"])}


def widget_metrics(body: dict) -> list[list]:
    """Every metric of the body's metric widgets, with the '.' shorthand expanded."""
    out = []
    for w in body["widgets"]:
        previous: list = []
        for m in w["properties"].get("metrics", []):
            values = [x for x in m if not isinstance(x, dict)]
            full = [previous[i] if v == "." else v for i, v in enumerate(values)]
            out.append(full)
            previous = full
    return out


def test_dashboard_is_optional_and_shows_every_part():
    assert not of_type(provider().resources(), "AWS::CloudWatch::Dashboard"), "off by default"
    res, d = dashboard_of({"EnableAudit": "true", "ProviderName": "dns-delegation"}, region="eu-central-1")
    assert d["name"] == "dns-delegation-eu-central-1", "dashboards are global: one name per region"
    fn_name, _ = one_of_type(res, "AWS::Lambda::Function")
    log_group, _ = one_of_type(res, "AWS::Logs::LogGroup")
    metrics = widget_metrics(d["body"])
    named = {(m[0], m[1]) for m in metrics}
    for metric in FUNCTION_METRICS:
        assert ("SubdomainDelegation", metric) in named, metric
    outcomes = {(m[m.index("RequestType") + 1], m[m.index("Outcome") + 1]) for m in metrics if m[1] == "Requests"}
    assert outcomes == {(k, o) for k in ("Create", "Update", "Delete") for o in ("SUCCESS", "FAILED")}
    for m in metrics:
        if m[0] == "SubdomainDelegation":
            assert m[m.index("FunctionName") + 1] == f"Ref:{fn_name}"
    queues = {m[3] for m in metrics if m[0] == "AWS/SQS"}
    assert queues == {"GetAtt:RequestQueue.QueueName", "GetAtt:RequestDeadLetterQueue.QueueName"}
    verdicts = {m[3] for m in metrics if m[0] == AUDIT_NAMESPACE}
    assert verdicts == {"ok", "dangling", "dnssec-broken", "lame", "stale", "unknown"}
    (logs,) = [w for w in d["body"]["widgets"] if w["type"] == "log"]
    assert f"SOURCE 'Ref:{log_group}'" in logs["properties"]["query"]
    assert 'status = "FAILED"' in logs["properties"]["query"]
    assert all(w["properties"]["region"] == "eu-central-1" for w in d["body"]["widgets"])
    # Parts that are off leave their widgets out: no queue, no metrics, no audit.
    _, bare = dashboard_of({"QueuedServiceToken": "false", "MetricsNamespace": ""})
    assert {m[0] for m in widget_metrics(bare["body"])} == {"AWS/Lambda"}
    assert [w["type"] for w in bare["body"]["widgets"]] == ["metric", "log"]
    # Widgets never overlap.
    cells = set()
    for w in d["body"]["widgets"]:
        area = {(x, y) for x in range(w["x"], w["x"] + w["width"]) for y in range(w["y"], w["y"] + w["height"])}
        assert not cells & area, w["properties"]["title"]
        cells |= area


# --------------------------------------------------------------------------------------------------
# Size, the SAM application, the release


TEMPLATE_BODY_LIMIT = 51_200  # bytes CloudFormation takes inline (--template-body, `deploy` without --s3-bucket)


def test_templates_fit_in_a_template_body():
    for path in sorted(CFN.glob("*.yaml")) + [ROOT / "sam" / "template.yaml"]:
        assert path.stat().st_size <= TEMPLATE_BODY_LIMIT, f"{path} is over {TEMPLATE_BODY_LIMIT} bytes"


def sam_module(name: str):
    import importlib.util
    import sys as _sys
    _sys.dont_write_bytecode = True
    spec = importlib.util.spec_from_file_location(f"sam_{name}", ROOT / "sam" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sam_template_is_generated_from_the_provider_template():
    generate = sam_module("generate")
    on_disk = (ROOT / "sam" / "template.yaml").read_text()
    app = json.loads((ROOT / "sam" / "application.json").read_text())
    assert on_disk == generate.generate((CFN / "provider.yaml").read_text(), app, cargo_version()), \
        "sam/template.yaml is out of date: run python3 sam/generate.py"
    sam, prov = load(ROOT / "sam" / "template.yaml"), load(CFN / "provider.yaml")
    assert sam["Transform"] == "AWS::Serverless-2016-10-31"
    for section in ("Parameters", "Rules", "Conditions", "Resources", "Outputs", "Description"):
        assert sam[section] == prov[section], section
    assert sam["Metadata"]["AWS::CloudFormation::Interface"] == prov["Metadata"]["AWS::CloudFormation::Interface"]
    # A release's copies: the version's default CodeVersion, the rest unchanged.
    other = generate.set_code_version((CFN / "provider.yaml").read_text(), "9.8.7")
    assert 'Default: "9.8.7"' in other and other.replace('"9.8.7"', f'"{cargo_version()}"', 1) == (CFN / "provider.yaml").read_text()
    with pytest.raises(SystemExit):
        generate.set_code_version(other, "latest")


def test_sam_application_metadata():
    sam = load(ROOT / "sam" / "template.yaml")
    app = sam["Metadata"]["AWS::ServerlessRepo::Application"]
    assert set(app) == {"Name", "Description", "Author", "SpdxLicenseId", "LicenseUrl", "ReadmeUrl", "Labels",
                        "HomePageUrl", "SemanticVersion", "SourceCodeUrl"}
    # The Serverless Application Repository's constraints on each field.
    assert re.fullmatch(r"[a-zA-Z0-9\-]{1,140}", app["Name"])
    assert 1 <= len(app["Description"]) <= 256
    assert re.fullmatch(r"[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?", app["Author"]) and len(app["Author"]) <= 127
    assert 1 <= len(app["Labels"]) <= 10
    assert all(re.fullmatch(r"[a-zA-Z0-9+\-_:/@]{1,127}", label) for label in app["Labels"])
    assert app["HomePageUrl"].startswith("https://") and app["SourceCodeUrl"].startswith("https://")
    assert app["SemanticVersion"] == cargo_version() == sam["Parameters"]["CodeVersion"]["Default"]
    # The license is the crate's, and the files the metadata names exist beside the template.
    cargo_license = re.search(r'^license = "([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)
    assert app["SpdxLicenseId"] == cargo_license == "Apache-2.0"
    license_text = (ROOT / "sam" / app["LicenseUrl"]).resolve().read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text, "the full text"
    readme = (ROOT / "sam" / app["ReadmeUrl"]).resolve()
    assert readme == ROOT / "sam" / "README.md" and "Custom::SubdomainDelegation" in readme.read_text()


def test_sam_template_transforms_to_the_provider():
    """The SAM translator (offline, a made-up account and region) gives the provider's resources, no errors."""
    translate = sam_module("translate")
    sam, prov = load(ROOT / "sam" / "template.yaml"), load(CFN / "provider.yaml")
    for region in ("eu-west-1", "cn-north-1"):
        out = translate.translate(json.loads(json.dumps(sam, default=str)), region, "123456789012")
        assert translate.check(out, sam, prov) == []
        assert out["Resources"]["Function"]["Type"] == "AWS::Lambda::Function"
        assert set(out["Resources"]) == set(prov["Resources"])


def test_release_script_writes_what_the_guide_verifies():
    release = (ROOT / "scripts" / "release").read_text()
    assert "sha256sum >SHA256SUMS" in release and "sha256sum -c SHA256SUMS" in release
    assert "x86_64 arm64" in release, "both architectures by default"
    assert "sam/generate.py --version" in release and "--provider-output" in release
    guide = (ROOT / "docs" / "deploy.md").read_text()
    assert "sha256sum -c SHA256SUMS" in guide and "scripts/release" in guide
    assert re.search(r"^/dist/$", (ROOT / ".gitignore").read_text(), re.M), "dist/ is not committed"


# --------------------------------------------------------------------------------------------------
# The deployment guide and the StackSet scripts


def test_no_reference_to_documents_outside_the_repository():
    paths = sorted(CFN.glob("*.yaml")) + sorted(f for f in (ROOT / "examples" / "stacksets").iterdir() if f.is_file()) + [
        ROOT / "docs" / "deploy.md", ROOT / "sam" / "README.md"]
    for path in paths:
        text = path.read_text()
        assert not re.search(r"\bcontract\b", text, re.I), f"{path} cites the old contract"
        assert not re.search(r"\bsection [0-9]", text, re.I), f"{path} cites a numbered section"
        if path.name != "README.md" or path.parent.name != "sam":
            assert not re.search(r"https?://", text), f"{path} links outside the repository"


def test_deploy_guide_has_every_parameter_of_every_template():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    rows = set(re.findall(r"^\| `([A-Za-z0-9]+)` \|", guide, re.M))
    for name in ("provider.yaml", "child-account.yaml", "parent-delegations.yaml"):
        params = set(load(CFN / name)["Parameters"])
        missing = params - rows
        assert not missing, f"docs/deploy.md has no table row for {name}'s {sorted(missing)}"
    for word in ("OrganizationId", "CodeS3BucketPrefix", "SHA256SUMS", "AWSCloudFormationStackSetAdministrationRole",
                 "AWSCloudFormationStackSetExecutionRole", "SERVICE_MANAGED", "UsePreviousValue", "ServiceTimeout",
                 "CreateDashboard", "Logs Insights", "$0.50", "cdk/README.md", "docs/migration.md",
                 "CrossAccountZoneDelegationRecord", "sam/template.yaml", "4-update-stackset.sh"):
        assert word in guide, word


def test_stackset_update_restates_previous_parameters():
    import importlib.util
    import sys as _sys
    _sys.dont_write_bytecode = True
    spec = importlib.util.spec_from_file_location("stackset_params", ROOT / "examples" / "stacksets" / "stackset_params.py")
    sp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sp)
    names = sp.template_parameters((CFN / "provider.yaml").read_text())
    assert names == list(load(CFN / "provider.yaml")["Parameters"])
    previous = ["ProviderName", "CodeS3Bucket", "CodeS3Key", "AllowedRecordNames", "DelegationPolicy"]
    params, dropped = sp.merge(previous, names, {"CodeS3BucketPrefix": "code-1", "CodeS3Key": "",
                                                 "CodeVersion": "0.2.0"})
    assert dropped == ["CodeS3Bucket"], "a parameter the new template no longer has is not restated"
    assert params == [
        {"ParameterKey": "ProviderName", "UsePreviousValue": True},
        {"ParameterKey": "AllowedRecordNames", "UsePreviousValue": True},
        {"ParameterKey": "DelegationPolicy", "UsePreviousValue": True},
        {"ParameterKey": "CodeS3BucketPrefix", "ParameterValue": "code-1"},
        {"ParameterKey": "CodeS3Key", "ParameterValue": ""},
        {"ParameterKey": "CodeVersion", "ParameterValue": "0.2.0"},
    ]
    with pytest.raises(SystemExit, match="NoSuchParameter"):
        sp.merge(previous, names, {"NoSuchParameter": "x"})
    assert sp.parse_assignments(["A=1", "B=", "C=x=y"]) == {"A": "1", "B": "", "C": "x=y"}
    script = (ROOT / "examples" / "stacksets" / "4-update-stackset.sh").read_text()
    assert "update-stack-set" in script and "stackset_params.py" in script
