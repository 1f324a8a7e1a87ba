"""The main job, locally: a full delegation lifecycle through the provider binary against moto.

Run by scripts/demo, which builds the binary and the venv first. Starts moto (Route 53, STS, IAM in
multi-account mode) on a free loopback port, creates example.com in the provider's account and
dev.example.com / test.example.com in a child account with its reader role, then sends the
requests CloudFormation would send, each through `subdomain-delegation invoke`. After each step it
prints the answer and the parent zone's records, and checks them against docs/design.md; any
mismatch exits non-zero. It shows the summary log line an operator queries, a queued rollout (an
SQS batch, one change batch for the parent zone, parents found by discovery), the apex guard, and
ends with `subdomain-delegation audit` finding a dangling delegation.
"""

import json
import os
import subprocess
import sys
import time
import uuid

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from localaws import Moto, Receiver  # noqa: E402

PROVIDER_ACCOUNT = "123456789012"
CHILD_ACCOUNT = "222222222222"
READER_ROLE = f"arn:aws:iam::{CHILD_ACCOUNT}:role/SubdomainDelegationReader"
EXTERNAL_ID = "demo-external-id"


class Demo:
    def __init__(self, binary, moto_server):
        self.moto = Moto(moto_server, limit=30)
        self.endpoint = self.moto.endpoint
        self.binary = binary
        self.receiver = Receiver("DEMO")
        self.failures = 0
        self.stack_id = f"arn:aws:cloudformation:us-east-1:{CHILD_ACCOUNT}:stack/dev-dns/{uuid.uuid4()}"
        kw = dict(endpoint_url=self.endpoint, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
        self.parent = boto3.client("route53", **kw)
        creds = boto3.client("sts", **kw).assume_role(
            RoleArn=f"arn:aws:iam::{CHILD_ACCOUNT}:role/Admin", RoleSessionName="demo-setup")["Credentials"]
        child_kw = dict(kw, aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])
        self.child = boto3.client("route53", **child_kw)
        self.child_iam = boto3.client("iam", **child_kw)

    def close(self):
        self.moto.stop()
        self.receiver.stop()

    def setup(self):
        self.parent_zone = self.create_zone(self.parent, "example.com")
        self.dev_zone = self.create_zone(self.child, "dev.example.com")
        self.test_zone = self.create_zone(self.child, "test.example.com")
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{PROVIDER_ACCOUNT}:role/subdomain-delegation-us-east-1"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}]}
        self.child_iam.create_role(RoleName="SubdomainDelegationReader", AssumeRolePolicyDocument=json.dumps(trust))
        self.child_iam.put_role_policy(RoleName="SubdomainDelegationReader", PolicyName="read-zone", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["route53:GetHostedZone", "route53:GetDNSSEC"],
                                                    "Resource": f"arn:aws:route53:::hostedzone/{self.dev_zone}"}]}))
        self.dev_ns = self.name_servers(self.dev_zone)
        print(f"moto at {self.endpoint}")
        print(f"parent zone example.com      {self.parent_zone} (account {PROVIDER_ACCOUNT})")
        print(f"child zone  dev.example.com  {self.dev_zone} (account {CHILD_ACCOUNT})")
        print(f"child zone  test.example.com {self.test_zone} (account {CHILD_ACCOUNT})")
        print(f"reader role {READER_ROLE} (ExternalId {EXTERNAL_ID})")
        print("request verification is OFF (DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION=true): moto cannot hold a")
        print("  CloudFormation resource *_IN_PROGRESS, so the provider cannot ask whether a request is real. The")
        print("  function refuses this setting unless every endpoint is loopback; a deployed function never has it.")
        print("  tests/rules.rs and tests/authority.rs prove the verification instead.")

    @staticmethod
    def create_zone(client, name):
        out = client.create_hosted_zone(Name=name, CallerReference=str(uuid.uuid4()))
        return out["HostedZone"]["Id"].split("/")[-1]

    def name_servers(self, zone):
        return sorted(ns.lower().rstrip(".") + "." for ns in self.child.get_hosted_zone(Id=zone)["DelegationSet"]["NameServers"])

    def delegations(self):
        sets = self.parent.list_resource_record_sets(HostedZoneId=self.parent_zone)["ResourceRecordSets"]
        return sorted((r["Name"], r["Type"], r.get("TTL"), sorted(v["Value"].lower() for v in r.get("ResourceRecords", [])))
                      for r in sets if r["Name"] != "example.com.")

    def env(self):
        env = dict(os.environ, AWS_ENDPOINT_URL=self.endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true", AWS_LAMBDA_LOG_FORMAT="JSON",
                   DELEGATION_ALLOW_LOOPBACK_RESPONSE_URL="true",
                   # moto cannot hold a stack resource *_IN_PROGRESS, so CloudFormation cannot be
                   # asked whether the request is real; never set this on a deployed function.
                   DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION="true",
                   # example.com itself is allotted too, so that the apex guard, not the policy,
                   # refuses the last step.
                   DELEGATION_POLICY=json.dumps({"allow": [{"accounts": [CHILD_ACCOUNT],
                                                            "names": ["example.com", "dev.example.com", "test.example.com",
                                                                      "*.apps.example.com"]}]}))
        env.pop("AWS_PROFILE", None)
        return env

    def props(self, child_zone, **extra):
        return {"ParentHostedZoneId": self.parent_zone, "ChildHostedZoneId": child_zone,
                "ChildRoleArn": READER_ROLE, "ChildExternalId": EXTERNAL_ID, **extra}

    def send(self, kind, props, physical_id=None, old_props=None):
        event = self.event(kind, props, "Delegation")
        if physical_id:
            event["PhysicalResourceId"] = physical_id
        if old_props is not None:
            event["OldResourceProperties"] = {"ServiceToken": event["ServiceToken"], **old_props}
        started = time.monotonic()
        out = self.invoke(event)
        elapsed = time.monotonic() - started
        answer = json.loads(out.stdout)
        puts = self.receiver.answers("demo")
        put = json.loads(puts[-1].body) if puts else None
        self.check(put == answer, "the answer printed is the answer PUT to the ResponseURL")
        self.check(puts[-1].content_type == "", "the PUT carries an empty Content-Type")
        print(f"  answer ({elapsed * 1000:.0f} ms): {json.dumps(answer, sort_keys=True)}")
        return answer

    def event(self, kind, props, logical_id):
        service_token = f"arn:aws:lambda:us-east-1:{PROVIDER_ACCOUNT}:function:subdomain-delegation"
        return {"RequestType": kind, "ServiceToken": service_token, "ResponseURL": self.receiver.url("demo"),
                "StackId": self.stack_id, "RequestId": str(uuid.uuid4()),
                "ResourceType": "Custom::SubdomainDelegation", "LogicalResourceId": logical_id,
                "ResourceProperties": {"ServiceToken": service_token, **props}}

    def invoke(self, event):
        """`subdomain-delegation invoke -`, the event on standard input; keeps the JSON log lines."""
        out = subprocess.run([self.binary, "invoke", "-"], input=json.dumps(event), capture_output=True,
                             text=True, env=self.env(), timeout=120)
        if out.returncode != 0:
            sys.exit(f"invoke failed ({out.returncode}):\n{out.stderr}")
        self.logs = [json.loads(line) for line in out.stderr.splitlines() if line.startswith("{")]
        return out

    def log_line(self, key):
        return next((line for line in self.logs if line.get(key) is True), None)

    def check(self, ok, what):
        print(f"  {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failures += 1

    def show_records(self):
        print("  parent zone records below the apex:")
        records = self.delegations()
        for name, rtype, ttl, values in records or [("(none)", "", "", [])]:
            print(f"    {name:<22} {rtype:<3} {ttl!s:<7} {' '.join(values)}")
        return records

    def step(self, title):
        print(f"\n== {title}")

    def run(self):
        self.setup()
        dev = self.props(self.dev_zone)
        expected_id = f"{self.parent_zone}/dev.example.com"

        self.step("Create: delegate dev.example.com to the child account's zone")
        a = self.send("Create", dev)
        records = self.show_records()
        self.check(a["Status"] == "SUCCESS", "SUCCESS")
        self.check(a["PhysicalResourceId"] == expected_id, f"PhysicalResourceId is {expected_id}")
        self.check(a["Data"]["NameServers"] == ",".join(ns.rstrip(".") for ns in
                   [n.lower() for n in self.child.get_hosted_zone(Id=self.dev_zone)["DelegationSet"]["NameServers"]]),
                   "Data.NameServers are the child zone's name servers")
        self.check(records == [("dev.example.com.", "NS", 172800, self.dev_ns)], "the parent holds NS dev.example.com, TTL 172800")
        summary = self.log_line("summary")
        print("  the summary log line (one per request; CloudWatch Logs Insights finds the failures with")
        print("  `filter summary = 1 and status = \"FAILED\" | fields stack_name, logical_id, reason`):")
        print("    " + json.dumps({k: v for k, v in (summary or {}).items() if k not in ("timestamp", "level", "span", "spans")}))
        self.check(summary is not None and summary["action"] == "created" and summary["status"] == "SUCCESS"
                   and summary["version"], "the summary line says created, SUCCESS, with the provider's version")

        self.step("Update in place: TTL 300")
        dev300 = self.props(self.dev_zone, TTL="300")
        a = self.send("Update", dev300, expected_id, dev)
        records = self.show_records()
        self.check(a["Status"] == "SUCCESS" and a["PhysicalResourceId"] == expected_id, "SUCCESS, same PhysicalResourceId")
        self.check(records == [("dev.example.com.", "NS", 300, self.dev_ns)], "the NS record now has TTL 300")

        self.step("Update to another child zone (test.example.com): replacement")
        test300 = self.props(self.test_zone, TTL="300")
        a = self.send("Update", test300, expected_id, dev300)
        records = self.show_records()
        new_id = f"{self.parent_zone}/test.example.com"
        self.check(a["Status"] == "SUCCESS" and a["PhysicalResourceId"] == new_id, f"SUCCESS with the new ID {new_id}")
        self.check([r[0] for r in records] == ["dev.example.com.", "test.example.com."], "both delegations exist until cleanup")

        self.step("Cleanup: CloudFormation deletes the old ID")
        a = self.send("Delete", dev300, expected_id)
        records = self.show_records()
        self.check(a["Status"] == "SUCCESS", "SUCCESS")
        self.check([r[0] for r in records] == ["test.example.com."], "only the old delegation was removed")

        self.step("Delete: the stack is deleted")
        a = self.send("Delete", test300, new_id)
        records = self.show_records()
        self.check(a["Status"] == "SUCCESS", "SUCCESS")
        self.check(records == [], "the parent zone holds nothing below its apex")

        self.queued_rollout()

        self.step("A refused Create: the child account names a zone called example.com, the parent's apex")
        apex_zone = self.create_zone(self.child, "example.com")
        before = self.delegations()
        a = self.send("Create", self.props(apex_zone))
        self.show_records()
        # The demo's policy allots example.com itself to the child account, so that the apex guard
        # answers: the provider never touches a zone apex, whatever a policy says.
        self.check(a["Status"] == "FAILED" and "is the parent zone's own name; the provider never touches a zone apex"
                   in a["Reason"], "FAILED by the apex guard, saying why")
        self.check(a["PhysicalResourceId"].startswith("failed-create:"), "a failed-create marker ID")
        self.check(self.delegations() == before, "nothing changed")

        print()
        if self.failures:
            print(f"demo: {self.failures} check(s) FAILED")
            return 1
        print("demo: every step did what docs/design.md says")
        return 0

    def queued_rollout(self):
        """The batched mode: three Creates arrive in one SQS batch (SNS notifications, as the
        template's topic delivers them), name no parent zone, and are written in one change batch."""
        self.step("Queued rollout: one SQS batch of three Creates that name no parent (discovered), one change batch")
        apps = self.create_zone(self.parent, "apps.example.com")
        props = []
        for name in ("api", "web", "jobs"):
            zone = self.create_zone(self.child, f"{name}.apps.example.com")
            self.allow_reader(zone)
            props.append({"ChildHostedZoneId": zone, "ChildRoleArn": READER_ROLE, "ChildExternalId": EXTERNAL_ID})
        requests = [self.event("Create", p, f"App{i}") for i, p in enumerate(props)]
        sqs = {"Records": [{"messageId": f"m{i}", "eventSource": "aws:sqs", "receiptHandle": f"r{i}",
                            "body": json.dumps({"Type": "Notification", "Message": json.dumps(r)})}
                           for i, r in enumerate(requests)]}
        sent = len(self.receiver.answers("demo"))
        out = self.invoke(sqs)
        answers = [json.loads(p.body) for p in self.receiver.answers("demo")[sent:]]
        for a in answers:
            print(f"  answer: {a['Status']} {a['PhysicalResourceId']}")
        batch = self.log_line("batch_summary") or {}
        print("  the batch summary line: " + json.dumps({k: batch.get(k) for k in
              ("version", "requests", "parent_zones", "parent_calls", "change_calls", "changes_written", "ms")}))
        records = self.parent.list_resource_record_sets(HostedZoneId=apps)["ResourceRecordSets"]
        written = sorted(r["Name"] for r in records if r["Type"] == "NS" and r["Name"] != "apps.example.com.")
        self.check(json.loads(out.stdout) == {"batchItemFailures": []}, "every message answered: no batch item failures")
        self.check(len(answers) == 3 and all(a["Status"] == "SUCCESS" and a["PhysicalResourceId"].startswith(apps)
                                             for a in answers), "three SUCCESS answers in apps.example.com, the zone discovered")
        self.check(batch.get("change_calls") == 1, "one change batch for the parent zone")
        self.check(written == ["api.apps.example.com.", "jobs.apps.example.com.", "web.apps.example.com."],
                   "apps.example.com holds the three delegations")

    def allow_reader(self, zone):
        """Lets the reader role read another child zone too."""
        self.child_iam.put_role_policy(RoleName="SubdomainDelegationReader", PolicyName=f"read-{zone}", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["route53:GetHostedZone", "route53:GetDNSSEC"],
                                                    "Resource": f"arn:aws:route53:::hostedzone/{zone}"}]}))


def audit_finds_the_dangling_delegation(demo):
    """The last step (issue 13): delegate test.example.com, delete the child zone behind it, and let
    `subdomain-delegation audit` find the dangling delegation. The name servers moto hands out are
    stood in for by scripts/demo_dns.py on loopback, answering for the zones moto holds and REFUSED
    for others, as Route 53's servers do."""
    from demo_dns import NameServers

    def hosted(name):
        zones = demo.child.list_hosted_zones_by_name(DNSName=name, MaxItems="1")["HostedZones"]
        if zones and zones[0]["Name"].rstrip(".") == name:
            return [ns.rstrip(".") for ns in demo.child.get_hosted_zone(Id=zones[0]["Id"])["DelegationSet"]["NameServers"]]
        return None

    servers = NameServers(hosted)
    try:
        overrides = [arg for ns in demo.name_servers(demo.test_zone)
                     for arg in ("--nameserver-address", f"{ns.rstrip('.')}=127.0.0.1:{servers.port}")]
        env = dict(os.environ, AWS_ENDPOINT_URL=demo.endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
        env.pop("AWS_PROFILE", None)

        def audit():
            out = subprocess.run([demo.binary, "audit", demo.parent_zone, "--format", "table", "--no-progress",
                                  *overrides], capture_output=True, text=True, env=env, timeout=120)
            print("  " + out.stdout.rstrip().replace("\n", "\n  "))
            return out

        demo.step("Audit: delegate test.example.com with TTL 300, then audit every delegation of example.com")
        a = demo.send("Create", demo.props(demo.test_zone, TTL="300"))
        demo.check(a["Status"] == "SUCCESS", "SUCCESS")
        out = audit()
        demo.check(out.returncode == 0 and " ok " in out.stdout, "every delegation ok: exit code 0")
        # The child's own NS set has Route 53's TTL (172800): resolvers that prefer the child's
        # data and those that do not disagree for up to two days. Warnings leave the verdict ok.
        demo.check("ttl-mismatch" in out.stdout, "with a warning: ttl-mismatch (parent NS TTL 300, child apex 172800)")

        demo.step("Audit: the child zone test.example.com is deleted by hand; the delegation dangles")
        demo.child.delete_hosted_zone(Id=demo.test_zone)
        out = audit()
        row = next((line for line in out.stdout.splitlines() if line.split()[1:3] == ["test.example.com", "dangling"]), None)
        demo.check(row is not None, "the audit reports test.example.com as dangling")
        demo.check("REFUSED" in out.stdout, "with the evidence: its name servers answer REFUSED")
        demo.check(out.returncode == 1, "exit code 1: findings")
    finally:
        servers.close()
    print()
    if demo.failures:
        print(f"demo: {demo.failures} check(s) FAILED (audit included)")
        return 1
    print("demo: the audit found the dangling delegation")
    return 0


def main():
    binary, moto_server = sys.argv[1], sys.argv[2]
    demo = Demo(binary, moto_server)
    try:
        demo.run()
        return audit_finds_the_dangling_delegation(demo)
    finally:
        demo.close()


if __name__ == "__main__":
    sys.exit(main())
