"""Tests of the fault proxy itself, in front of a real moto server, with boto3 as the client.

Run: .venv/bin/python -m pytest tests/faultproxy -q   (MOTO_SERVER or .venv/bin/moto_server)
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
import faultproxy  # noqa: E402

PARENT = "123456789012"
CHILD = "222222222222"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, what: str):
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            assert proc.poll() is None, f"{what} exited with {proc.returncode}"
            assert time.monotonic() < deadline, f"{what} did not start within 30 s"
            time.sleep(0.05)


@pytest.fixture(scope="session")
def moto():
    server = os.environ.get("MOTO_SERVER") or str(ROOT / ".venv/bin/moto_server")
    assert Path(server).exists(), f"moto_server is missing at {server}: run scripts/venv"
    port = free_port()
    proc = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, proc, "moto_server")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


class Proxy:
    def __init__(self, upstream: str, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "faultproxy.py"), "--upstream", upstream, *args,
             "--exit-on-stdin-eof"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), (line, self.proc.stderr.read())
        self.url = line.removeprefix("listening on ")

    def admin(self, method: str, what: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/__faultproxy__/{what}", data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def rules(self, rules):
        status, out = self.admin("POST", "rules", rules)
        assert status == 200, out
        return out

    def log(self):
        return self.admin("GET", "log")[1]

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def proxy(moto):
    p = Proxy(moto)
    yield p
    p.close()


def client(service: str, endpoint: str, retries: int = 1, timeout: float = 30,
           region: str = "us-east-1", **creds):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=creds.get("key", "test"),
        aws_secret_access_key=creds.get("secret", "test"),
        aws_session_token=creds.get("token"),
        config=Config(
            retries={"total_max_attempts": retries, "mode": "standard"},
            read_timeout=timeout,
            connect_timeout=5,
        ),
    )


def new_zone(r53, name="example.com") -> str:
    out = r53.create_hosted_zone(Name=name, CallerReference=f"{name}-{time.time_ns()}")
    return out["HostedZone"]["Id"].split("/")[-1]


def child_credentials(endpoint: str) -> dict:
    sts = client("sts", endpoint)
    c = sts.assume_role(
        RoleArn=f"arn:aws:iam::{CHILD}:role/Reader", RoleSessionName="test"
    )["Credentials"]
    return {"key": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}


def test_operation_names_from_route53_paths():
    op = faultproxy.route53_operation
    assert op("GET", "/2013-04-01/hostedzone/Z1") == "GetHostedZone"
    assert op("GET", "/2013-04-01/hostedzone/Z1/rrset") == "ListResourceRecordSets"
    assert op("POST", "/2013-04-01/hostedzone/Z1/rrset/") == "ChangeResourceRecordSets"
    assert op("POST", "/2013-04-01/hostedzone/Z1/rrset") == "ChangeResourceRecordSets"
    assert op("GET", "/2013-04-01/change/C1") == "GetChange"
    assert op("GET", "/2013-04-01/hostedzonesbyname") == "ListHostedZonesByName"
    assert op("GET", "/2013-04-01/hostedzone/Z1/dnssec") == "GetDNSSEC"
    assert op("POST", "/2013-04-01/hostedzone") == "CreateHostedZone"
    assert op("DELETE", "/2013-04-01/hostedzone/Z1") == "DeleteHostedZone"
    assert op("GET", "/2013-04-01/hostedzone") == "ListHostedZones"
    assert op("PUT", "/2013-04-01/hostedzone/Z1") == "Unknown:PUT"


def test_forwards_everything_and_logs_each_call(proxy):
    r53 = client("route53", proxy.url)
    zone = new_zone(r53)
    r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": "dev.example.com", "Type": "NS", "TTL": 60,
            "ResourceRecords": [{"Value": "ns-1.example.net"}]}}]},
    )
    sets = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    assert any(s["Name"] == "dev.example.com." for s in sets)
    r53.list_hosted_zones_by_name(DNSName="example.com")
    client("sts", proxy.url).get_caller_identity()
    log = proxy.log()
    assert [(e["service"], e["operation"], e["account"], e["status"], e["fault"]) for e in log] == [
        ("route53", "CreateHostedZone", PARENT, 201, None),
        ("route53", "ChangeResourceRecordSets", PARENT, 200, None),
        ("route53", "ListResourceRecordSets", PARENT, 200, None),
        ("route53", "ListHostedZonesByName", PARENT, 200, None),
        ("sts", "GetCallerIdentity", PARENT, 200, None),
    ]
    assert all(isinstance(e["t"], float) and e["t"] > 1e9 for e in log)


def test_throttle_and_prior_request_not_complete_look_like_route53(proxy):
    r53 = client("route53", proxy.url)
    zone = new_zone(r53)
    proxy.rules([
        {"service": "route53", "operation": "GetHostedZone", "fault": "throttle", "count": 1},
        {"service": "route53", "operation": "GetHostedZone",
         "fault": "prior_request_not_complete", "count": 1},
    ])
    with pytest.raises(ClientError) as e:
        r53.get_hosted_zone(Id=zone)
    err = e.value.response
    assert err["Error"] == {"Type": "Sender", "Code": "Throttling", "Message": "Rate exceeded"}
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        r53.get_hosted_zone(Id=zone)
    assert e.value.response["Error"]["Code"] == "PriorRequestNotComplete"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert r53.get_hosted_zone(Id=zone)["HostedZone"]["Name"] == "example.com."
    # The raw answer is Route 53's XML error document.
    proxy.rules([{"fault": "throttle", "count": 1}])
    req = urllib.request.Request(f"{proxy.url}/2013-04-01/hostedzone/{zone}")
    with pytest.raises(urllib.error.HTTPError) as raw:
        urllib.request.urlopen(req, timeout=10)
    text = raw.value.read().decode()
    assert raw.value.code == 400
    assert '<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">' in text
    assert "<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>" in text
    assert "<RequestId>" in text
    faults = [e["fault"] for e in proxy.log() if e["operation"] == "GetHostedZone"]
    assert faults == ["throttle", "prior_request_not_complete", None, "throttle"]


def test_access_denied_on_assume_role_names_the_role_then_stops(proxy):
    proxy.rules([{"service": "sts", "operation": "AssumeRole", "fault": "access_denied",
                  "count": 2}])
    sts = client("sts", proxy.url)
    role = f"arn:aws:iam::{CHILD}:role/Fresh"
    for _ in range(2):
        with pytest.raises(ClientError) as e:
            sts.assume_role(RoleArn=role, RoleSessionName="session")
        assert e.value.response["Error"]["Code"] == "AccessDenied"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        msg = e.value.response["Error"]["Message"]
        assert "is not authorized to perform: sts:AssumeRole on resource: " + role in msg
    assert sts.assume_role(RoleArn=role, RoleSessionName="session")["Credentials"]["AccessKeyId"]
    status, rules = proxy.admin("GET", "rules")
    assert rules[0]["remaining"] == 0 and rules[0]["hits"] == 2


def test_accounts_are_learned_from_assume_role_and_rules_can_target_one(proxy):
    creds = child_credentials(proxy.url)
    child = client("route53", proxy.url, **creds)
    parent = client("route53", proxy.url)
    child_zone = new_zone(child, "dev.example.com")
    parent_zone = new_zone(parent)
    proxy.rules([{"account": CHILD, "operation": "GetHostedZone", "fault": "http500"}])
    with pytest.raises(ClientError) as e:
        child.get_hosted_zone(Id=child_zone)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert parent.get_hosted_zone(Id=parent_zone)
    accounts = [(e["operation"], e["account"], e["status"]) for e in proxy.log()]
    assert accounts == [
        ("AssumeRole", PARENT, 200),
        ("CreateHostedZone", CHILD, 201),
        ("CreateHostedZone", PARENT, 201),
        ("GetHostedZone", CHILD, 500),
        ("GetHostedZone", PARENT, 200),
    ]


def test_reset_stall_and_release(proxy):
    r53 = client("route53", proxy.url, timeout=2)
    zone = new_zone(r53)
    proxy.rules([{"operation": "GetHostedZone", "fault": "reset", "count": 1}])
    with pytest.raises(ConnectionClosedError):
        r53.get_hosted_zone(Id=zone)
    proxy.rules([{"operation": "GetHostedZone", "fault": "stall", "count": 1,
                  "stall_seconds": 30}])
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        r53.get_hosted_zone(Id=zone)
    assert 1.5 < time.monotonic() - started < 10
    assert r53.get_hosted_zone(Id=zone)
    # A stalled call is released by /reset (and when the proxy stops).
    proxy.rules([{"operation": "GetHostedZone", "fault": "stall", "count": 1}])
    slow = client("route53", proxy.url, timeout=60)
    import threading

    outcome = {}

    def call():
        try:
            slow.get_hosted_zone(Id=zone)
            outcome["r"] = "answered"
        except Exception as e:  # noqa: BLE001 - any failure shape is fine, only timing matters
            outcome["r"] = type(e).__name__

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.5)
    assert t.is_alive()
    proxy.admin("POST", "reset")
    t.join(timeout=10)
    assert not t.is_alive()
    assert proxy.log() == [] or all(e["fault"] in (None, "stall") for e in proxy.log())


def test_pending_rewrites_the_change_status(proxy):
    r53 = client("route53", proxy.url)
    zone = new_zone(r53)
    proxy.rules([{"operation": "ChangeResourceRecordSets", "fault": "pending"},
                 {"operation": "GetChange", "fault": "pending", "count": 1}])
    out = r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": "a.example.com", "Type": "TXT", "TTL": 60,
            "ResourceRecords": [{"Value": '"x"'}]}}]},
    )
    assert out["ChangeInfo"]["Status"] == "PENDING"
    change = out["ChangeInfo"]["Id"].split("/")[-1]
    assert r53.get_change(Id=change)["ChangeInfo"]["Status"] == "PENDING"
    assert r53.get_change(Id=change)["ChangeInfo"]["Status"] == "INSYNC"


def test_for_seconds_bounds_a_rule_in_time(proxy):
    r53 = client("route53", proxy.url)
    zone = new_zone(r53)
    proxy.rules([{"operation": "GetHostedZone", "fault": "throttle", "for_seconds": 0.5}])
    with pytest.raises(ClientError):
        r53.get_hosted_zone(Id=zone)
    time.sleep(0.6)
    assert r53.get_hosted_zone(Id=zone)


def test_strict_mode_allows_five_per_second_per_account_without_burst(moto):
    p = Proxy(moto, "--mode", "strict")
    try:
        parent = client("route53", p.url)
        zone = new_zone(parent)
        time.sleep(0.25)
        # Four threads calling as fast as they can for 2 s: about 5 per second get through.
        from concurrent.futures import ThreadPoolExecutor

        def hammer(_):
            ok = throttled = 0
            started = time.monotonic()
            while time.monotonic() - started < 2.0:
                try:
                    parent.get_hosted_zone(Id=zone)
                    ok += 1
                except ClientError as e:
                    assert e.response["Error"]["Code"] == "Throttling"
                    throttled += 1
            return ok, throttled

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(hammer, range(4)))
        ok = sum(r[0] for r in results)
        throttled = sum(r[1] for r in results)
        assert 8 <= ok <= 13, (ok, throttled)
        assert throttled > ok, (ok, throttled)
        # Another account has its own bucket, and STS is never limited.
        child = client("route53", p.url, **child_credentials(p.url))
        for _ in range(5):
            client("sts", p.url).get_caller_identity()
        assert child.list_hosted_zones()
        assert {e["fault"] for e in p.log() if e["service"] == "sts"} == {None}
        limited = [e for e in p.log() if e["fault"] == "throttle_rate"]
        assert limited and all(e["status"] == 400 and e["account"] == PARENT for e in limited)
    finally:
        p.close()


def test_buckets_mode_bursts_fifty_then_refills_ten_per_second(proxy):
    r53 = client("route53", proxy.url)
    zone = new_zone(r53)
    status, mode = proxy.admin("POST", "mode", {"mode": "buckets"})
    assert (status, mode["mode"]) == (200, "buckets")
    # 80 calls at once from 16 threads: the burst of 50 (plus the little that refills while
    # they run) passes, the rest is throttled.
    from concurrent.futures import ThreadPoolExecutor

    def call(_):
        try:
            r53.get_hosted_zone(Id=zone)
            return True
        except ClientError as e:
            assert e.response["Error"]["Code"] == "Throttling"
            return False

    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, range(80)))
    elapsed = time.monotonic() - started
    passed = results.count(True)
    assert 50 <= passed <= 50 + 10 * elapsed + 1, (passed, elapsed)
    assert results.count(False) > 0
    time.sleep(1.0)
    assert sum(1 for _ in range(8) if r53.get_hosted_zone(Id=zone)) == 8
    assert proxy.admin("POST", "mode", {"mode": "none"})[0] == 200


def test_admin_rejects_bad_rules_and_reset_clears(proxy):
    assert proxy.admin("POST", "rules", [{"fault": "explode"}])[0] == 400
    assert proxy.admin("POST", "rules", [{"fault": "throttle", "count": -1}])[0] == 400
    assert proxy.admin("POST", "rules", [{"fault": "throttle", "colour": "red"}])[0] == 400
    assert proxy.admin("POST", "mode", {"mode": "fast"})[0] == 400
    assert proxy.admin("GET", "nothing")[0] == 404
    client("sts", proxy.url).get_caller_identity()
    proxy.rules({"fault": "throttle"})
    assert len(proxy.log()) == 1
    assert proxy.admin("GET", "log?since=1") == (200, [])
    assert proxy.admin("POST", "reset") == (200, {"reset": True})
    assert proxy.log() == []
    assert proxy.admin("GET", "rules") == (200, [])


def test_log_file_and_stdin_eof_exit(moto, tmp_path):
    log = tmp_path / "calls.jsonl"
    p = Proxy(moto, "--log", str(log))
    client("sts", p.url).get_caller_identity()
    p.close()
    assert p.proc.returncode == 0
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["service"], e["operation"]) for e in lines] == [("sts", "GetCallerIdentity")]


# -- Route 53's change-based throttling (buckets mode) --------------------------------------------


def ns_change(action: str, name: str, values=("ns-1.example.net",)) -> dict:
    return {"Action": action, "ResourceRecordSet": {
        "Name": name, "Type": "NS", "TTL": 60,
        "ResourceRecords": [{"Value": v} for v in values]}}


def txt_changes(count: int, prefix: str) -> list[dict]:
    return [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": f"{prefix}{i}.example.com", "Type": "TXT", "TTL": 60,
        "ResourceRecords": [{"Value": f'"{i}"'}]}} for i in range(count)]


def change(r53, zone: str, changes: list[dict]):
    return r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})


def record_names(r53, zone: str) -> set[str]:
    sets = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return {(s["Name"], s["Type"]) for s in sets}


def throttled(call) -> bool:
    try:
        call()
        return False
    except ClientError as e:
        assert e.response["Error"] == {"Type": "Sender", "Code": "Throttling",
                                       "Message": "Rate exceeded"}
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        return True


def refused_buckets(proxy) -> list[str]:
    return [e["bucket"] for e in proxy.log() if e["fault"] == "throttle_rate"]


def test_buckets_flags_burst_of_fifty_then_refusals(moto):
    p = Proxy(moto, "--mode", "buckets", "--account-bucket", "50,0")
    try:
        assert p.admin("GET", "mode") == (200, {
            "mode": "buckets", "account_bucket": [50, 0], "action_bucket": [50, 10],
            "change_bucket": None})
        r53 = client("route53", p.url)
        zone = new_zone(r53)  # the 1st of the account's 50 tokens (never refilled)
        for _ in range(49):
            r53.get_hosted_zone(Id=zone)
        assert throttled(lambda: r53.get_hosted_zone(Id=zone))
        assert throttled(lambda: r53.list_hosted_zones())
        # Another account has its own buckets; STS is never limited.
        child = client("route53", p.url, **child_credentials(p.url))
        assert child.list_hosted_zones()
        assert refused_buckets(p) == ["account", "account"]
        limited = [e for e in p.log() if e["fault"] == "throttle_rate"]
        assert all(e["status"] == 400 and e["account"] == PARENT for e in limited)
        assert all("bucket" not in e for e in p.log() if e["fault"] is None)
    finally:
        p.close()


def test_buckets_action_bucket_refuses_one_operation_and_charges_nothing_on_refusal(proxy):
    r53 = client("route53", proxy.url)
    zone = new_zone(r53)
    status, mode = proxy.admin("POST", "mode", {
        "mode": "buckets", "account_bucket": [3, 0], "action_bucket": [2, 0]})
    assert (status, mode) == (200, {"mode": "buckets", "account_bucket": [3, 0],
                                    "action_bucket": [2, 0], "change_bucket": None})
    assert not throttled(lambda: r53.get_hosted_zone(Id=zone))
    assert not throttled(lambda: r53.get_hosted_zone(Id=zone))
    # GetHostedZone's own bucket is empty; the account's last token is not charged for it ...
    assert throttled(lambda: r53.get_hosted_zone(Id=zone))
    # ... so another operation still passes, and takes it.
    assert not throttled(lambda: r53.list_hosted_zones())
    # Now the account bucket is empty; ListHostedZones' own bucket keeps its token.
    assert throttled(lambda: r53.list_hosted_zones())
    assert refused_buckets(proxy) == ["action", "account"]
    # A mode change refills every bucket and keeps the sizes not given.
    assert proxy.admin("POST", "mode", {"mode": "buckets"})[1]["action_bucket"] == [2, 0]
    assert not throttled(lambda: r53.get_hosted_zone(Id=zone))
    assert proxy.admin("GET", "mode")[1]["mode"] == "buckets"


def test_buckets_change_bucket_counts_the_changes_of_a_batch(moto):
    p = Proxy(moto, "--mode", "buckets", "--change-bucket", "10,0")
    try:
        assert p.admin("GET", "mode")[1]["change_bucket"] == [10, 0]
        r53 = client("route53", p.url)
        zone = new_zone(r53)
        assert not throttled(lambda: change(r53, zone, txt_changes(7, "a")))
        # 3 tokens left: a batch of 5 is refused whole (and changes nothing), one of 3 passes.
        assert throttled(lambda: change(r53, zone, txt_changes(5, "b")))
        assert not any(name.startswith("b") for name, _ in record_names(r53, zone))
        assert not throttled(lambda: change(r53, zone, txt_changes(3, "c")))
        assert throttled(lambda: change(r53, zone, txt_changes(1, "d")))
        # Other operations draw nothing from the change bucket.
        assert not throttled(lambda: r53.get_hosted_zone(Id=zone))
        assert refused_buckets(p) == ["changes", "changes"]
        # Via the admin API: null is unlimited again; sizes are reported back.
        status, mode = p.admin("POST", "mode", {"mode": "buckets", "change_bucket": None})
        assert (status, mode["change_bucket"]) == (200, None)
        assert not throttled(lambda: change(r53, zone, txt_changes(20, "e")))
        status, mode = p.admin("POST", "mode", {"mode": "buckets", "change_bucket": [100, 20]})
        assert mode == {"mode": "buckets", "account_bucket": [50, 10], "action_bucket": [50, 10],
                        "change_bucket": [100, 20]}
        # strict mode has no change bucket: only its 1-token account bucket.
        p.admin("POST", "mode", {"mode": "strict"})
        time.sleep(0.25)
        assert not throttled(lambda: change(r53, zone, txt_changes(150, "f")))
    finally:
        p.close()


def test_bucket_sizes_are_checked(proxy, moto):
    for bad in ({"mode": "buckets", "account_bucket": [0, 1]},
                {"mode": "buckets", "action_bucket": [5, -1]},
                {"mode": "buckets", "account_bucket": "5,1"},
                {"mode": "buckets", "account_bucket": [5]},
                {"mode": "buckets", "account_bucket": [5, True]},
                {"mode": "buckets", "account_bucket": None},
                {"mode": "buckets", "bucket": [5, 1]},
                {"account_bucket": [5, 1]}):
        status, out = proxy.admin("POST", "mode", bad)
        assert status == 400 and out["error"], bad
    assert proxy.admin("GET", "mode")[1]["mode"] == "none"
    for flag in (["--account-bucket", "5"], ["--action-bucket", "x,1"],
                 ["--change-bucket", "0,1"], ["--account-bucket", "off"]):
        out = subprocess.run(
            [sys.executable, str(HERE / "faultproxy.py"), "--upstream", moto, *flag],
            capture_output=True, text=True, timeout=30)
        assert out.returncode == 2 and "BURST,RATE" in out.stderr, (flag, out.stderr)


# -- Change Guardrails and InvalidChangeBatch ------------------------------------------------------

GUARDRAIL_TEXT = (
    "[RRSet with DNS name dev.example.com., type NS] rejected by Change Guardrail "
    "ACTIVE_DELEGATION_CHECK: the delegated subdomain still receives DNS queries. To fix: retry "
    "once resolvers have stopped querying it, or turn the guardrail off for this hosted zone."
)


def test_changes_are_read_from_the_request_body():
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest '
        f'xmlns="{faultproxy.ROUTE53_NS}"><ChangeBatch><Changes>'
        "<Change><Action>DELETE</Action><ResourceRecordSet><Name>dev.example.com.</Name>"
        "<Type>NS</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>ns-1.</Value>"
        "</ResourceRecord></ResourceRecords></ResourceRecordSet></Change>"
        "<Change><Action>upsert</Action><ResourceRecordSet><Name>a.example.com</Name>"
        "<Type>A</Type><AliasTarget><HostedZoneId>Z2</HostedZoneId><DNSName>b.example.com"
        "</DNSName><EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget>"
        "</ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
    ).encode()
    changes = faultproxy.parse_changes(body)
    assert changes == [("DELETE", "dev.example.com.", "NS"), ("UPSERT", "a.example.com", "A")]
    assert faultproxy.parse_changes(b"not xml") == []
    call = faultproxy.Call("route53", "ChangeResourceRecordSets", PARENT, "us-east-1", {},
                           changes)
    rule = faultproxy.Rule({"fault": "guardrail", "guardrail": "ACTIVE_DELEGATION_CHECK",
                            "record_name": "DEV.Example.COM"})
    assert rule.matches(call)
    assert rule.change_batch_message(rule.matching_change(call)) == GUARDRAIL_TEXT
    alias = faultproxy.Rule({"fault": "guardrail", "guardrail": "ALIAS_TARGET_CHECK",
                             "change_action": "upsert"})
    assert alias.matching_change(call).name == "a.example.com"
    assert alias.change_batch_message(alias.matching_change(call)).startswith(
        "[RRSet with DNS name a.example.com., type A] rejected by Change Guardrail "
        "ALIAS_TARGET_CHECK: the alias target does not exist. To fix: ")
    both = faultproxy.Rule({"fault": "throttle", "change_action": "UPSERT",
                            "record_name": "dev.example.com"})
    assert not both.matches(call)
    other = faultproxy.Call("route53", "GetHostedZone", PARENT, "us-east-1", {}, changes)
    assert not rule.matches(other)


def test_guardrail_refuses_a_matching_change_as_route53_does(proxy):
    r53 = client("route53", proxy.url)
    zone = new_zone(r53)
    proxy.rules([{"service": "route53", "operation": "ChangeResourceRecordSets",
                  "fault": "guardrail", "guardrail": "ACTIVE_DELEGATION_CHECK",
                  "change_action": "DELETE", "record_name": "DEV.example.com."}])
    # UPSERT does not match the rule; DELETE of dev.example.com does.
    change(r53, zone, [ns_change("UPSERT", "dev.example.com")])
    with pytest.raises(ClientError) as e:
        change(r53, zone, [ns_change("DELETE", "dev.example.com")])
    assert e.value.response["Error"] == {
        "Type": "Sender", "Code": "InvalidChangeBatch", "Message": GUARDRAIL_TEXT}
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Nothing reached moto: the delegation is still there.
    assert ("dev.example.com.", "NS") in record_names(r53, zone)
    # A DELETE of another name passes.
    change(r53, zone, [ns_change("UPSERT", "test.example.com")])
    change(r53, zone, [ns_change("DELETE", "test.example.com")])
    assert ("test.example.com.", "NS") not in record_names(r53, zone)
    faults = [e["fault"] for e in proxy.log() if e["operation"] == "ChangeResourceRecordSets"]
    assert faults == [None, "guardrail", None, None]
    assert proxy.admin("GET", "rules")[1][0]["hits"] == 1


def post_change_batch(url: str, zone: str, changes_xml: str) -> tuple[int, ET.Element]:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest '
        f'xmlns="{faultproxy.ROUTE53_NS}"><ChangeBatch><Changes>{changes_xml}</Changes>'
        "</ChangeBatch></ChangeResourceRecordSetsRequest>"
    ).encode()
    req = urllib.request.Request(f"{url}/2013-04-01/hostedzone/{zone}/rrset/", data=body,
                                 method="POST", headers={"Content-Type": "text/xml"})
    with pytest.raises(urllib.error.HTTPError) as raw:
        urllib.request.urlopen(req, timeout=10)
    return raw.value.code, ET.fromstring(raw.value.read())


def test_invalid_change_batch_xml_shapes(proxy):
    ns = {"r": faultproxy.ROUTE53_NS}
    a_record = ("<Change><Action>CREATE</Action><ResourceRecordSet><Name>www.example.com"
                "</Name><Type>A</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>"
                "192.0.2.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>")
    ns_record = a_record.replace("www.example.com", "dev.example.com").replace(
        "<Type>A</Type>", "<Type>NS</Type>").replace("CREATE", "UPSERT")
    proxy.rules([
        {"fault": "guardrail", "guardrail": "NS_OCCLUSION_CHECK", "record_name": "dev.example.com",
         "count": 1},
        {"fault": "guardrail", "guardrail": "NS_FORMAT_CHECK", "legacy_xml": True, "count": 1},
        {"fault": "invalid_change_batch", "count": 1},
        {"fault": "invalid_change_batch", "message": "[Custom <text> & more]", "count": 1},
    ])
    # The record_name rule skips a batch without dev.example.com; the next rule takes it.
    status, root = post_change_batch(proxy.url, "Z1", a_record)
    assert status == 400
    assert root.tag == f"{{{faultproxy.ROUTE53_NS}}}InvalidChangeBatch"
    assert [m.text for m in root.findall("r:Messages/r:Message", ns)] == [
        "[RRSet with DNS name www.example.com., type A] rejected by Change Guardrail "
        "NS_FORMAT_CHECK: the NS record values are not valid name server names. To fix: give "
        "the fully qualified names of the name servers of the hosted zone you delegate to."]
    assert root.find("r:RequestId", ns).text
    # The standard shape, which the SDKs parse.
    status, root = post_change_batch(proxy.url, "Z1", a_record + ns_record)
    assert status == 400
    assert root.tag == f"{{{faultproxy.ROUTE53_NS}}}ErrorResponse"
    assert root.find("r:Error/r:Type", ns).text == "Sender"
    assert root.find("r:Error/r:Code", ns).text == "InvalidChangeBatch"
    message = root.find("r:Error/r:Message", ns).text
    assert message.startswith("[RRSet with DNS name dev.example.com., type NS] rejected by "
                              "Change Guardrail NS_OCCLUSION_CHECK: ")
    assert root.find("r:RequestId", ns).text
    # invalid_change_batch: Route 53's own text by default, or the rule's (escaped) message.
    status, root = post_change_batch(proxy.url, "Z1", a_record)
    assert root.find("r:Error/r:Message", ns).text == (
        "[Tried to create resource record set [name='www.example.com.', type='A'] but it "
        "already exists]")
    status, root = post_change_batch(proxy.url, "Z1", a_record)
    assert root.find("r:Error/r:Message", ns).text == "[Custom <text> & more]"
    assert [e["fault"] for e in proxy.log()] == [
        "guardrail", "guardrail", "invalid_change_batch", "invalid_change_batch"]


def test_change_filters_on_other_faults_and_invalid_change_batch_with_boto3(proxy):
    r53 = client("route53", proxy.url)
    zone = new_zone(r53)
    proxy.rules([
        {"fault": "throttle", "record_name": "slow.example.com", "count": 1},
        {"operation": "ChangeResourceRecordSets", "fault": "invalid_change_batch",
         "change_action": "DELETE"},
    ])
    change(r53, zone, [ns_change("UPSERT", "fast.example.com")])
    assert throttled(lambda: change(r53, zone, [ns_change("UPSERT", "slow.example.com")]))
    with pytest.raises(ClientError) as e:
        change(r53, zone, [ns_change("DELETE", "fast.example.com")])
    assert e.value.response["Error"]["Code"] == "InvalidChangeBatch"
    assert e.value.response["Error"]["Message"] == (
        "[Tried to delete resource record set [name='fast.example.com.', type='NS'] but it was "
        "not found]")
    assert ("fast.example.com.", "NS") in record_names(r53, zone)
    # A guardrail rule never matches a call that is not a change batch.
    proxy.rules([{"fault": "guardrail", "guardrail": "ACTIVE_RECORD_CHECK"}])
    assert r53.get_hosted_zone(Id=zone)


def test_guardrail_rules_are_checked(proxy):
    for bad in ({"fault": "guardrail"},
                {"fault": "guardrail", "guardrail": "NO_SUCH_CHECK"},
                {"fault": "throttle", "guardrail": "NS_FORMAT_CHECK"},
                {"fault": "guardrail", "guardrail": "NS_FORMAT_CHECK", "message": "x"},
                {"fault": "invalid_change_batch", "message": 5},
                {"fault": "throttle", "legacy_xml": True},
                {"fault": "invalid_change_batch", "legacy_xml": "yes"},
                {"fault": "throttle", "change_action": "MODIFY"},
                {"fault": "throttle", "record_name": "."}):
        status, out = proxy.admin("POST", "rules", [bad])
        assert status == 400 and out["error"], bad
    assert proxy.admin("GET", "rules") == (200, [])


# -- the fake CloudFormation -----------------------------------------------------------------------

STACK_ID = f"arn:aws:cloudformation:us-east-1:{CHILD}:stack/dev-dns/6d3b1a40-0000-4000-a000-1"


def dev_stack(**extra) -> dict:
    return {
        "account": CHILD, "region": "us-east-1", "stack_id": STACK_ID, "stack_name": "dev-dns",
        "status": "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "resources": [{"logical_id": "Delegation", "type": "Custom::SubdomainDelegation",
                       "status": "CREATE_IN_PROGRESS", "physical_id": "Z1/dev.example.com"},
                      {"logical_id": "Zone", "type": "AWS::Route53::HostedZone",
                       "status": "CREATE_IN_PROGRESS"}],
        "events": [{"logical_id": "Delegation", "physical_id": "Z1/dev.example.com",
                    "type": "Custom::SubdomainDelegation", "status": "DELETE_IN_PROGRESS"}],
        **extra,
    }


def cfn_error(call) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response
    assert err["Error"]["Type"] == "Sender"
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"], err["Error"]["Message"]


def test_fake_cloudformation_shows_a_stack_to_its_account_and_region_only(proxy):
    creds = child_credentials(proxy.url)
    assert proxy.admin("POST", "stacks", [dev_stack()]) == (200, {"stacks": 1})
    cfn = client("cloudformation", proxy.url, **creds)
    for name in ("dev-dns", STACK_ID):
        detail = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Delegation")[
            "StackResourceDetail"]
        assert {k: v for k, v in detail.items() if k != "LastUpdatedTimestamp"} == {
            "StackName": "dev-dns", "StackId": STACK_ID, "LogicalResourceId": "Delegation",
            "PhysicalResourceId": "Z1/dev.example.com",
            "ResourceType": "Custom::SubdomainDelegation", "ResourceStatus": "CREATE_IN_PROGRESS"}
        assert abs(detail["LastUpdatedTimestamp"].timestamp() - time.time()) < 60
    zone = cfn.describe_stack_resource(StackName="dev-dns", LogicalResourceId="Zone")
    assert "PhysicalResourceId" not in zone["StackResourceDetail"]
    stacks = cfn.describe_stacks(StackName=STACK_ID)["Stacks"]
    assert [(s["StackName"], s["StackId"], s["StackStatus"]) for s in stacks] == [
        ("dev-dns", STACK_ID, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")]
    assert stacks[0]["CreationTime"].year >= 2024
    assert [s["StackName"] for s in cfn.describe_stacks()["Stacks"]] == ["dev-dns"]
    # Unknown logical ID, other account, other region, unknown stack.
    assert cfn_error(lambda: cfn.describe_stack_resource(
        StackName="dev-dns", LogicalResourceId="Nope")) == (
        400, "ValidationError", "Resource Nope does not exist for stack dev-dns")
    parent = client("cloudformation", proxy.url)
    assert cfn_error(lambda: parent.describe_stack_resource(
        StackName="dev-dns", LogicalResourceId="Delegation")) == (
        400, "ValidationError", "Stack with id dev-dns does not exist")
    assert parent.describe_stacks()["Stacks"] == []
    west = client("cloudformation", proxy.url, region="us-west-2", **creds)
    assert cfn_error(lambda: west.describe_stacks(StackName=STACK_ID)) == (
        400, "ValidationError", f"Stack with id {STACK_ID} does not exist")
    assert cfn_error(lambda: cfn.describe_stack_events(StackName="prod-dns")) == (
        400, "ValidationError", "Stack with id prod-dns does not exist")
    log = [(e["service"], e["operation"], e["account"], e["status"], e["fault"])
           for e in proxy.log()[1:]]
    assert log[:3] == [("cloudformation", "DescribeStackResource", CHILD, 200, None)] * 3
    assert log[-2:] == [("cloudformation", "DescribeStacks", CHILD, 400, None),
                        ("cloudformation", "DescribeStackEvents", CHILD, 400, None)]


def test_fake_cloudformation_error_xml_is_cloudformations(proxy):
    proxy.admin("POST", "stacks", [dev_stack()])
    body = urllib.parse.urlencode({"Action": "DescribeStacks", "Version": "2010-05-15",
                                   "StackName": "other"}).encode()
    req = urllib.request.Request(proxy.url + "/", data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260730/us-east-1/cloudformation/"
                         "aws4_request, SignedHeaders=host, Signature=0"})
    with pytest.raises(urllib.error.HTTPError) as raw:
        urllib.request.urlopen(req, timeout=10)
    text = raw.value.read().decode()
    assert raw.value.code == 400
    assert text.startswith('<?xml version="1.0"?>\n<ErrorResponse xmlns='
                           '"http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error>'
                           "<Type>Sender</Type><Code>ValidationError</Code>"
                           "<Message>Stack with id other does not exist</Message></Error>")


def test_fake_cloudformation_pages_events_newest_first(proxy):
    events = [{"logical_id": f"R{i}", "type": "AWS::SNS::Topic", "status": "CREATE_COMPLETE"}
              for i in range(5)]
    events[1].update(timestamp="2026-07-30T12:00:00Z", event_id="given-id",
                     status_reason="Resource creation Initiated")
    proxy.admin("POST", "stacks", [dev_stack(events=events, events_page_size=2)])
    cfn = client("cloudformation", proxy.url, **child_credentials(proxy.url))
    pages, token = [], None
    while True:
        out = cfn.describe_stack_events(StackName="dev-dns", **({"NextToken": token} if token
                                                                 else {}))
        pages.append(out["StackEvents"])
        token = out.get("NextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    flat = [e for p in pages for e in p]
    assert [e["LogicalResourceId"] for e in flat] == ["R0", "R1", "R2", "R3", "R4"]
    assert all(e["StackId"] == STACK_ID and e["StackName"] == "dev-dns" for e in flat)
    assert flat[1]["EventId"] == "given-id"
    assert flat[1]["Timestamp"].isoformat() == "2026-07-30T12:00:00+00:00"
    assert flat[1]["ResourceStatusReason"] == "Resource creation Initiated"
    assert flat[0]["EventId"].startswith("R0-") and len({e["EventId"] for e in flat}) == 5
    generated = [flat[i]["Timestamp"] for i in (0, 2, 3, 4)]
    assert generated == sorted(generated, reverse=True)
    # boto3's paginator follows the same tokens.
    paginator = cfn.get_paginator("describe_stack_events")
    assert sum(len(p["StackEvents"]) for p in paginator.paginate(StackName=STACK_ID)) == 5
    assert cfn_error(lambda: cfn.describe_stack_events(StackName="dev-dns", NextToken="bogus"))[
        1] == "ValidationError"
    # GET returns the table with its defaults filled in.
    table = proxy.admin("GET", "stacks")[1]
    assert table[0]["events"][1]["timestamp"] == "2026-07-30T12:00:00.000Z"
    assert table[0]["events"][0]["event_id"] == flat[0]["EventId"]


def test_fake_cloudformation_forwards_when_empty_and_yields_to_rules(proxy):
    creds = child_credentials(proxy.url)
    cfn = client("cloudformation", proxy.url, **creds)
    assert cfn.describe_stacks()["Stacks"] == []  # moto's answer
    proxy.admin("POST", "stacks", dev_stack())  # one object is a list of one
    assert len(cfn.describe_stacks()["Stacks"]) == 1
    assert cfn.list_stacks()["StackSummaries"] == []  # not a Describe* call: moto's answer
    proxy.rules([{"service": "cloudformation", "operation": "DescribeStacks", "fault": "throttle",
                  "count": 1}])
    assert cfn_error(lambda: cfn.describe_stacks()) == (400, "Throttling", "Rate exceeded")
    assert proxy.admin("POST", "stacks", []) == (200, {"stacks": 0})
    assert cfn.describe_stacks()["Stacks"] == []
    proxy.admin("POST", "stacks", [dev_stack()])
    proxy.admin("POST", "reset")
    assert proxy.admin("GET", "stacks") == (200, [])
    assert cfn.describe_stacks()["Stacks"] == []


def test_stack_table_is_checked(proxy):
    good = dev_stack()
    proxy.admin("POST", "stacks", [good])
    for bad in ([{k: v for k, v in good.items() if k != "region"}],
                [{**good, "colour": "red"}],
                [{**good, "account": "2222"}],
                [{**good, "creation_time": "yesterday"}],
                [{**good, "events_page_size": 0}],
                [{**good, "resources": [{"logical_id": "X", "type": "T"}]}],
                [{**good, "events": [{"logical_id": "X", "type": "T", "status": 5}]}],
                [{**good, "events": "none"}],
                None):
        status, out = proxy.admin("POST", "stacks", bad)
        assert status == 400 and out["error"], bad
    assert [s["stack_name"] for s in proxy.admin("GET", "stacks")[1]] == ["dev-dns"]


def test_the_manual_states_the_emitted_texts():
    doc = " ".join(faultproxy.__doc__.split())
    for guardrail, (reason, fix) in faultproxy.GUARDRAILS.items():
        assert f"{guardrail} {reason}. To fix: {fix}." in doc, guardrail
    assert GUARDRAIL_TEXT in doc
    for template in faultproxy.DEFAULT_BATCH_MESSAGES.values():
        assert template.format(name="NAME.", type="TYPE") in doc.replace('" "', ""), template
