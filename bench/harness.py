"""What every benchmark in bench/ shares: the constants (accounts, zones, deadlines, targets, the
template's defaults), logging, the fault proxy, direct access to moto, the events CloudFormation
sends either provider, the processes' commands and environments, one timed process (run_once), the
proxy log's tally, and the checks of an answer.

Imported by bench.py (the entry point) and by what it runs: single.py (one delegation), rollout.py
(direct-mode and CDK rollouts), batched.py (the batched mode), report.py (results.md and the plots).
"""

import concurrent.futures
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

import boto3
from botocore.config import Config as BotoConfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
# Moto and Receiver are here for the benchmarks to import with the rest.
from localaws import Moto, Receiver, stop_process  # noqa: E402,F401

PARENT_ACCOUNT = "123456789012"
CHILD_ACCOUNT = "222222222222"
PARENT_ZONE = "example.com"
READER_ROLE = "SubdomainDelegationReader"
EXTERNAL_ID = "bench-external-id"
# The role the CDK handler assumes in the parent account (its AssumeRoleArn property).
CDK_PARENT_ROLE = f"arn:aws:iam::{PARENT_ACCOUNT}:role/parent-delegation"
TTL = "172800"
TIMEOUT_S = 300  # each rollout request's deadline: the provider template's Lambda timeout

# The proxy's limits per mode, for the floor: (burst, refill per second) of the per-account bucket.
LIMITS = {"strict": (0, 5.0), "buckets": (50, 10.0)}

TARGETS = {
    "time_ratio": 0.25,
    "rss_mib": 16.0,
    "zip_mb": 5.0,
    "parent_calls": 3,
    "child_calls": 2,
    # Direct mode, per limit: wall ÷ floor and the throttled share, judged at N = 100 (the issue
    # sets them for the 100-account rollout; other sizes are reported). buckets: Route 53's 2026
    # limits (this target); strict: the older 5/s limit (the earlier issue's target).
    "wall_over_floor": {"buckets": 1.2, "strict": 1.3},
    "throttled_share": {"buckets": 0.35, "strict": 0.5},
    "wall_target_n": 100,
    # Batched mode.
    "batched_vs_cdk_wall": 0.5,  # N = 100, buckets: batched wall ≤ 0.5 × the CDK handler's
    "batched_parent_calls_100": 10,  # N = 100: parent-account calls in all
    "batched_calls_per_delegation": 0.1,  # N = 1,000: parent calls per delegation
    "batched_throttled_share": 0.05,  # N = 1,000
    "batched_wall_1000_s": 30.0,  # N = 1,000: + the batching window
    "alone_over_window_s": 1.0,  # one request: answered within the window + 1 s
}

# The event source mapping, as cfn/provider.yaml's defaults: BatchSize 500, batching window 2 s,
# MaximumConcurrency 2, the function's Timeout 300 s, the queue's VisibilityTimeout 2100 s.
ESM = {"batch_size": 500, "window": 2.0, "concurrency": 2, "pollers": 2}
QUEUE_VISIBILITY_S = 2100
# The direct ServiceToken's reserved concurrency (cfn/provider.yaml ReservedConcurrency default).
RESERVED_CONCURRENCY = 20
# At most this many CDK handler processes at once (this machine's memory: ~60 MB each).
CDK_MAX_LIVE = 100
# The tight change-throughput bucket: burst 100 changes, 20 changes per second (bench.py sets it
# from --tight-change-bucket; report.py reads it here).
TIGHT_CHANGE_BUCKET = (100, 20)
# The shuffled rollout's order, fixed so that runs compare.
SHUFFLE_SEED = 12

GNU_TIME = "/usr/bin/time"


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Proxy:
    """The fault proxy (tests/faultproxy/faultproxy.py) in front of moto: counts and rate-limits."""

    def __init__(self, python, upstream, mode, workdir, change_bucket=None):
        script = os.path.join(ROOT, "tests", "faultproxy", "faultproxy.py")
        if not os.path.exists(script):
            raise SystemExit(f"bench: the fault proxy {script} is missing")
        self.err = open(os.path.join(workdir, f"proxy-{mode}-{time.time_ns()}.log"), "w")
        extra = ["--change-bucket", f"{change_bucket[0]},{change_bucket[1]}"] if change_bucket else []
        self.proc = subprocess.Popen(
            [python, script, "--upstream", upstream, "--port", "0", "--mode", mode, *extra],
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
            start_new_session=True,
        )
        line = self.proc.stdout.readline().strip()
        prefix = "listening on "
        if not line.startswith(prefix):
            stop_process(self.proc)
            raise SystemExit(f"bench: the fault proxy did not say where it listens: {line!r}")
        self.endpoint = line[len(prefix):].strip()
        # Keep draining its stdout so that it never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        self.mode = mode

    def _admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.endpoint}/__faultproxy__/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
        return json.loads(text) if text.strip() else None

    def calls(self):
        got = self._admin("GET", "log")
        return got["calls"] if isinstance(got, dict) and "calls" in got else got

    def reset(self):
        self._admin("POST", "reset", {})

    def set_mode(self, mode):
        self._admin("POST", "mode", {"mode": mode})
        self.mode = mode

    def stop(self):
        stop_process(self.proc)
        self.err.close()


class Emulator:
    """Direct (unproxied, uncounted) access to moto, for setting up and checking zones."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.cfg = BotoConfig(retries={"max_attempts": 10, "mode": "standard"}, max_pool_connections=20)

    def client(self, service, account=PARENT_ACCOUNT):
        kw = dict(
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=self.cfg,
        )
        if account != PARENT_ACCOUNT:
            sts = boto3.client("sts", **kw)
            c = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/BenchSetup", RoleSessionName="bench-setup"
            )["Credentials"]
            kw.update(
                aws_access_key_id=c["AccessKeyId"],
                aws_secret_access_key=c["SecretAccessKey"],
                aws_session_token=c["SessionToken"],
            )
        return boto3.client(service, **kw)

    def zone_maker(self):
        """create(account, name) -> (zone id, name servers): one client for every account, which
        moto's `x-moto-account-id` header places (no AssumeRole per account: fast for N = 5,000)."""
        r53 = boto3.client("route53", endpoint_url=self.endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test", config=self.cfg)
        local = threading.local()

        def header(request, **_):
            request.headers["x-moto-account-id"] = local.account

        r53.meta.events.register("before-send.route53.CreateHostedZone", header)

        def create(account, name):
            local.account = account
            return self.create_zone(r53, name)

        return create

    def children(self, accounts, threads=4):
        """A zone <account>.accounts.example.com in each account: {account: (name, id, ns)}."""
        make = self.zone_maker()

        def one(account):
            name = f"{account}.accounts.{PARENT_ZONE}"
            zone_id, ns = make(account, name)
            return account, (name, zone_id, ns)

        with concurrent.futures.ThreadPoolExecutor(threads) as ex:
            return dict(ex.map(one, accounts))

    @staticmethod
    def create_zone(r53, name):
        out = r53.create_hosted_zone(Name=name, CallerReference=f"{name}-{uuid.uuid4()}")
        zone_id = out["HostedZone"]["Id"].split("/")[-1]
        return zone_id, out["DelegationSet"]["NameServers"]

    @staticmethod
    def records(r53, zone_id):
        out, kw = [], {}
        while True:
            page = r53.list_resource_record_sets(HostedZoneId=zone_id, **kw)
            out.extend(page["ResourceRecordSets"])
            if not page.get("IsTruncated"):
                return out
            kw = {"StartRecordName": page["NextRecordName"], "StartRecordType": page["NextRecordType"]}


def norm_ns(values):
    return sorted(v.lower().rstrip(".") for v in values)


# ---------------------------------------------------------------------------------------------
# Events


def our_event(receiver, key, account, parent_zone, child_zone):
    request_id = str(uuid.uuid4())
    return {
        "RequestType": "Create",
        "ServiceToken": f"arn:aws:lambda:us-east-1:{PARENT_ACCOUNT}:function:subdomain-delegation",
        "ResponseURL": receiver.url(key),
        "StackId": f"arn:aws:cloudformation:us-east-1:{account}:stack/StackSet-delegation-{uuid.uuid4()}/{uuid.uuid4()}",
        "RequestId": request_id,
        "ResourceType": "Custom::SubdomainDelegation",
        "LogicalResourceId": "Delegation",
        "ResourceProperties": {
            "ServiceToken": f"arn:aws:lambda:us-east-1:{PARENT_ACCOUNT}:function:subdomain-delegation",
            "ParentHostedZoneId": parent_zone,
            "ChildHostedZoneId": child_zone,
            "ChildRoleArn": f"arn:aws:iam::{account}:role/{READER_ROLE}",
            "ChildExternalId": EXTERNAL_ID,
            "TTL": TTL,
        },
    }


def cdk_event(receiver, key, account, parent_zone, name, name_servers):
    """What CloudFormation sends CDK's handler for a CrossAccountZoneDelegationRecord: the child
    stack passes its zone's name servers, and the handler assumes a role in the parent account."""
    request_id = str(uuid.uuid4())
    token = f"arn:aws:lambda:us-east-1:{account}:function:CrossAccountZoneDelegationCustomResourceProvider"
    return {
        "RequestType": "Create",
        "ServiceToken": token,
        "ResponseURL": receiver.url(key),
        "StackId": f"arn:aws:cloudformation:us-east-1:{account}:stack/StackSet-delegation-{uuid.uuid4()}/{uuid.uuid4()}",
        "RequestId": request_id,
        "ResourceType": "Custom::CrossAccountZoneDelegation",
        "LogicalResourceId": "Delegation",
        "ResourceProperties": {
            "ServiceToken": token,
            "AssumeRoleArn": CDK_PARENT_ROLE,
            "ParentZoneId": parent_zone,
            "DelegatedZoneName": name,
            "DelegatedZoneNameServers": list(name_servers),
            "TTL": TTL,
        },
    }


# ---------------------------------------------------------------------------------------------
# Processes


def base_env(endpoint):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    return env


def ours_cmd(binary, event_file, timeout):
    return [binary, "invoke", event_file, "--timeout", str(timeout)]


def ours_env(endpoint, mode="buckets"):
    env = base_env(endpoint)
    env.update(
        {
            # The parent account's Route 53 rate, as an operator configures it to the account's
            # quota: strict is the older 5 requests/s; buckets refill 10/s (the default).
            "DELEGATION_ROUTE53_REQUESTS_PER_SECOND": str(int(LIMITS.get(mode, (0, 10.0))[1])),
            "AWS_LAMBDA_LOG_FORMAT": "JSON",
            "DELEGATION_ALLOW_LOOPBACK_RESPONSE_URL": "true",
            # moto cannot hold a stack resource CREATE_IN_PROGRESS, so the provider cannot confirm
            # the request with CloudFormation here (contract section 8).
            "DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION": "true",
            # Stacks in child accounts may delegate their own <account>.accounts.example.com.
            "DELEGATION_POLICY": json.dumps(
                {"allow": [{"accounts": ["*"],
                            "names": ["{account}.accounts.example.com", "*.{account}.accounts.example.com"]}]}
            ),
        }
    )
    return env


def cdk_cmd(event_file):
    return ["node", os.path.join(ROOT, "bench", "cdk_invoke.js"), event_file]


def cdk_env(endpoint):
    return base_env(endpoint)


def run_once(cmd, env, workdir, tag):
    """Runs one whole process; returns wall seconds, peak RSS (KiB), exit status and its output.

    Peak RSS comes from GNU time (%M, the child's ru_maxrss): measured from Python directly, a
    child's ru_maxrss would include the Python parent's pages that the child had before exec."""
    out_path = os.path.join(workdir, f"{tag}.out")
    err_path = os.path.join(workdir, f"{tag}.err")
    rss_path = os.path.join(workdir, f"{tag}.rss")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.run([GNU_TIME, "-f", "%M", "-o", rss_path, *cmd], env=env, stdout=out,
                              stderr=err, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - started
    with open(out_path, "rb") as f:
        stdout = f.read().decode(errors="replace")
    with open(err_path, "rb") as f:
        stderr = f.read().decode(errors="replace")
    with open(rss_path) as f:
        maxrss = int(f.read().strip().splitlines()[-1])
    return {"wall_s": wall, "maxrss_kib": maxrss, "exit": proc.returncode,
            "stdout": stdout, "stderr": stderr}


def last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return None


# ---------------------------------------------------------------------------------------------
# Proxy log


def is_throttled(call):
    fault = call.get("fault")
    if fault:
        return "throttl" in str(fault).lower() or "rate" in str(fault).lower()
    return False


def delegations(emu, parent, parent_zone):
    """The parent zone's NS records below its apex, by name (no trailing dot)."""
    return {x["Name"].rstrip("."): x for x in emu.records(parent, parent_zone)
            if x["Type"] == "NS" and x["Name"].rstrip(".") != PARENT_ZONE}


def tally(calls):
    """Route 53 calls per account (all, throttled) and STS AssumeRole calls, from the proxy log."""
    r53 = {}
    throttled = {}
    ops = {}
    assume = 0
    other = 0
    for c in calls:
        service = (c.get("service") or "").lower()
        account = c.get("account") or "?"
        if service in ("route53", "route 53", "route-53"):
            r53[account] = r53.get(account, 0) + 1
            if is_throttled(c):
                throttled[account] = throttled.get(account, 0) + 1
            else:
                key = f"{account}:{c.get('operation')}"
                ops[key] = ops.get(key, 0) + 1
        elif service == "sts" and c.get("operation") == "AssumeRole":
            assume += 1
        else:
            other += 1
    return {"route53": r53, "throttled": throttled, "ok_ops": ops, "assume_role": assume, "other": other}


# ---------------------------------------------------------------------------------------------
# Accounts, answers and verdicts


def child_accounts(n):
    return [f"{310000000000 + i:012d}" for i in range(1, n + 1)]


def check_answer(answer, parent_zone, name, zone_id, ns):
    """Why a batched Create's answer is wrong, or None: SUCCESS, the right PhysicalResourceId,
    and Data naming the delegation."""
    if answer.get("Status") != "SUCCESS":
        return f"{answer.get('Status')}: {(answer.get('Reason') or '')[:160]}"
    if answer.get("PhysicalResourceId") != f"{parent_zone}/{name}":
        return f"PhysicalResourceId {answer.get('PhysicalResourceId')!r}"
    data = answer.get("Data") or {}
    wanted = {"DelegatedName": name, "ParentHostedZoneId": parent_zone, "ChildHostedZoneId": zone_id,
              "TTL": TTL}
    for key, value in wanted.items():
        if data.get(key) != value:
            return f"Data.{key} {data.get(key)!r}"
    if norm_ns((data.get("NameServers") or "").split(",")) != norm_ns(ns):
        return f"Data.NameServers {data.get('NameServers')!r}"
    return None


def verdict(ok):
    return "ok" if ok else "MISS"
