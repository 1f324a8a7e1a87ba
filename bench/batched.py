"""3. Batched rollout: SNS -> SQS -> the event source mapping's stand-in (tests/esm/esm_driver.py)
-> the binary, one invocation per batch (Messaging, bench_batched)."""

import concurrent.futures
import json
import os
import random
import statistics
import sys
import time

import boto3
from botocore.config import Config as BotoConfig

from harness import (ESM, LIMITS, PARENT_ACCOUNT, PARENT_ZONE, QUEUE_VISIBILITY_S, ROOT, SHUFFLE_SEED, TIMEOUT_S,
                     Emulator, Moto, Proxy, Receiver, check_answer, child_accounts, delegations, is_throttled, log,
                     norm_ns, our_event, ours_env, tally)

sys.path.insert(0, os.path.join(ROOT, "tests", "esm"))
from esm_driver import Mapping  # noqa: E402


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
