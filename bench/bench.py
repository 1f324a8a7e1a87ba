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

This file is the entry point: its options, and which benchmarks run. They are single.py (1),
rollout.py (2) and batched.py (3), over what they share in harness.py (and moto_launcher.py, the
emulator's speed-ups); report.py writes results.md and the plots.
"""

import argparse
import json
import os
import sys
import tempfile

import harness
from batched import bench_batched
from harness import CDK_MAX_LIVE, ESM, QUEUE_VISIBILITY_S, RESERVED_CONCURRENCY, ROOT, log
from moto_launcher import moto_launcher
from report import batched_ok, render
from rollout import bench_rollout
from single import bench_single


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
    ap.add_argument("--tight-change-bucket", default=f"{harness.TIGHT_CHANGE_BUCKET[0]},{harness.TIGHT_CHANGE_BUCKET[1]}",
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
    # Set where report.py reads it (harness.TIGHT_CHANGE_BUCKET), --render-only included.
    harness.TIGHT_CHANGE_BUCKET = tuple(int(x) for x in args.tight_change_bucket.split(","))
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
                batched.append(bench_batched(args, tools, workdir, "buckets", n, change_bucket=harness.TIGHT_CHANGE_BUCKET,
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
        "settings": {"esm": ESM, "queue_visibility_s": QUEUE_VISIBILITY_S, "tight_change_bucket": harness.TIGHT_CHANGE_BUCKET,
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


if __name__ == "__main__":
    sys.exit(main())
