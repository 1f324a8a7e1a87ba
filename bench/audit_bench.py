"""Benchmark of the audit (`subdomain-delegation audit`): a parent zone with N delegations.

Run by `scripts/bench --only audit` (and `--only audit --quick`). Everything on this machine: moto
(Route 53, on a loopback port) holds the parent zone example.com with N NS records of four name
servers each, like Route 53's delegation sets; Knot DNS (knotd, on another loopback port, installed
by scripts/dns-server) serves most child zones; the audit's --nameserver-address points the four
name-server names at it. The mix: 80% served (ok), 10% with a DS in the parent but an unsigned
child (dnssec-broken), 10% not served at all (dangling). Every served child is asked for its DNSKEY set
(the warnings need it); none is signed, so no CDS or CDNSKEY question is asked.

Measured on the binary given (the shipped `bootstrap`, or the debug build with --quick): wall time
(the process, start to exit), peak RSS (GNU time's maximum resident set size of the audit process), Route 53 calls (the audit's summary line) and DNS
queries per delegation (the prober's count, retries included). The verdicts must be exactly the
expected ones, or the run fails. Targets (issue 13): N = 1,000 audited in <= 15 s wall, <= 5 Route 53
calls, <= 8 DNS queries per delegation, peak memory <= 32 MiB.

Writes audit.json and audit.md into the output folder and prints the table.
"""

import argparse
import json
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

import boto3

TARGETS = {"wall_s": 15.0, "route53_calls": 5, "queries_per_delegation": 8.0, "rss_mib": 32.0}
NAME_SERVERS = [f"ns{i}.dns.test" for i in range(1, 5)]
KNOTD = "/usr/sbin/knotd"
GNU_TIME = "/usr/bin/time"


def log(msg):
    print(f"audit bench: {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, what, timeout=30):
    deadline = time.time() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.time() > deadline:
                sys.exit(f"{what} did not start within {timeout} s")
            time.sleep(0.1)


def soa_query(port, name, timeout=0.5):
    """One SOA question over UDP, RD=0: (rcode, aa) or None."""
    qid = random.randrange(65536)
    qname = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + qname + struct.pack(">HH", 6, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, ("127.0.0.1", port))
        try:
            data = s.recv(4096)
        except OSError:
            return None
    rid, flags = struct.unpack(">HH", data[:4])
    return (flags & 0xF, bool(flags & 0x0400)) if rid == qid else None


class Knot:
    """knotd serving the given zones (unsigned), each with the four name servers at its apex."""

    def __init__(self, zones):
        self.dir = tempfile.mkdtemp(prefix="audit-bench-knot-")
        self.port = free_port()
        os.makedirs(f"{self.dir}/db")
        conf = [f"server:\n  listen: 127.0.0.1@{self.port}\n  rundir: {self.dir}\n",
                f"database:\n  storage: {self.dir}/db\n",
                "log:\n  - target: stderr\n    any: error\n",
                f"template:\n  - id: default\n    storage: {self.dir}\n    zonefile-sync: -1\n"
                "    zonefile-load: whole\n    journal-content: none\n",
                "zone:\n"]
        for i, zone in enumerate(zones):
            conf.append(f"  - domain: {zone}\n    file: zone{i}.zone\n")
            records = "".join(f"@ NS {ns}.\n" for ns in NAME_SERVERS)
            with open(f"{self.dir}/zone{i}.zone", "w") as f:
                f.write(f"$ORIGIN {zone}.\n$TTL 300\n@ SOA {NAME_SERVERS[0]}. hostmaster.dns.test. 1 3600 600 86400 300\n"
                        f"{records}")
        with open(f"{self.dir}/knot.conf", "w") as f:
            f.write("".join(conf))
        self.proc = subprocess.Popen([KNOTD, "-c", f"{self.dir}/knot.conf"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while soa_query(self.port, zones[-1]) != (0, True):
            if time.time() > deadline or self.proc.poll() is not None:
                sys.exit("knotd did not serve the bench zones within 60 s")
            time.sleep(0.2)

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def parent_zone(endpoint, n):
    """example.com in moto with n delegations; returns (zone id, expected verdict per name)."""
    r53 = boto3.client("route53", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    zone = r53.create_hosted_zone(Name="example.com", CallerReference=str(time.time()))["HostedZone"]["Id"]
    zone = zone.split("/")[-1]
    expected, changes = {}, []
    values = [{"Value": f"{ns}."} for ns in NAME_SERVERS]
    for i in range(n):
        name = f"c{i:05d}.example.com"
        kind = "dangling" if i % 10 == 9 else "dnssec-broken" if i % 10 == 8 else "ok"
        expected[name] = kind
        changes.append({"Action": "CREATE", "ResourceRecordSet": {
            "Name": name, "Type": "NS", "TTL": 172800, "ResourceRecords": values}})
        if kind == "dnssec-broken":
            changes.append({"Action": "CREATE", "ResourceRecordSet": {
                "Name": name, "Type": "DS", "TTL": 3600,
                "ResourceRecords": [{"Value": f"{1000 + i} 13 2 {'ab' * 32}"}]}})
    for start in range(0, len(changes), 200):
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes[start:start + 200]})
    return zone, expected


def run_audit(binary, endpoint, zone, knot_port):
    args = [binary, "audit", zone, "--format", "json", "--no-progress"]
    for ns in NAME_SERVERS:
        args += ["--nameserver-address", f"{ns}=127.0.0.1:{knot_port}"]
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    env.pop("AWS_PROFILE", None)
    # GNU time reports the audit's own peak RSS (a child forked from this Python process would count
    # the interpreter's pages it started with).
    with tempfile.TemporaryDirectory() as tmp:
        rss_file = os.path.join(tmp, "rss")
        started = time.monotonic()
        proc = subprocess.run([GNU_TIME, "-f", "%M", "-o", rss_file, *args], capture_output=True, env=env)
        wall = time.monotonic() - started
        with open(rss_file) as f:
            rss_kib = int(f.read().split()[-1])
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    return proc.returncode, lines, wall, rss_kib / 1024.0, proc.stderr.decode()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--moto-server", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--delegations", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    n = args.delegations
    port = free_port()
    moto = subprocess.Popen([args.moto_server, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    knot = None
    try:
        wait_port(port, "moto_server")
        endpoint = f"http://127.0.0.1:{port}"
        log(f"parent zone with {n} delegations in moto")
        zone, expected = parent_zone(endpoint, n)
        served = [name for name, kind in expected.items() if kind != "dangling"]
        log(f"knotd serving {len(served)} child zones")
        knot = Knot(served)
        runs, ok = [], True
        for i in range(args.runs):
            code, lines, wall, rss, stderr = run_audit(args.binary, endpoint, zone, knot.port)
            verdicts = {l["name"]: l["verdict"] for l in lines if l.get("record") == "delegation"}
            summary = lines[-1] if lines else {}
            right = verdicts == expected and code == 1
            if not right:
                wrong = {k: (verdicts.get(k), v) for k, v in expected.items() if verdicts.get(k) != v}
                log(f"run {i + 1}: exit {code}, wrong verdicts {dict(list(wrong.items())[:5])} {stderr[-500:]}")
                ok = False
            runs.append({"wall_s": round(wall, 3), "rss_mib": round(rss, 1),
                         "route53_calls": summary.get("route53_calls"),
                         "dns_queries": summary.get("dns_queries"),
                         "queries_per_delegation": round(summary.get("dns_queries", 0) / max(n, 1), 2),
                         "verdicts": summary.get("verdicts"), "correct": right})
            log(f"run {i + 1}: {runs[-1]}")
    finally:
        if knot:
            knot.close()
        moto.terminate()
        moto.wait()
    worst = {k: max(r[k] for r in runs) for k in TARGETS}
    rows = []
    for key, target in TARGETS.items():
        verdict = "ok" if worst[key] <= target else "MISS"
        rows.append(f"| {key} | {worst[key]} | <= {target} | {verdict} |")
    table = "\n".join([f"Audit of {n} delegations (worst of {len(runs)} runs; binary {os.path.basename(args.binary)})",
                       "", "| figure | measured | target | |", "|---|---:|---|---|", *rows])
    print(table)
    with open(os.path.join(args.out, "audit.json"), "w") as f:
        json.dump({"delegations": n, "runs": runs, "worst": worst, "targets": TARGETS}, f, indent=1)
    with open(os.path.join(args.out, "audit.md"), "w") as f:
        f.write(table + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
