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
   compares the wall time with the floor the rate limit sets. Then the CDK handler, strict, N=100.

Writes results.json, results.md and rollout.png into the output folder and prints the tables.
Exit status: 0 when every run behaved (answers, records, deadlines), 1 otherwise. Figures that
miss their target are printed as MISS but do not change the exit status: they are measurements.
"""

import argparse
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
    "wall_over_floor": 1.3,
    # The issue sets the wall-time target for the 100-account rollout; other sizes are reported.
    "wall_target_n": 100,
    "throttled_share": 0.5,
}

GNU_TIME = "/usr/bin/time"


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Proxy:
    """The fault proxy (tests/faultproxy/faultproxy.py) in front of moto: counts and rate-limits."""

    def __init__(self, python, upstream, mode, workdir):
        script = os.path.join(ROOT, "tests", "faultproxy", "faultproxy.py")
        if not os.path.exists(script):
            raise SystemExit(f"bench: the fault proxy {script} is missing")
        self.err = open(os.path.join(workdir, f"proxy-{mode}-{time.time_ns()}.log"), "w")
        self.proc = subprocess.Popen(
            [python, script, "--upstream", upstream, "--port", "0", "--mode", mode],
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


def ours_env(endpoint):
    env = base_env(endpoint)
    env.update(
        {
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


def bench_rollout(args, tools, workdir, who, mode, n):
    moto = Moto(tools["moto_server"], workdir)
    receiver = Receiver("BENCH")
    proxy = None
    try:
        emu = Emulator(moto.endpoint)
        parent = emu.client("route53")
        parent_zone, _ = emu.create_zone(parent, PARENT_ZONE)
        accounts = child_accounts(n)
        expected = {}
        events = []
        for account in accounts:
            name = f"{account}.accounts.{PARENT_ZONE}"
            zone_id, ns = emu.create_zone(emu.client("route53", account), name)
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
        env = ours_env(proxy.endpoint) if who == "ours" else cdk_env(proxy.endpoint)

        log(f"rollout {who} {mode} N={n}: starting {n} processes")
        procs = {}
        t0 = time.monotonic()
        for account, path in events:
            cmd = ours_cmd(tools["binary"], path, TIMEOUT_S) if who == "ours" else cdk_cmd(path)
            out = open(os.path.join(workdir, f"rollout-{who}-{mode}-{n}-{account}.out"), "wb")
            err = open(os.path.join(workdir, f"rollout-{who}-{mode}-{n}-{account}.err"), "wb")
            p = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            procs[account] = {"proc": p, "start": time.monotonic(), "out": out, "err": err}
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
                elif time.monotonic() - p["start"] > TIMEOUT_S + 15:
                    p["proc"].kill()
            time.sleep(0.05)
        finished = max(p["end"] for p in procs.values())

        calls = proxy.calls()
        counts = tally(calls)
        live = {x["Name"].rstrip("."): x for x in emu.records(parent, parent_zone)
                if x["Type"] == "NS" and x["Name"].rstrip(".") != PARENT_ZONE}
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
# Report


def verdict(ok):
    return "ok" if ok else "MISS"


def report(single, rollouts, quick, binary):
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
            add(f"| {'subdomain-delegation' if r['who'] == 'ours' else 'CDK handler'} | {r['mode']} | {r['n']} | "
                f"{r['success']} | {r['failed']} | {r['unanswered']} | {r['late']} | {records} | "
                f"{r['wall_s']:.1f} s | {r['floor_s']:.1f} s | {ratio} | {r['route53_calls']} | "
                f"{r['route53_calls'] / r['n']:.1f} | {r['route53_throttled']} ({r['throttled_share'] * 100:.0f}%) | {r['assume_role']} |")
        add("")
        add("Floor: the parent-account Route 53 calls that succeeded (the calls the work needs) ÷ the rate "
            "(strict: 5/s, no burst; buckets: the first 50 free, then 10/s). Wall: from the first process "
            "started to the last answer received.")
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
            checks = [
                ("all SUCCESS", r["success"] == r["n"]),
                ("no late answer", r["late"] == 0 and r["unanswered"] == 0),
                ("exact records", r["records_present"] == r["n"] and r["records_extra"] == 0),
                (f"throttled < {TARGETS['throttled_share'] * 100:.0f}%", r["throttled_share"] < TARGETS["throttled_share"]),
            ]
            if r["n"] != TARGETS["wall_target_n"]:
                pass
            elif r["wall_over_floor"] is None:
                checks.append(("wall: no floor (the burst covers every call)", True))
            else:
                checks.append((f"wall ≤ {TARGETS['wall_over_floor']}× floor",
                               r["wall_over_floor"] <= TARGETS["wall_over_floor"]))
            add(f"- {r['mode']} N={r['n']}: " + ", ".join(f"{name} {verdict(ok)}" for name, ok in checks))
    return "\n".join(lines) + "\n"


def fmt_ops(ops):
    return ", ".join(f"{k.split(':', 1)[1]}@{k.split(':', 1)[0]}×{v}" for k, v in sorted(ops.items()))


def plot(rollouts, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    for r in rollouts:
        if r["who"] == "cdk":
            ax1.plot([r["n"]], [r["wall_s"]], "s", color="tab:green",
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--zip", help="bootstrap.zip, for its size")
    ap.add_argument("--moto-server", required=True)
    ap.add_argument("--out", required=True, help="folder for results.json, results.md, rollout.png")
    ap.add_argument("--runs", type=int, default=10, help="single-delegation runs of each (median)")
    ap.add_argument("--count-runs", type=int, default=3, help="single-delegation runs of each through the proxy, counting calls")
    ap.add_argument("--sizes", default="10,50,100,200", help="rollout sizes N")
    ap.add_argument("--modes", default="strict,buckets")
    ap.add_argument("--cdk-rollout", default="strict:100", help="MODE:N for the CDK rollout, or 'none'")
    ap.add_argument("--only", choices=["single", "rollout", "all"], default="all")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs")
    ap.add_argument("--render-only", action="store_true",
                    help="rewrite results.md and rollout.png from OUT/results.json without measuring")
    args = ap.parse_args()

    if args.render_only:
        with open(os.path.join(args.out, "results.json")) as f:
            results = json.load(f)
        text = report(results["single"], results["rollouts"], results["quick"], args.binary)
        with open(os.path.join(args.out, "results.md"), "w") as f:
            f.write(text)
        if results["rollouts"]:
            plot(results["rollouts"], os.path.join(args.out, "rollout.png"))
        print(text)
        return 0

    tools = {"binary": args.binary, "zip": args.zip, "moto_server": args.moto_server, "python": sys.executable}
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="bench-", dir=os.path.join(ROOT, "target"))
    log(f"work files in {workdir}")

    single = None
    rollouts = []
    if args.only in ("single", "all"):
        log(f"one delegation: {args.runs} runs of each, alternating")
        single = bench_single(args, tools, workdir)
    if args.only in ("rollout", "all"):
        for mode in [m for m in args.modes.split(",") if m]:
            for n in [int(x) for x in args.sizes.split(",") if x]:
                rollouts.append(bench_rollout(args, tools, workdir, "ours", mode, n))
        if args.cdk_rollout != "none":
            mode, n = args.cdk_rollout.split(":")
            rollouts.append(bench_rollout(args, tools, workdir, "cdk", mode, int(n)))

    text = report(single, rollouts, args.quick, args.binary)
    results = {
        "machine": {"cores": os.cpu_count(), "uname": " ".join(os.uname())},
        "quick": args.quick,
        "single": single,
        "rollouts": rollouts,
    }
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text)
    if rollouts:
        plot(rollouts, os.path.join(args.out, "rollout.png"))
    print(text)

    broken = []
    if single:
        broken += single["problems"]
    for r in rollouts:
        if r["who"] != "ours":
            continue
        if r["success"] != r["n"] or r["late"] or r["unanswered"]:
            broken.append(f"rollout {r['mode']} N={r['n']}: {r['success']}/{r['n']} SUCCESS, "
                          f"{r['late']} late, {r['unanswered']} unanswered")
        if r["records_present"] != r["n"] or r["records_extra"]:
            broken.append(f"rollout {r['mode']} N={r['n']}: parent zone holds {r['records_present']}/{r['n']} "
                          f"expected records and {r['records_extra']} others")
    for b in broken:
        log(f"FAILED: {b}")
    log(f"results in {args.out}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
