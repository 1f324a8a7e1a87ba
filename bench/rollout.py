"""2. Rollout (direct mode, and the CDK handler): N child accounts send a Create into one parent zone,
one process each, all at once or at most k at a time (bench_rollout)."""

import json
import os
import statistics
import subprocess
import time

from harness import (LIMITS, PARENT_ACCOUNT, PARENT_ZONE, TIMEOUT_S, Emulator, Moto, Proxy, Receiver, cdk_cmd,
                     cdk_env, cdk_event, child_accounts, delegations, log, norm_ns, our_event, ours_cmd, ours_env,
                     tally)


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
