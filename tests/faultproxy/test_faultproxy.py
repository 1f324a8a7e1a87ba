"""Tests of the fault proxy itself, in front of a real moto server, with boto3 as the client.

Run: .venv/bin/python -m pytest tests/faultproxy -q   (MOTO_SERVER or .venv/bin/moto_server)
"""

from __future__ import annotations

import json
import os
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


def client(service: str, endpoint: str, retries: int = 1, timeout: float = 30, **creds):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
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
    assert proxy.admin("POST", "mode", {"mode": "buckets"}) == (200, {"mode": "buckets"})
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
