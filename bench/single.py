"""1. One delegation: a Create for a child zone in another account, one whole new process each
time (cold), ours and the CDK handler alternating (bench_single)."""

import json
import os
import statistics

from harness import (CHILD_ACCOUNT, PARENT_ACCOUNT, PARENT_ZONE, Emulator, Moto, Proxy, Receiver, cdk_cmd,
                     cdk_env, cdk_event, log, norm_ns, our_event, ours_cmd, ours_env, run_once, tally)


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
