"""Benchmarks of the provider against its closest peer, CDK's CrossAccountZoneDelegationRecord handler.

Run by scripts/bench, which installs everything first. Everything runs on this machine: moto (the
Route 53 and STS emulator, multi-account) on a loopback port, the fault proxy in front of it
(tests/faultproxy/faultproxy.py: it counts every call per account and applies Route 53's rate
limits), and a loopback receiver standing in for CloudFormation's pre-signed ResponseURL, which
timestamps every answer PUT to it.

1. One delegation: a Create for a child zone in another account, handled by a whole new process
   each time (cold): `bootstrap invoke EVENT.json` (the shipped binary, from bootstrap.zip) and,
   alternating with it, the CDK handler under Node (bench/cdk_invoke.js) doing the same job on the
   same moto. Median wall time, peak RSS (ru_maxrss of the child), the zip's size, and the calls
   each made per account, counted from the proxy's log.
2. Rollout: N child accounts, each with its own zone <account>.accounts.example.com, all send a
   Create into one parent zone at once, each as its own process with its own deadline, through the
   proxy in strict mode (5 Route 53 requests/s per account, no burst) and in buckets mode (burst 50,
   10/s). Checks every answer, its time against its deadline and the parent zone's records, and
   compares the wall time with the floor the rate limit sets. Then the CDK handler (strict and
   buckets, N=100; buckets N=1,000) and the direct mode at N=1,000 (at most as many processes at
   once as the template's reserved concurrency).
3. Batched rollout: the same N Creates published to an SNS topic (moto) that delivers them to an
   SQS queue; tests/esm/esm_driver.py stands in for Lambda's SQS event source mapping and hands
   the binary batches (`bootstrap invoke` on an SQS event). Checks every answer and the records;
   counts the parent account's Route 53 calls; wall from the first publish to the last answer.
   N = 10, 100, 1,000, 5,000 with the change-throughput bucket unlimited, N = 1,000 with a tight
   one, and one request alone (answered within the batching window + 1 s).

Writes results.json, results.md and rollout.png into the output folder and prints the tables.
Exit status: 0 when every run behaved (answers, records, deadlines), 1 otherwise. Figures that
miss their target are printed as MISS but do not change the exit status: they are measurements.
"""

import argparse
import random
import concurrent.futures
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

import boto3
from botocore.config import Config as BotoConfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from localaws import Moto, Receiver, stop_process  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests", "esm"))
from esm_driver import Mapping  # noqa: E402

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
# The tight change-throughput bucket: burst 100 changes, 20 changes per second.
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
# 1. One delegation


def bench_single(args, tools, workdir):
    """Timing runs go straight to moto; then a few more runs of each go through the proxy, whose
    log counts their calls. (Timing through the proxy would measure the proxy: it is a Python
    forwarder that adds a hop to every call.)"""
    moto = Moto(tools["moto_server"], workdir)
    proxy = Proxy(tools["python"], moto.endpoint, "none", workdir)
    receiver = Receiver("BENCH")
    try:
        emu = Emulator(moto.endpoint)
        parent = emu.client("route53")
        child = emu.client("route53", CHILD_ACCOUNT)
        parent_zone, _ = emu.create_zone(parent, PARENT_ZONE)

        def job(who, tag):
            name = f"{who}-{tag}.{CHILD_ACCOUNT}.accounts.{PARENT_ZONE}"
            zone_id, ns = emu.create_zone(child, name)
            key = f"{who}-{tag}"
            if who == "ours":
                event = our_event(receiver, key, CHILD_ACCOUNT, parent_zone, zone_id)
            else:
                event = cdk_event(receiver, key, CHILD_ACCOUNT, parent_zone, name, ns)
            path = os.path.join(workdir, f"single-{key}.json")
            with open(path, "w") as f:
                json.dump(event, f)
            return who, key, name, ns, path

        problems = []

        def run(who, key, name, ns, path, endpoint):
            if who == "ours":
                r = run_once(ours_cmd(tools["binary"], path, 60), ours_env(endpoint), workdir, f"single-{key}")
            else:
                r = run_once(cdk_cmd(path), cdk_env(endpoint), workdir, f"single-{key}")
            answers = receiver.answers(key)
            status = json.loads(answers[-1].body).get("Status") if answers else None
            live = [x for x in emu.records(parent, parent_zone)
                    if x["Name"].rstrip(".") == name and x["Type"] == "NS"]
            ok = (r["exit"] == 0 and status == "SUCCESS" and len(answers) == 1 and bool(live)
                  and norm_ns(v["Value"] for v in live[0]["ResourceRecords"]) == norm_ns(ns))
            if not ok:
                problems.append(f"single {key}: exit {r['exit']}, answers {len(answers)}, status {status}, "
                                f"record {'present' if live else 'absent'}; stderr: {r['stderr'][-600:]}")
            r["ok"] = ok
            return r

        # Timing: one warm-up pair (not counted: it fills the page cache), then alternating pairs.
        samples = {"ours": [], "cdk": []}
        for i in range(args.runs + 1):
            pair = [job("ours", f"t{i}"), job("cdk", f"t{i}")]
            if i % 2:
                pair.reverse()
            for spec in pair:
                r = run(*spec, moto.endpoint)
                if i:
                    samples[spec[0]].append({"wall_s": r["wall_s"], "maxrss_kib": r["maxrss_kib"], "ok": r["ok"]})
            if i:
                log(f"single run {i}/{args.runs}: "
                    + ", ".join(f"{w} {samples[w][-1]['wall_s'] * 1000:.1f} ms" for w in ("ours", "cdk")))

        # Calls, counted by the proxy.
        counted = {"ours": [], "cdk": []}
        for i in range(args.count_runs):
            for spec in (job("ours", f"c{i}"), job("cdk", f"c{i}")):
                proxy.reset()
                r = run(*spec, proxy.endpoint)
                calls = tally(proxy.calls())
                counted[spec[0]].append({
                    "parent_route53": calls["route53"].get(PARENT_ACCOUNT, 0),
                    "child_route53": calls["route53"].get(CHILD_ACCOUNT, 0),
                    "assume_role": calls["assume_role"],
                    "ops": calls["ok_ops"],
                    "ok": r["ok"],
                })
    finally:
        receiver.stop()
        proxy.stop()
        moto.stop()

    def summary(xs, cs):
        walls = [x["wall_s"] for x in xs]
        rss = [x["maxrss_kib"] for x in xs]
        return {
            "runs": len(xs),
            "wall_ms_median": statistics.median(walls) * 1000,
            "wall_ms_min": min(walls) * 1000,
            "wall_ms_max": max(walls) * 1000,
            "rss_mib_median": statistics.median(rss) / 1024,
            "rss_mib_max": max(rss) / 1024,
            "count_runs": len(cs),
            "parent_route53_max": max(c["parent_route53"] for c in cs),
            "child_route53_max": max(c["child_route53"] for c in cs),
            "assume_role_max": max(c["assume_role"] for c in cs),
            "ops_last_run": cs[-1]["ops"],
            "all_ok": all(x["ok"] for x in xs + cs),
        }

    ours = summary(samples["ours"], counted["ours"])
    cdk = summary(samples["cdk"], counted["cdk"])
    return {
        "ours": ours,
        "cdk": cdk,
        "time_ratio": ours["wall_ms_median"] / cdk["wall_ms_median"],
        "zip_bytes": os.path.getsize(tools["zip"]) if tools["zip"] else None,
        "samples": samples,
        "counted": counted,
        "problems": problems,
    }


# ---------------------------------------------------------------------------------------------
# 2. Rollout


def child_accounts(n):
    return [f"{310000000000 + i:012d}" for i in range(1, n + 1)]


def bench_rollout(args, tools, workdir, who, mode, n, max_live=None):
    """N processes, one per account, all started at once, or at most `max_live` at a time (the
    next one starting as soon as one ends, as Lambda runs queued asynchronous invocations when a
    slot of the function's reserved concurrency frees)."""
    moto = Moto(tools["moto_server"], workdir)
    receiver = Receiver("BENCH")
    proxy = None
    try:
        emu = Emulator(moto.endpoint)
        parent = emu.client("route53")
        parent_zone, _ = emu.create_zone(parent, PARENT_ZONE)
        accounts = child_accounts(n)
        children = emu.children(accounts)
        expected = {}
        events = []
        for account in accounts:
            name, zone_id, ns = children[account]
            expected[name] = norm_ns(ns)
            if who == "ours":
                event = our_event(receiver, account, account, parent_zone, zone_id)
            else:
                event = cdk_event(receiver, account, account, parent_zone, name, ns)
            path = os.path.join(workdir, f"rollout-{who}-{mode}-{n}-{account}.json")
            with open(path, "w") as f:
                json.dump(event, f)
            events.append((account, path))
        proxy = Proxy(tools["python"], moto.endpoint, mode, workdir)
        env = ours_env(proxy.endpoint, mode) if who == "ours" else cdk_env(proxy.endpoint)

        cap = max_live or n
        log(f"rollout {who} {mode} N={n}: starting {n} processes" + (f", at most {cap} at once" if cap < n else ""))
        procs = {}
        pending = list(events)

        def launch():
            account, path = pending.pop(0)
            cmd = ours_cmd(tools["binary"], path, TIMEOUT_S) if who == "ours" else cdk_cmd(path)
            out = open(os.path.join(workdir, f"rollout-{who}-{mode}-{n}-{account}.out"), "wb")
            err = open(os.path.join(workdir, f"rollout-{who}-{mode}-{n}-{account}.err"), "wb")
            p = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            procs[account] = {"proc": p, "start": time.monotonic(), "out": out, "err": err}

        t0 = time.monotonic()
        while pending and len(procs) < cap:
            launch()
        spawned = time.monotonic() - t0

        # Reap; a process still running past its deadline (plus a grace) is killed: that is a
        # request without an answer, as a Lambda timeout would leave it.
        remaining = set(procs)
        while remaining:
            for account in list(remaining):
                p = procs[account]
                pid, status = os.waitpid(p["proc"].pid, os.WNOHANG)
                if pid:
                    p["end"] = time.monotonic()
                    p["exit"] = os.waitstatus_to_exitcode(status)
                    p["proc"].returncode = p["exit"]
                    p["out"].close()
                    p["err"].close()
                    remaining.discard(account)
                    if pending:
                        launch()
                        remaining.add(next(reversed(procs)))
                elif time.monotonic() - p["start"] > TIMEOUT_S + 15:
                    p["proc"].kill()
            time.sleep(0.05)
        finished = max(p["end"] for p in procs.values())

        calls = proxy.calls()
        counts = tally(calls)
        live = delegations(emu, parent, parent_zone)
    finally:
        receiver.stop()
        if proxy:
            proxy.stop()
        moto.stop()

    success = failed = unanswered = late = duplicated = 0
    reasons = {}
    last_answer = 0.0
    durations = []
    for account, p in procs.items():
        answers = receiver.answers(account)
        if not answers:
            unanswered += 1
            continue
        if len(answers) > 1:
            duplicated += 1
        at, body = answers[0].at, answers[0].body
        last_answer = max(last_answer, at - t0)
        durations.append(at - p["start"])
        if at > p["start"] + TIMEOUT_S:
            late += 1
        answer = json.loads(body)
        if answer.get("Status") == "SUCCESS":
            success += 1
        else:
            failed += 1
            reason = (answer.get("Reason") or "").splitlines()[0][:160]
            reasons[reason] = reasons.get(reason, 0) + 1
    extra = sorted(set(live) - set(expected))
    missing = sorted(name for name in expected if name not in live)
    wrong = sorted(name for name in expected if name in live
                   and norm_ns(v["Value"] for v in live[name]["ResourceRecords"]) != expected[name])

    parent_calls = counts["route53"].get(PARENT_ACCOUNT, 0)
    parent_throttled = counts["throttled"].get(PARENT_ACCOUNT, 0)
    total_calls = sum(counts["route53"].values())
    total_throttled = sum(counts["throttled"].values())
    needed = parent_calls - parent_throttled
    burst, rate = LIMITS.get(mode, (0, 0))
    floor = max(0.0, needed - burst) / rate if rate else 0.0
    wall = last_answer if last_answer else finished - t0
    result = {
        "who": who,
        "mode": mode,
        "n": n,
        "max_live": max_live,
        "success": success,
        "failed": failed,
        "unanswered": unanswered,
        "late": late,
        "duplicated": duplicated,
        "failure_reasons": reasons,
        "records_expected": len(expected),
        "records_present": len(expected) - len(missing) - len(wrong),
        "records_missing": len(missing),
        "records_wrong": len(wrong),
        "records_extra": len(extra),
        "wall_s": wall,
        "spawn_s": spawned,
        "floor_s": floor,
        "wall_over_floor": (wall / floor) if floor else None,
        "route53_calls": total_calls,
        "route53_throttled": total_throttled,
        "throttled_share": (total_throttled / total_calls) if total_calls else 0.0,
        "parent_route53_calls": parent_calls,
        "parent_route53_throttled": parent_throttled,
        "parent_calls_needed": needed,
        "child_route53_calls": total_calls - parent_calls,
        "assume_role": counts["assume_role"],
        "answer_s_median": statistics.median(durations) if durations else None,
        "answer_s_max": max(durations) if durations else None,
    }
    log(f"rollout {who} {mode} N={n}: {success} SUCCESS, {failed} FAILED, {unanswered} unanswered, "
        f"wall {wall:.1f} s (floor {floor:.1f} s), {total_calls} Route 53 calls, {total_throttled} throttled")
    return result


# ---------------------------------------------------------------------------------------------
# 3. Batched rollout: SNS -> SQS -> the event source mapping's stand-in -> the binary


MOTO_LAUNCHER = """#!{python}
# moto_server for the benchmarks, with speed-ups to moto that change no answer (only the SQS
# Approximate* counts' freshness), so that the emulator's own O(N^2) costs do not set the pace:
# - every request finds its account by scanning every account's IAM access keys
#   (moto/iam/models.py, get_account_id_from): O(accounts) per call, and each child account here
#   is an account. Here AssumeRole records the account of the key it hands out, a key found once
#   is remembered (a key never changes account), and so is a key moto never hands out (not a
#   20-character AKIA/ASIA key: the test credentials, which moto reads as AKIAEXAMPLE, the
#   default account).
# - SQS: every SendMessage reads all queue attributes (for ContentBasedDeduplication), and so
#   counts every message three times (ApproximateNumberOf*), and every received message reads
#   them all again (is_message_valid_based_on_retention_period): O(queue length) per message
#   (1,000 messages took 80 s to receive). Here the retention check reads the one attribute, and
#   the three counts are cached for 0.5 s (SQS calls them approximate).
# - SQS's clock (unix_time) builds datetimes; here it is time.time(), the same value.
# And one fix: moto's SQS DeleteMessage rebuilds the queue's message list without the queue's
# lock, so a message sent or deleted meanwhile can be dropped or come back (in one N = 5,000 run,
# 32 requests were never delivered and 231 messages stayed on the queue); here it takes the lock
# that sending a message takes.
import sys
import time

import moto.iam.models as iam
import moto.sqs.models as sqs

_account_of = iam.get_account_id_from
_accounts = {{}}


def get_account_id_from(access_key):
    account = _accounts.get(access_key)
    if account is None:
        account = _account_of(access_key)
        if account != iam.DEFAULT_ACCOUNT_ID or not (
            len(access_key) == 20 and access_key.startswith(("AKIA", "ASIA"))
        ):
            _accounts[access_key] = account
    return account


iam.get_account_id_from = get_account_id_from

import moto.sts.models as sts  # noqa: E402

_assume_role = sts.STSBackend.assume_role


def assume_role(self, *args, **kwargs):
    role = _assume_role(self, *args, **kwargs)
    _accounts[role.access_key_id] = role.account_id
    return role


sts.STSBackend.assume_role = assume_role

_unix_time = sqs.unix_time


def unix_time(dt=None):
    return time.time() if dt is None else _unix_time(dt)


def unix_time_millis(dt=None):
    return unix_time(dt) * 1000.0


sqs.unix_time = unix_time
sqs.unix_time_millis = unix_time_millis


def retained(self, queue_name, message):
    queue = self.get_queue(queue_name)
    return int(queue.message_retention_period) + message.sent_timestamp / 1000 > unix_time()


sqs.SQSBackend.is_message_valid_based_on_retention_period = retained

_delete_message = sqs.Queue.delete_message


def delete_message(self, receipt_handle):
    with self._messages_lock:
        return _delete_message(self, receipt_handle)


sqs.Queue.delete_message = delete_message


def cached(name):
    count = getattr(sqs.Queue, name).fget

    def get(self):
        cache = self.__dict__.setdefault("_bench_counts", {{}})
        now = time.monotonic()
        hit = cache.get(name)
        if hit is None or now - hit[0] >= 0.5:
            hit = cache[name] = (now, count(self))
        return hit[1]

    setattr(sqs.Queue, name, property(get))


for name in ("approximate_number_of_messages", "approximate_number_of_messages_delayed",
             "approximate_number_of_messages_not_visible"):
    cached(name)

from moto.server import main  # noqa: E402

sys.exit(main())
"""


def moto_launcher(moto_server, workdir):
    """A moto_server launcher (in workdir) with MOTO_LAUNCHER's speed-ups."""
    python = os.path.join(os.path.dirname(moto_server), "python")
    if not os.path.exists(python):
        python = sys.executable
    path = os.path.join(workdir, "moto_server_fast")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(MOTO_LAUNCHER.format(python=python))
        os.chmod(path, 0o755)
    return path


class Messaging:
    """moto's SNS and SQS (direct, not through the proxy: it stands for Route 53 and STS only)."""

    def __init__(self, endpoint, threads=4):
        kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                  aws_secret_access_key="test",
                  config=BotoConfig(retries={"max_attempts": 10, "mode": "standard"},
                                    max_pool_connections=threads + 4))
        self.sns = boto3.client("sns", **kw)
        self.sqs = boto3.client("sqs", **kw)
        self.threads = threads

    def topic_and_queue(self, name="subdomain-delegation"):
        """A standard topic and a queue subscribed to it as cfn/provider.yaml makes them (not raw
        delivery: the body is the SNS notification; the template's visibility timeout)."""
        topic = self.sns.create_topic(Name=name)["TopicArn"]
        queue_url = self.sqs.create_queue(
            QueueName=f"{name}-requests",
            Attributes={"VisibilityTimeout": str(QUEUE_VISIBILITY_S)})["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        return topic, queue_url

    def publish_all(self, topic, events, batch=True):
        """Publishes each request as the message of a notification, as CloudFormation does for an
        SNS ServiceToken, from a few threads at once, as many stacks would; returns {key: monotonic
        time its publish call started}. CloudFormation sends one Publish per request; with
        batch=True the requests go 10 to a PublishBatch call (each becomes the same notification),
        because moto's cost per HTTP call, not SNS, would otherwise set the pace (about 3× slower
        here)."""
        subject = "AWS CloudFormation custom resource request"

        def single(item):
            key, event = item
            at = time.monotonic()
            self.sns.publish(TopicArn=topic, Message=json.dumps(event), Subject=subject)
            return [(key, at)]

        def many(items):
            at = time.monotonic()
            entries = [{"Id": f"m{i}", "Message": json.dumps(event), "Subject": subject}
                       for i, (_, event) in enumerate(items)]
            out = self.sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
            if out.get("Failed"):
                raise RuntimeError(f"PublishBatch refused {out['Failed']}")
            return [(key, at) for key, _ in items]

        if batch:
            work, fn = [events[i:i + 10] for i in range(0, len(events), 10)], many
        else:
            work, fn = events, single
        with concurrent.futures.ThreadPoolExecutor(self.threads) as ex:
            return dict(pair for pairs in ex.map(fn, work) for pair in pairs)

    def left(self, queue_url):
        time.sleep(0.6)  # the emulator caches the counts for 0.5 s (MOTO_LAUNCHER)
        a = self.sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        return sum(int(v) for v in a["Attributes"].values())


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


def bench_batched(args, tools, workdir, mode, n, change_bucket=None, label="batched", esm_settings=None,
                  max_changes=None, shuffled=False):
    """N Creates through SNS -> SQS -> the ESM stand-in -> `bootstrap invoke` on SQS events, published
    in the accounts' order (their names' order in the zone) or, shuffled, in a random one."""
    settings = dict(ESM, **(esm_settings or {}))
    # Two emulators, as two services: Route 53 and STS (behind the proxy) in one moto, SNS and SQS
    # in another, so that one Python process does not serialize both (moto is one process).
    moto = Moto(tools["moto_server"], workdir)
    moto_msg = None
    receiver = Receiver("BENCH")
    proxy = None
    esm = None
    try:
        moto_msg = Moto(tools["moto_server"], workdir)
        emu = Emulator(moto.endpoint)
        parent = emu.client("route53")
        parent_zone, _ = emu.create_zone(parent, PARENT_ZONE)
        accounts = child_accounts(n)
        log(f"{label} {mode} N={n}: creating {n} child zones")
        children = emu.children(accounts)
        events = [(a, our_event(receiver, a, a, parent_zone, children[a][1])) for a in accounts]
        if shuffled:
            # Each batch's names then lie all over the zone: the record reads' worst case.
            random.Random(SHUFFLE_SEED).shuffle(events)
        messaging = Messaging(moto_msg.endpoint)
        topic, queue_url = messaging.topic_and_queue()
        proxy = Proxy(tools["python"], moto.endpoint, mode, workdir, change_bucket=change_bucket)
        env = ours_env(proxy.endpoint, mode)
        if max_changes:
            env["DELEGATION_MAX_CHANGES_PER_BATCH"] = str(max_changes)
        esm_dir = os.path.join(workdir, f"esm-{label}-{mode}-{n}-{time.time_ns()}")
        esm = Mapping(moto_msg.endpoint, queue_url, tools["binary"], env,
                      batch_size=settings["batch_size"], window=settings["window"],
                      concurrency=settings["concurrency"], pollers=settings["pollers"],
                      timeout=TIMEOUT_S, expect=n, idle_exit=120, max_seconds=TIMEOUT_S + 600,
                      workdir=esm_dir, log=lambda m: log(f"{label} N={n}: esm: {m}"))
        log(f"{label} {mode} N={n}: publishing {n} requests; the ESM stand-in polls (batch size "
            f"{settings['batch_size']}, window {settings['window']:g} s, MaximumConcurrency {settings['concurrency']})")
        esm.start()
        t0 = time.monotonic()
        published_at = messaging.publish_all(topic, events)
        published = time.monotonic() - t0
        summary = esm.wait()
        left = messaging.left(queue_url)
        calls = proxy.calls()
        counts = tally(calls)
        live = delegations(emu, parent, parent_zone)
    finally:
        if esm:
            esm.stop()
        receiver.stop()
        if proxy:
            proxy.stop()
        if moto_msg:
            moto_msg.stop()
        moto.stop()

    success = failed = unanswered = duplicated = wrong_answers = 0
    reasons = {}
    last_answer = 0.0
    latencies = []
    for account in accounts:
        name, zone_id, ns = children[account]
        answers = receiver.answers(account)
        if not answers:
            unanswered += 1
            continue
        if len(answers) > 1:
            duplicated += 1
        answer = json.loads(answers[0].body)
        last_answer = max(last_answer, answers[0].at - t0)
        latencies.append(answers[0].at - published_at[account])
        if answer.get("Status") == "SUCCESS":
            success += 1
        else:
            failed += 1
        problem = check_answer(answer, parent_zone, name, zone_id, ns)
        if problem:
            wrong_answers += 1
            reasons[problem.splitlines()[0][:160]] = reasons.get(problem.splitlines()[0][:160], 0) + 1
    expected = {children[a][0]: norm_ns(children[a][2]) for a in accounts}
    extra = sorted(set(live) - set(expected))
    missing = sorted(name for name in expected if name not in live)
    wrong = sorted(name for name in expected if name in live
                   and norm_ns(v["Value"] for v in live[name]["ResourceRecords"]) != expected[name])

    parent_ops = {}
    parent_throttled_ops = {}
    buckets = {}
    for c in calls:
        if (c.get("service") or "").lower() == "route53" and c.get("account") == PARENT_ACCOUNT:
            op = c.get("operation")
            parent_ops[op] = parent_ops.get(op, 0) + 1
            if is_throttled(c):
                parent_throttled_ops[op] = parent_throttled_ops.get(op, 0) + 1
                buckets[c.get("bucket") or "?"] = buckets.get(c.get("bucket") or "?", 0) + 1
    parent_calls = counts["route53"].get(PARENT_ACCOUNT, 0)
    parent_throttled = counts["throttled"].get(PARENT_ACCOUNT, 0)
    total_calls = sum(counts["route53"].values())
    total_throttled = sum(counts["throttled"].values())
    burst, rate = LIMITS[mode]
    # What the direct mode cannot beat: 3 accepted parent calls per request at the account's rate.
    direct_floor = max(0.0, 3 * n - burst) / rate
    change_floor = (max(0.0, n - change_bucket[0]) / change_bucket[1]) if change_bucket else 0.0
    batches = summary["batches"]
    result = {
        "who": "batched",
        "label": label,
        "shuffled": shuffled,
        "mode": mode,
        "n": n,
        "change_bucket": list(change_bucket) if change_bucket else None,
        "max_changes_per_batch": max_changes or 100,
        "esm": settings,
        "success": success,
        "failed": failed,
        "unanswered": unanswered,
        "duplicated": duplicated,
        "wrong_answers": wrong_answers,
        "failure_reasons": reasons,
        "records_expected": len(expected),
        "records_present": len(expected) - len(missing) - len(wrong),
        "records_missing": len(missing),
        "records_wrong": len(wrong),
        "records_extra": len(extra),
        "left_on_queue": left,
        "publish_s": published,
        "wall_s": last_answer,
        "answer_s_median": statistics.median(latencies) if latencies else None,
        "answer_s_max": max(latencies) if latencies else None,
        "direct_floor_s": direct_floor,
        "change_floor_s": change_floor,
        "route53_calls": total_calls,
        "route53_throttled": total_throttled,
        "throttled_share": (total_throttled / total_calls) if total_calls else 0.0,
        "parent_route53_calls": parent_calls,
        "parent_route53_throttled": parent_throttled,
        "parent_throttled_share": (parent_throttled / parent_calls) if parent_calls else 0.0,
        "parent_ops": parent_ops,
        "parent_throttled_ops": parent_throttled_ops,
        "throttled_by_bucket": buckets,
        "parent_calls_per_delegation": parent_calls / n,
        "child_route53_calls": total_calls - parent_calls,
        "assume_role": counts["assume_role"],
        "invocations": summary["invocations"],
        "batch_sizes": [b["size"] for b in batches],
        "batch_ms": [b["ms"] for b in batches],
        # When each invocation started, from the first publish.
        "batch_started_s": [round(b["started_s"] - (t0 - esm.started), 2) for b in batches],
        "batch_failures": summary["failures_reported"],
        "whole_batch_failures": summary["whole_batch_failures"],
        "redelivered": len(summary["redelivered"]),
        "esm_stop": summary["stop_reason"],
        "esm_summary": {k: summary[k] for k in ("messages", "receives", "deleted", "left_in_buffer", "receive_calls",
                                                 "delete_calls", "delete_errors", "wall_s", "first_receive_s")},
        "provider_batches": [b["provider"] for b in batches],
    }
    log(f"{label} {mode} N={n}: {success} SUCCESS, {failed} FAILED, {unanswered} unanswered, "
        f"{wrong_answers} wrong; wall {last_answer:.1f} s (published in {published:.1f} s); "
        f"{result['invocations']} invocations {result['batch_sizes']}; parent calls {parent_calls} "
        f"({parent_throttled} throttled), all Route 53 calls {total_calls} ({total_throttled} throttled)")
    return result


# ---------------------------------------------------------------------------------------------
# Report


def verdict(ok):
    return "ok" if ok else "MISS"


def report(single, rollouts, quick, binary, batched=None):
    lines = []
    add = lines.append
    add(f"Binary measured: `{os.path.relpath(binary, ROOT)}`"
        + (" (quick run: tiny sizes; not the figures the README quotes)" if quick else "") + ".")
    add("")
    if single:
        o, c = single["ours"], single["cdk"]
        add(f"### One delegation (Create, child zone in another account; median of {o['runs']} cold runs each, alternating; calls counted by the proxy over {o['count_runs']} more)")
        add("")
        add("| | subdomain-delegation | CDK handler (Node) | target |")
        add("|---|---:|---:|---|")
        add(f"| wall time, median | {o['wall_ms_median']:.0f} ms | {c['wall_ms_median']:.0f} ms | "
            f"ratio {single['time_ratio']:.3f}× (≤ {TARGETS['time_ratio']}×) {verdict(single['time_ratio'] <= TARGETS['time_ratio'])} |")
        add(f"| wall time, min–max | {o['wall_ms_min']:.0f}–{o['wall_ms_max']:.0f} ms | {c['wall_ms_min']:.0f}–{c['wall_ms_max']:.0f} ms | |")
        add(f"| peak RSS, median | {o['rss_mib_median']:.1f} MiB | {c['rss_mib_median']:.1f} MiB | "
            f"≤ {TARGETS['rss_mib']:.0f} MiB {verdict(o['rss_mib_max'] <= TARGETS['rss_mib'])} |")
        add(f"| Route 53 calls, parent account | {o['parent_route53_max']} | {c['parent_route53_max']} | "
            f"≤ {TARGETS['parent_calls']} {verdict(o['parent_route53_max'] <= TARGETS['parent_calls'])} |")
        add(f"| Route 53 calls, child account | {o['child_route53_max']} | {c['child_route53_max']} | "
            f"≤ {TARGETS['child_calls']} {verdict(o['child_route53_max'] <= TARGETS['child_calls'])} |")
        add(f"| STS AssumeRole calls | {o['assume_role_max']} | {c['assume_role_max']} | one per role {verdict(o['assume_role_max'] <= 1)} |")
        if single["zip_bytes"] is not None:
            add(f"| package | bootstrap.zip {single['zip_bytes'] / 1e6:.2f} MB | | ≤ {TARGETS['zip_mb']:.0f} MB "
                f"{verdict(single['zip_bytes'] <= TARGETS['zip_mb'] * 1e6)} |")
        add("")
        add(f"Calls (proxy log, one run): ours {fmt_ops(o['ops_last_run'])}; CDK {fmt_ops(c['ops_last_run'])}.")
        add("")
    if rollouts:
        add(f"### Rollout: N accounts send a Create into one parent zone at once (deadline {TIMEOUT_S} s each)")
        add("")
        add("| provider | limit | N | SUCCESS | FAILED | no answer | late | records | wall | floor | wall/floor | Route 53 calls | per request | throttled | AssumeRole |")
        add("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in rollouts:
            ratio = f"{r['wall_over_floor']:.2f}×" if r["wall_over_floor"] else "–"
            records = f"{r['records_present']}/{r['records_expected']}" + (f" +{r['records_extra']}" if r["records_extra"] else "")
            n_cell = f"{r['n']}" + (f" (≤ {r['max_live']} at once)" if r.get("max_live") else "")
            add(f"| {'subdomain-delegation' if r['who'] == 'ours' else 'CDK handler'} | {r['mode']} | {n_cell} | "
                f"{r['success']} | {r['failed']} | {r['unanswered']} | {r['late']} | {records} | "
                f"{r['wall_s']:.1f} s | {r['floor_s']:.1f} s | {ratio} | {r['route53_calls']} | "
                f"{r['route53_calls'] / r['n']:.1f} | {r['route53_throttled']} ({r['throttled_share'] * 100:.0f}%) | {r['assume_role']} |")
        add("")
        add("Floor: the parent-account Route 53 calls that succeeded (the calls the work needs) ÷ the rate "
            "(strict: 5/s, no burst; buckets: the first 50 free, then 10/s). Wall: from the first process "
            "started to the last answer received. The provider runs with DELEGATION_ROUTE53_REQUESTS_PER_SECOND "
            "set to the limit's rate (strict 5, buckets 10). \"≤ k at once\": at most k processes run at a time, "
            f"the next starting when one ends (ours: the template's reserved concurrency, {RESERVED_CONCURRENCY}; "
            f"the CDK handler: {CDK_MAX_LIVE}, this machine's memory; its Lambda would run them all at once).")
        fails = [r for r in rollouts if r["failure_reasons"]]
        for r in fails:
            add("")
            add(f"Failure reasons, {r['who']} {r['mode']} N={r['n']}:")
            for reason, count in sorted(r["failure_reasons"].items(), key=lambda kv: -kv[1])[:5]:
                add(f"- {count}× {reason}")
        add("")
        add("Targets (subdomain-delegation):")
        for r in rollouts:
            if r["who"] != "ours":
                continue
            share_target = TARGETS["throttled_share"].get(r["mode"], 0.5)
            checks = [
                ("all SUCCESS", r["success"] == r["n"]),
                ("no late answer", r["late"] == 0 and r["unanswered"] == 0),
                ("exact records", r["records_present"] == r["n"] and r["records_extra"] == 0),
                (f"throttled < {share_target * 100:.0f}%", r["throttled_share"] < share_target),
            ]
            if r["n"] != TARGETS["wall_target_n"]:
                pass
            elif r["wall_over_floor"] is None:
                checks.append(("wall: no floor (the burst covers every call)", True))
            else:
                ratio_target = TARGETS["wall_over_floor"].get(r["mode"], 1.3)
                checks.append((f"wall ≤ {ratio_target}× floor", r["wall_over_floor"] <= ratio_target))
            cap = f" (≤ {r['max_live']} at once)" if r.get("max_live") else ""
            add(f"- {r['mode']} N={r['n']}{cap}: " + ", ".join(f"{name} {verdict(ok)}" for name, ok in checks))
    if batched:
        report_batched(add, batched, rollouts or [])
    return "\n".join(lines) + "\n"


def find(runs, **kw):
    for r in runs:
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def batched_row(r):
    records = f"{r['records_present']}/{r['records_expected']}" + (f" +{r['records_extra']}" if r["records_extra"] else "")
    bucket = f"{r['change_bucket'][0]}, {r['change_bucket'][1]}/s" if r["change_bucket"] else "unlimited"
    if r.get("max_changes_per_batch", 100) != 100:
        bucket += f"; {r['max_changes_per_batch']} changes a call"
    got = r["batch_sizes"]
    shown = ", ".join(str(x) for x in got[:6]) + (f", … ({len(got)})" if len(got) > 6 else "")
    return (f"| {r['n']} | {bucket} | {r['success']} | {r['failed']} | {r['unanswered']} | {r['wrong_answers']} | {records} | "
            f"{r['publish_s']:.1f} s | {r['wall_s']:.1f} s | {r['answer_s_median']:.1f} / {r['answer_s_max']:.1f} s | "
            f"{r['invocations']}: {shown} | {r['parent_route53_calls']} ({r['parent_route53_throttled']}) | "
            f"{r['parent_calls_per_delegation']:.3f} | {r['route53_calls']} ({r['throttled_share'] * 100:.1f}%) | "
            f"{r['direct_floor_s']:.1f} s |")


def report_batched(add, batched, rollouts):
    runs = [r for r in batched if r["label"] == "batched"]
    alone = [r for r in batched if r["label"] == "alone"]
    esm = (runs or alone)[0]["esm"]
    add("")
    add("### Batched mode: CloudFormation → SNS → SQS → event source mapping → one invocation per batch")
    add("")
    add(f"Event source mapping (tests/esm/esm_driver.py standing in for Lambda's): BatchSize {esm['batch_size']}, "
        f"batching window {esm['window']:g} s, MaximumConcurrency {esm['concurrency']}, function timeout {TIMEOUT_S} s, "
        f"queue visibility timeout {QUEUE_VISIBILITY_S} s (cfn/provider.yaml's defaults), {esm['pollers']} pollers "
        "receiving 10 messages a call. The provider: DELEGATION_ROUTE53_REQUESTS_PER_SECOND 10, "
        "DELEGATION_MAX_CHANGES_PER_BATCH 100 (defaults). Route 53: buckets mode (account 50/10 per s, "
        "per action 50/10), the change-throughput bucket as stated. Requests published 10 to a PublishBatch call.")
    add("")
    add("| N | change bucket | SUCCESS | FAILED | no answer | wrong answer | records | published in | wall | answer after publish, median / max | invocations: sizes | parent calls (throttled) | per delegation | all Route 53 calls (throttled) | direct mode's floor |")
    add("|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---:|")
    for r in sorted(batched, key=lambda r: (r["label"] != "batched", r["change_bucket"] is not None, r["n"])):
        if r["label"] == "batched":
            add(batched_row(r))
    add("")
    add("Wall: from the first publish to the last answer received. Direct mode's floor: 3 parent calls per "
        "request at 10/s after the burst of 50, (3N − 50) ÷ 10 s. Parent calls: every Route 53 call in the "
        "parent account (the proxy's log), throttled ones and INSYNC polls included (moto answers INSYNC at once).")
    for r in runs:
        if r["failure_reasons"]:
            add("")
            add(f"Wrong answers, batched N={r['n']}:")
            for reason, count in sorted(r["failure_reasons"].items(), key=lambda kv: -kv[1])[:5]:
                add(f"- {count}× {reason}")
    checks = [(f"N={r['n']}" + (f", change bucket {r['change_bucket'][0]}, {r['change_bucket'][1]}/s" if r["change_bucket"] else "")
               + (f", {r['max_changes_per_batch']} changes per batch" if r.get("max_changes_per_batch", 100) != 100 else "")
               + f": {r['success']} SUCCESS, {r['failed']} FAILED, every answer right, records exact", batched_ok(r))
              for r in sorted(runs, key=lambda r: (r["change_bucket"] is not None, r["n"]))]
    b100 = find(runs, n=100, change_bucket=None)
    cdk100 = find(rollouts, who="cdk", mode="buckets", n=100)
    direct100 = find(rollouts, who="ours", mode="buckets", n=100)
    if b100:
        add("")
        add("#### N = 100, buckets")
        add("")
        add("| | SUCCESS | FAILED | wall | parent calls (throttled) | all Route 53 calls (throttled) |")
        add("|---|---:|---:|---:|---:|---:|")
        add(f"| batched | {b100['success']} | {b100['failed'] + b100['unanswered']} | {b100['wall_s']:.1f} s | "
            f"{b100['parent_route53_calls']} ({b100['parent_route53_throttled']}) | {b100['route53_calls']} ({b100['route53_throttled']}) |")
        for label, r in (("direct", direct100), ("CDK handler", cdk100)):
            if r:
                add(f"| {label} | {r['success']} | {r['failed'] + r['unanswered']} | {r['wall_s']:.1f} s | "
                    f"{r['parent_route53_calls']} ({r['parent_route53_throttled']}) | {r['route53_calls']} ({r['route53_throttled']}) |")
        if cdk100:
            ratio = b100["wall_s"] / cdk100["wall_s"]
            checks.append((f"N=100: batched wall ≤ {TARGETS['batched_vs_cdk_wall']}× the CDK handler's "
                           f"({b100['wall_s']:.1f} s vs {cdk100['wall_s']:.1f} s: {ratio:.2f}×)", ratio <= TARGETS["batched_vs_cdk_wall"]))
        checks.append((f"N=100: parent calls ≤ {TARGETS['batched_parent_calls_100']} ({b100['parent_route53_calls']})",
                       b100["parent_route53_calls"] <= TARGETS["batched_parent_calls_100"]))
    b1000 = find(runs, n=1000, change_bucket=None)
    tight1000 = find(runs, n=1000, change_bucket=list(TIGHT_CHANGE_BUCKET), max_changes_per_batch=100)
    tight_others = [r for r in runs if r["n"] == 1000 and r["change_bucket"] and r is not tight1000]
    if b1000 or tight1000:
        add("")
        add("#### N = 1,000, buckets")
        add("")
        add("| | SUCCESS | FAILED | no answer | wall | parent calls (throttled) | per delegation | all Route 53 calls (throttled) |")
        add("|---|---:|---:|---:|---:|---:|---:|---:|")
        rows = [("batched, change bucket unlimited", b1000),
                (f"batched, change bucket {TIGHT_CHANGE_BUCKET[0]}, {TIGHT_CHANGE_BUCKET[1]}/s", tight1000)]
        rows += [(f"batched, change bucket {r['change_bucket'][0]}, {r['change_bucket'][1]}/s, "
                  f"DELEGATION_MAX_CHANGES_PER_BATCH {r['max_changes_per_batch']}", r) for r in tight_others]
        rows += [
                (f"direct (≤ {RESERVED_CONCURRENCY} at once)", find(rollouts, who="ours", mode="buckets", n=1000)),
                (f"CDK handler (≤ {CDK_MAX_LIVE} at once)", find(rollouts, who="cdk", mode="buckets", n=1000))]
        for label, r in rows:
            if r:
                add(f"| {label} | {r['success']} | {r['failed']} | {r['unanswered']} | {r['wall_s']:.1f} s | "
                    f"{r['parent_route53_calls']} ({r['parent_route53_throttled']}) | {r['parent_route53_calls'] / r['n']:.3f} | "
                    f"{r['route53_calls']} ({r['route53_throttled']}, {r['throttled_share'] * 100:.1f}%) |")
        for r in [tight1000] + tight_others:
            if r:
                add("")
                add(f"Tight change bucket ({r['change_bucket'][0]} changes of burst, {r['change_bucket'][1]} per second), "
                    f"DELEGATION_MAX_CHANGES_PER_BATCH {r['max_changes_per_batch']}: 1,000 changes need at least "
                    f"{r['change_floor_s']:.0f} s of refill after the burst; change calls "
                    f"{r['parent_ops'].get('ChangeResourceRecordSets', 0)} "
                    f"({r['parent_throttled_ops'].get('ChangeResourceRecordSets', 0)} throttled, by bucket: "
                    f"{r['throttled_by_bucket'] or 'none'}).")
    if b1000:
        limit = TARGETS["batched_wall_1000_s"] + b1000["esm"]["window"]
        checks += [
            (f"N=1,000: ≤ {TARGETS['batched_calls_per_delegation']} parent calls per delegation "
             f"({b1000['parent_route53_calls']} in all)", b1000["parent_calls_per_delegation"] <= TARGETS["batched_calls_per_delegation"]),
            (f"N=1,000: throttled < {TARGETS['batched_throttled_share'] * 100:.0f}% "
             f"(all calls {b1000['throttled_share'] * 100:.1f}%, parent calls {b1000['parent_throttled_share'] * 100:.1f}%)",
             b1000["throttled_share"] < TARGETS["batched_throttled_share"]
             and b1000["parent_throttled_share"] < TARGETS["batched_throttled_share"]),
            (f"N=1,000: wall ≤ {limit:g} s ({b1000['wall_s']:.1f} s)", b1000["wall_s"] <= limit),
        ]
    scale = sorted((r for r in runs if r["change_bucket"] is None), key=lambda r: r["n"])
    if len(scale) > 1:
        add("")
        add("#### Scaling (change bucket unlimited)")
        add("")
        add("| N | wall | direct mode's floor | parent calls | of which record reads | direct mode's parent calls (3N) | per delegation | invocations |")
        add("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in scale:
            add(f"| {r['n']} | {r['wall_s']:.1f} s | {r['direct_floor_s']:.1f} s | {r['parent_route53_calls']} | "
                f"{r['parent_ops'].get('ListResourceRecordSets', 0)} | {3 * r['n']} | "
                f"{r['parent_calls_per_delegation']:.3f} | {r['invocations']} |")
        add("")
        add("Plot: [batched.png](batched.png).")
    shuffled = sorted((r for r in batched if r["label"] == "shuffled"), key=lambda r: r["n"])
    if shuffled:
        add("")
        add("#### Publish order: the accounts' order against a random one (change bucket unlimited)")
        add("")
        add("A batch reads the pages of the parent zone that hold its names. Published in the accounts' order, "
            "a batch's names are neighbours in the zone; shuffled, they lie all over it, so each batch reads "
            "up to the whole zone.")
        add("")
        add("| N | order | SUCCESS | wall | parent calls | record reads | change calls | per delegation | invocations |")
        add("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in shuffled:
            for label, x in (("accounts'", find(runs, n=r["n"], change_bucket=None)), ("shuffled", r)):
                if x:
                    add(f"| {x['n']} | {label} | {x['success']} | {x['wall_s']:.1f} s | {x['parent_route53_calls']} | "
                        f"{x['parent_ops'].get('ListResourceRecordSets', 0)} | "
                        f"{x['parent_ops'].get('ChangeResourceRecordSets', 0)} | "
                        f"{x['parent_calls_per_delegation']:.3f} | {x['invocations']} |")
            checks.append((f"N={r['n']}, shuffled: {r['success']} SUCCESS, {r['failed']} FAILED, every answer right, "
                           "records exact", batched_ok(r)))
    if alone:
        add("")
        lat = [r["answer_s_max"] for r in alone]
        window = alone[0]["esm"]["window"]
        add(f"#### One request alone: answered {', '.join(f'{x:.2f}' for x in lat)} s after its publish "
            f"(window {window:g} s; {len(alone)} run{'s' if len(alone) > 1 else ''})")
        checks.append((f"one request alone answered within the window + {TARGETS['alone_over_window_s']:g} s "
                       f"(max {max(lat):.2f} s)", all(batched_ok(r) for r in alone)
                       and max(lat) <= window + TARGETS["alone_over_window_s"]))
    if checks:
        add("")
        add("Targets (batched mode):")
        for name, ok in checks:
            add(f"- {name}: {verdict(ok)}")


def batched_ok(r):
    return (r["success"] == r["n"] and r["failed"] == 0 and r["unanswered"] == 0 and r["wrong_answers"] == 0
            and r["records_present"] == r["n"] and r["records_extra"] == 0)


def plot_batched(batched, rollouts, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    runs = sorted((r for r in batched if r["label"] == "batched" and r["change_bucket"] is None), key=lambda r: r["n"])
    direct = sorted((r for r in rollouts if r["who"] == "ours" and r["mode"] == "buckets"), key=lambda r: r["n"])
    if not runs:
        return
    ns = [r["n"] for r in runs]
    span = sorted(set(ns + [r["n"] for r in direct]))
    burst, rate = LIMITS["buckets"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(ns, [r["wall_s"] for r in runs], "o-", color="tab:blue", label="batched: wall (first publish → last answer)")
    floor_ns = [n for n in span if 3 * n > burst]
    ax1.plot(floor_ns, [(3 * n - burst) / rate for n in floor_ns], "--", color="tab:red",
             label="direct mode's floor: (3N − 50) ÷ 10/s (0 below N = 17)")
    if direct:
        ax1.plot([r["n"] for r in direct], [r["wall_s"] for r in direct], "s", color="tab:red", alpha=0.6,
                 label="direct mode, measured")
    shuffled = [r for r in batched if r["label"] == "shuffled"]
    if shuffled:
        ax1.plot([r["n"] for r in shuffled], [r["wall_s"] for r in shuffled], "^", color="tab:purple",
                 label="batched, published in a random order")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("requests N (Creates into one parent zone)")
    ax1.set_ylabel("seconds")
    ax1.set_title("Wall time")
    ax1.grid(alpha=0.3, which="both")
    ax1.legend(fontsize=8)
    ax2.plot(ns, [r["parent_route53_calls"] for r in runs], "o-", color="tab:blue", label="batched: parent-account calls")
    if shuffled:
        ax2.plot([r["n"] for r in shuffled], [r["parent_route53_calls"] for r in shuffled], "^", color="tab:purple",
                 label="batched, published in a random order")
    ax2.plot(span, [3 * n for n in span], "--", color="tab:red", label="direct mode's floor: 3N")
    if direct:
        ax2.plot([r["n"] for r in direct], [r["parent_route53_calls"] for r in direct], "s", color="tab:red", alpha=0.6,
                 label="direct mode, measured (throttled included)")
    bs = runs[0]["esm"]["batch_size"]
    per_call = runs[0]["max_changes_per_batch"]
    ax2.plot(span, [2 * -(-n // bs) + -(-n // per_call) for n in span], ":", color="tab:gray",
             label=f"2⌈N/{bs}⌉ + ⌈N/{per_call}⌉: 2 reads a batch,\n1 change call per {per_call} requests")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    for axis in (ax1.xaxis, ax1.yaxis, ax2.xaxis, ax2.yaxis):
        axis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax2.set_xlabel("requests N (Creates into one parent zone)")
    ax2.set_ylabel("Route 53 calls in the parent account")
    ax2.set_title("Parent-account Route 53 calls (proxy log)")
    ax2.grid(alpha=0.3, which="both")
    ax2.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fmt_ops(ops):
    return ", ".join(f"{k.split(':', 1)[1]}@{k.split(':', 1)[0]}×{v}" for k, v in sorted(ops.items()))


def plot(rollouts, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # All N at once; the runs with at most k processes at once are in the tables and batched.png.
    rollouts = [r for r in rollouts if not r.get("max_live")]
    ours = [r for r in rollouts if r["who"] == "ours"]
    modes = sorted({r["mode"] for r in ours}, key=lambda m: ["strict", "buckets"].index(m) if m in ("strict", "buckets") else 9)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = {"strict": "tab:red", "buckets": "tab:blue"}
    for mode in modes:
        rs = sorted((r for r in ours if r["mode"] == mode), key=lambda r: r["n"])
        ns = [r["n"] for r in rs]
        color = colors.get(mode, "tab:gray")
        ax1.plot(ns, [r["wall_s"] for r in rs], "o-", color=color, label=f"{mode}: wall time")
        ax1.plot(ns, [r["floor_s"] for r in rs], "--", color=color, alpha=0.6, label=f"{mode}: floor (rate limit)")
        ax2.plot(ns, [r["route53_calls"] for r in rs], "o-", color=color, label=f"{mode}: all Route 53 calls")
        ax2.plot(ns, [r["route53_throttled"] for r in rs], "x:", color=color, label=f"{mode}: throttled")
    cdk_markers = {"strict": "s", "buckets": "D"}
    for r in rollouts:
        if r["who"] == "cdk":
            ax1.plot([r["n"]], [r["wall_s"]], cdk_markers.get(r["mode"], "s"), color="tab:green",
                     label=f"CDK handler, {r['mode']}: {r['failed'] + r['unanswered']} of {r['n']} failed")
    ax1.set_xlabel("accounts (concurrent Create requests)")
    ax1.set_ylabel("seconds until the last answer")
    ax1.set_title("Rollout wall time vs the rate-limit floor")
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=8)
    ax2.set_xlabel("accounts (concurrent Create requests)")
    ax2.set_ylabel("Route 53 calls (proxy log)")
    ax2.set_title("Route 53 calls, including throttled ones")
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def pairs(spec):
    """'MODE:N,MODE:N' -> [(mode, n)]; 'none' or '' -> []."""
    if not spec or spec == "none":
        return []
    return [(m, int(n)) for m, n in (x.split(":") for x in spec.split(",") if x)]


def sizes(spec):
    if not spec or spec == "none":
        return []
    return [int(x) for x in spec.split(",") if x]


def main():
    global TIGHT_CHANGE_BUCKET
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--zip", help="bootstrap.zip, for its size")
    ap.add_argument("--moto-server", required=True)
    ap.add_argument("--out", required=True, help="folder for results.json, results.md, rollout.png, batched.png")
    ap.add_argument("--runs", type=int, default=10, help="single-delegation runs of each (median)")
    ap.add_argument("--count-runs", type=int, default=3, help="single-delegation runs of each through the proxy, counting calls")
    ap.add_argument("--sizes", default="10,50,100,200", help="direct-mode rollout sizes N, all at once")
    ap.add_argument("--modes", default="strict,buckets")
    ap.add_argument("--cdk-rollout", default="strict:100,buckets:100,buckets:1000",
                    help=f"MODE:N,... for the CDK handler's rollouts (N > {CDK_MAX_LIVE}: at most {CDK_MAX_LIVE} at once), or 'none'")
    ap.add_argument("--direct-large", default="buckets:1000",
                    help=f"MODE:N,... direct-mode rollouts with at most {RESERVED_CONCURRENCY} processes at once "
                         "(the template's reserved concurrency), or 'none'")
    ap.add_argument("--batched-sizes", default="10,100,1000,5000",
                    help="batched rollouts (buckets mode, change bucket unlimited), or 'none'")
    ap.add_argument("--batched-tight", default="1000",
                    help="batched rollouts with the tight change bucket (--tight-change-bucket), or 'none'")
    ap.add_argument("--tight-change-bucket", default=f"{TIGHT_CHANGE_BUCKET[0]},{TIGHT_CHANGE_BUCKET[1]}",
                    help="BURST,RATE of the change-throughput bucket for --batched-tight")
    ap.add_argument("--tight-max-changes", default="100,50",
                    help="DELEGATION_MAX_CHANGES_PER_BATCH values to run the tight change bucket with")
    ap.add_argument("--batched-shuffled", default="5000",
                    help="batched sizes N published in a random order (none: skip)")
    ap.add_argument("--alone-runs", type=int, default=3, help="batched runs of one request alone")
    ap.add_argument("--batch-size", type=int, default=ESM["batch_size"])
    ap.add_argument("--window", type=float, default=ESM["window"])
    ap.add_argument("--concurrency", type=int, default=ESM["concurrency"])
    ap.add_argument("--only", choices=["single", "rollout", "batched", "all"], default="all")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs")
    ap.add_argument("--render-only", action="store_true",
                    help="rewrite results.md and the plots from OUT/results.json without measuring")
    args = ap.parse_args()
    TIGHT_CHANGE_BUCKET = tuple(int(x) for x in args.tight_change_bucket.split(","))
    ESM.update(batch_size=args.batch_size, window=args.window, concurrency=args.concurrency)

    if args.render_only:
        with open(os.path.join(args.out, "results.json")) as f:
            results = json.load(f)
        render(results, args.out, args.binary)
        return 0

    tools = {"binary": args.binary, "zip": args.zip, "moto_server": args.moto_server, "python": sys.executable}
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="bench-", dir=os.path.join(ROOT, "target"))
    log(f"work files in {workdir}")
    # Every emulator runs with MOTO_LAUNCHER's speed-ups.
    tools["moto_server"] = moto_launcher(args.moto_server, workdir)

    single = None
    rollouts = []
    batched = []
    if args.only in ("single", "all"):
        log(f"one delegation: {args.runs} runs of each, alternating")
        single = bench_single(args, tools, workdir)
    if args.only in ("rollout", "all"):
        for mode in [m for m in args.modes.split(",") if m]:
            for n in sizes(args.sizes):
                rollouts.append(bench_rollout(args, tools, workdir, "ours", mode, n))
        for mode, n in pairs(args.direct_large):
            rollouts.append(bench_rollout(args, tools, workdir, "ours", mode, n, max_live=RESERVED_CONCURRENCY))
        for mode, n in pairs(args.cdk_rollout):
            rollouts.append(bench_rollout(args, tools, workdir, "cdk", mode, n,
                                          max_live=CDK_MAX_LIVE if n > CDK_MAX_LIVE else None))
    if args.only in ("batched", "all"):
        for n in sizes(args.batched_sizes):
            batched.append(bench_batched(args, tools, workdir, "buckets", n))
        for n in sizes(args.batched_tight):
            for max_changes in sizes(args.tight_max_changes):
                batched.append(bench_batched(args, tools, workdir, "buckets", n, change_bucket=TIGHT_CHANGE_BUCKET,
                                             max_changes=max_changes))
        for n in sizes(args.batched_shuffled):
            batched.append(bench_batched(args, tools, workdir, "buckets", n, label="shuffled", shuffled=True))
        for _ in range(args.alone_runs):
            batched.append(bench_batched(args, tools, workdir, "buckets", 1, label="alone"))

    results = {
        "machine": {"cores": os.cpu_count(), "uname": " ".join(os.uname())},
        "quick": args.quick,
        "single": single,
        "rollouts": rollouts,
        "batched": batched,
        "settings": {"esm": ESM, "queue_visibility_s": QUEUE_VISIBILITY_S, "tight_change_bucket": TIGHT_CHANGE_BUCKET,
                     "reserved_concurrency": RESERVED_CONCURRENCY, "cdk_max_live": CDK_MAX_LIVE},
    }
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    render(results, args.out, args.binary)

    broken = []
    if single:
        broken += single["problems"]
    for r in rollouts:
        if r["who"] != "ours" or r.get("max_live"):
            continue
        if r["success"] != r["n"] or r["late"] or r["unanswered"]:
            broken.append(f"rollout {r['mode']} N={r['n']}: {r['success']}/{r['n']} SUCCESS, "
                          f"{r['late']} late, {r['unanswered']} unanswered")
        if r["records_present"] != r["n"] or r["records_extra"]:
            broken.append(f"rollout {r['mode']} N={r['n']}: parent zone holds {r['records_present']}/{r['n']} "
                          f"expected records and {r['records_extra']} others")
    for r in batched:
        if not batched_ok(r):
            broken.append(f"{r['label']} N={r['n']}: {r['success']}/{r['n']} SUCCESS, {r['wrong_answers']} wrong answers, "
                          f"{r['unanswered']} unanswered, records {r['records_present']}/{r['n']} (+{r['records_extra']})")
    for b in broken:
        log(f"FAILED: {b}")
    log(f"results in {args.out}")
    return 1 if broken else 0


def render(results, out, binary):
    text = report(results["single"], results["rollouts"], results["quick"], binary, results.get("batched"))
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    if results["rollouts"]:
        plot(results["rollouts"], os.path.join(out, "rollout.png"))
    if results.get("batched"):
        plot_batched(results["batched"], results["rollouts"], os.path.join(out, "batched.png"))
    print(text)


if __name__ == "__main__":
    sys.exit(main())
