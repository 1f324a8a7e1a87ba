#!/usr/bin/env python3
"""A model of the rollout benchmark, to choose the throttling schedule and to see what is possible.

N processes start within a second of each other; each needs 3 accepted parent-account Route 53
calls, one after the other (GetHostedZone, ListResourceRecordSets, ChangeResourceRecordSets), plus
2 child-account calls that are never throttled. The parent account's limit is the fault proxy's
token bucket (strict: 1 token, 5/s; buckets: 50 tokens, 10/s). Reported as the benchmark reports:
wall ÷ floor (floor = accepted parent calls ÷ rate, the first 50 free in buckets mode) and throttled
calls ÷ all Route 53 calls, mean over seeds.

Clients modelled:
- sdk:     the SDK's standard backoff (full jitter, 1 s base, 20 s cap), calls back to back
           (what the provider did before `src/throttle.rs`).
- ours:    equal jitter (5 s base, 15 s cap, ThrottleSchedule::ROUTE53) and, once throttled, each
           next call 205 ms after the process's last accepted one.
- oracle:  the waiting processes probe together as one Poisson stream of a constant rate (which
           needs every process to know how many others are still waiting), with ours' spacing.
           No process that does not know of the others can hold the rate constant; this bounds
           what backoff alone can reach.

    python3 bench/model.py              # the table for N = 10, 50, 100, 200
    python3 bench/model.py --seeds 20   # more seeds
"""

import argparse
import heapq
import random
import statistics

LIMITS = {"strict": (1.0, 5.0), "buckets": (50.0, 10.0)}
PARENT_CALLS = 3
CHILD_CALLS = 2
LATENCY = 0.003


class Bucket:
    def __init__(self, mode):
        self.capacity, self.rate = LIMITS[mode]
        self.tokens, self.last = self.capacity, 0.0

    def take(self, t):
        self.tokens = min(self.capacity, self.tokens + (t - self.last) * self.rate)
        self.last = t
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def figures(mode, n, accepted, throttled, end):
    capacity, rate = LIMITS[mode]
    free = capacity if mode == "buckets" else 0
    floor = max(0.0, accepted - free) / rate
    return (end / floor if floor else None), throttled / (accepted + throttled + CHILD_CALLS * n)


def backoff_client(mode, n, rnd, base, cap, low, spacing):
    """Every process backs off on its own: delay uniform in [low*m, m], m = min(cap, base*2^k)."""
    bucket, events, state = Bucket(mode), [], {}
    for p in range(n):
        state[p] = {"done": 0, "streak": 0, "throttled": False}
        heapq.heappush(events, (rnd.uniform(0, 1.0), p))
    accepted = throttled = 0
    end = 0.0
    while events:
        t, p = heapq.heappop(events)
        s = state[p]
        if bucket.take(t):
            accepted += 1
            s["done"] += 1
            s["streak"] = 0
            if s["done"] == PARENT_CALLS:
                end = max(end, t + LATENCY)
                continue
            gap = spacing if (spacing and s["throttled"]) else LATENCY
            heapq.heappush(events, (t + gap, p))
        else:
            throttled += 1
            s["throttled"] = True
            m = min(cap, base * 2 ** s["streak"])
            s["streak"] += 1
            heapq.heappush(events, (t + LATENCY + rnd.uniform(low * m, m), p))
    return figures(mode, n, accepted, throttled, end)


def oracle_client(mode, n, rnd, rate, spacing=0.205):
    """Waiting processes probe as one Poisson stream of `rate` per second; holders are spaced."""
    bucket = Bucket(mode)
    waiting = set()
    starts = sorted((rnd.uniform(0, 1.0), p) for p in range(n))
    holders = []  # (time of next call, process, calls done)
    accepted = throttled = 0
    end = t = 0.0
    pending_starts = list(starts)
    next_probe = None
    while pending_starts or waiting or holders:
        candidates = []
        if pending_starts:
            candidates.append((pending_starts[0][0], "start"))
        if holders:
            candidates.append((holders[0][0], "holder"))
        if waiting:
            if next_probe is None:
                next_probe = t + rnd.expovariate(rate)
            candidates.append((next_probe, "probe"))
        t, kind = min(candidates)
        if kind == "start":
            _, p = pending_starts.pop(0)
            # A process's first call goes out as it starts, as in the benchmark.
            if bucket.take(t):
                accepted += 1
                heapq.heappush(holders, (t + LATENCY, p, 1))
            else:
                throttled += 1
                waiting.add(p)
        elif kind == "holder":
            _, p, done = heapq.heappop(holders)
            if bucket.take(t):
                accepted += 1
                if done + 1 == PARENT_CALLS:
                    end = max(end, t + LATENCY)
                else:
                    heapq.heappush(holders, (t + spacing, p, done + 1))
            else:
                throttled += 1
                heapq.heappush(holders, (t + spacing, p, done))
        else:
            next_probe = None
            p = rnd.choice(sorted(waiting))
            if bucket.take(t):
                accepted += 1
                waiting.discard(p)
                heapq.heappush(holders, (t + spacing, p, 1))
            else:
                throttled += 1
    return figures(mode, n, accepted, throttled, end)


CLIENTS = {
    "sdk (1 s / 20 s full jitter, back to back)": lambda mode, n, rnd: backoff_client(mode, n, rnd, 1, 20, 0.0, 0),
    "ours (5 s / 15 s equal jitter, 205 ms spacing)": lambda mode, n, rnd: backoff_client(mode, n, rnd, 5, 15, 0.5, 0.205),
    "oracle, 5 probes/s": lambda mode, n, rnd: oracle_client(mode, n, rnd, 5.0),
    "oracle, 6 probes/s": lambda mode, n, rnd: oracle_client(mode, n, rnd, 6.0),
    "oracle, 8 probes/s": lambda mode, n, rnd: oracle_client(mode, n, rnd, 8.0),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--sizes", default="10,50,100,200")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    print("| client | limit | " + " | ".join(f"N={n}" for n in sizes) + " |")
    print("|---|---|" + "---:|" * len(sizes))
    for name, client in CLIENTS.items():
        for mode in LIMITS:
            cells = []
            for n in sizes:
                runs = [client(mode, n, random.Random(seed)) for seed in range(args.seeds)]
                ratios = [r for r, _ in runs if r is not None]
                share = statistics.mean(s for _, s in runs)
                ratio = f"{statistics.mean(ratios):.2f}×" if ratios else "–"
                cells.append(f"{ratio}, {share * 100:.0f}%")
            print(f"| {name} | {mode} | " + " | ".join(cells) + " |")
    print("\ncells: wall ÷ floor, throttled share of all Route 53 calls (mean over "
          f"{args.seeds} seeds)")


if __name__ == "__main__":
    main()
