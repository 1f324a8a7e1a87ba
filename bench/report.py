"""The report: results.md's tables and targets (report, report_batched), rollout.png and batched.png
(plot, plot_batched), and render(), which writes them from results.json's contents."""

import os

import harness
from harness import CDK_MAX_LIVE, LIMITS, QUEUE_VISIBILITY_S, RESERVED_CONCURRENCY, ROOT, TARGETS, TIMEOUT_S, verdict


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
    tight1000 = find(runs, n=1000, change_bucket=list(harness.TIGHT_CHANGE_BUCKET), max_changes_per_batch=100)
    tight_others = [r for r in runs if r["n"] == 1000 and r["change_bucket"] and r is not tight1000]
    if b1000 or tight1000:
        add("")
        add("#### N = 1,000, buckets")
        add("")
        add("| | SUCCESS | FAILED | no answer | wall | parent calls (throttled) | per delegation | all Route 53 calls (throttled) |")
        add("|---|---:|---:|---:|---:|---:|---:|---:|")
        rows = [("batched, change bucket unlimited", b1000),
                (f"batched, change bucket {harness.TIGHT_CHANGE_BUCKET[0]}, {harness.TIGHT_CHANGE_BUCKET[1]}/s", tight1000)]
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


def render(results, out, binary):
    text = report(results["single"], results["rollouts"], results["quick"], binary, results.get("batched"))
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    if results["rollouts"]:
        plot(results["rollouts"], os.path.join(out, "rollout.png"))
    if results.get("batched"):
        plot_batched(results["batched"], results["rollouts"], os.path.join(out, "batched.png"))
    print(text)
