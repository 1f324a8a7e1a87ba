#!/usr/bin/env python3
"""A stand-in for Lambda's SQS event source mapping (ESM), for tests and benchmarks. Loopback only.

moto serves SQS and SNS but has no event source mapping runner, so this module plays its part: it
receives messages from an SQS queue, groups them into batches, invokes the packaged provider on
each batch as `BINARY invoke EVENT.json --timeout S` (the binary's Lambda-like environment given by
the caller), reads the `{"batchItemFailures": [...]}` it prints, deletes the messages that
succeeded and leaves the reported failures on the queue, where SQS delivers them again once their
visibility timeout has passed (ReportBatchItemFailures).

Run:
    python tests/esm/esm_driver.py --endpoint http://127.0.0.1:PORT --queue-url URL \
        --binary target/lambda/subdomain-delegation/bootstrap [--env-json FILE | --env K=V ...] \
        [--batch-size 500] [--window 2] [--concurrency 2] [--timeout 300] \
        [--expect N] [--idle-exit S] [--max-seconds 900] [--pollers 2] [--empty-pause 0.1]
        [--workdir DIR]
Batch logs (one line per batch, on stderr): `esm: batch 3: 500 messages, 2345 ms, 0 failures`.
The last line on stdout is the JSON summary (see `Mapping.summary`). Exit status 0 when the run
stopped because the expected messages were all deleted or the queue stayed idle, 1 when it hit
--max-seconds, 2 on bad arguments.

As a module:
    from esm_driver import Mapping
    esm = Mapping(endpoint, queue_url, binary, env, batch_size=500, window=2.0, concurrency=2,
                  expect=1000).start()
    ... publish ...
    summary = esm.wait()

What it does, and how it compares with Lambda's ESM for SQS:
- Pollers (`pollers` threads, default 2) call ReceiveMessage for up to 10 messages at a time
  (long polling, WaitTimeSeconds `poll_wait`, default 1 s), with every system and message
  attribute, as Lambda's pollers do.
- Batching: a batch closes when it holds BatchSize messages, when the batching window has passed
  since its first message arrived (MaximumBatchingWindowInSeconds; 0 sends what one poll
  returned), or when the next message would take the event past Lambda's 6 MB invocation payload.
  A message delivered again while still waiting in the open batch (its visibility timeout ran
  out) is kept once, with its newest receipt handle.
- Concurrency: at most `concurrency` invocations run at once (ScalingConfig.MaximumConcurrency).
  While every slot is busy the open batch keeps filling up to BatchSize; once it is full, the
  pollers stop receiving until a slot frees (Lambda's pollers likewise hold back instead of
  invoking beyond MaximumConcurrency), so the messages waiting in flight are bounded by
  BatchSize plus one poll per poller.
- The event: `{"Records": [{messageId, receiptHandle, body, attributes, messageAttributes,
  md5OfBody, eventSource "aws:sqs", eventSourceARN, awsRegion}]}`, the attribute names and the
  message attributes' shape as Lambda sends them.
- The answer (ReportBatchItemFailures): the last JSON line on stdout. Empty, `null`, `{}` or an
  empty `batchItemFailures` list: every message succeeded. A failure whose itemIdentifier is
  missing, empty or not a message of the batch, an exit status other than 0, output that is not
  such JSON, or a run past the timeout (the process is killed): the whole batch failed, as Lambda
  treats an invalid response or a function error. Failed messages are not deleted and come back
  after their visibility timeout (so tests use a short one).
- Deletes: after the invocation has returned (its concurrency slot is free again, as in Lambda),
  DeleteMessageBatch, 10 entries a call; an entry SQS refuses is logged and counted.
- One SQS call at a time: moto's SQS is not thread-safe (two ReceiveMessage calls at once can
  hand out one message twice or fail with "Set changed size during iteration"; two
  DeleteMessageBatch calls at once can each rebuild the queue without the other's message, so
  one deletion is lost), so the pollers and the deletes take turns.
- Stop: after `expect` distinct messages were deleted and no invocation runs; or, with no
  message received, no batch waiting and no invocation running for `idle_exit` seconds; or at
  `max_seconds` (reported as timed out). Messages received but not yet invoked at the stop stay on
  the queue (they come back after their visibility timeout).
Not modelled: Lambda's poller scaling (5 pollers growing to 1,000), its retry of throttled
invocations, maxReceiveCount/dead-letter queues (a queue's own redrive policy still applies in
moto), and payload size of attributes beyond the body.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import boto3
from botocore.config import Config as BotoConfig

# Lambda's synchronous invocation payload limit.
PAYLOAD_LIMIT = 6 * 1024 * 1024
# ReceiveMessage and DeleteMessageBatch take at most 10 messages.
SQS_MAX = 10
# Grace after the function timeout before a stuck process is killed.
KILL_GRACE_S = 30


class Turns:
    """A first-come, first-served lock: the SQS calls take turns in the order they asked, so that
    busy pollers cannot starve the deletes."""

    def __init__(self):
        self.cv = threading.Condition()
        self.next_ticket = 0
        self.serving = 0

    def __enter__(self):
        with self.cv:
            ticket = self.next_ticket
            self.next_ticket += 1
            while ticket != self.serving:
                self.cv.wait()

    def __exit__(self, *exc):
        with self.cv:
            self.serving += 1
            self.cv.notify_all()


def log_stderr(msg):
    print(f"esm: {msg}", file=sys.stderr, flush=True)


def loopback(url):
    """True when the URL's host is a loopback address (or localhost)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def lambda_record(message, queue_arn, region):
    """An SQS message as Lambda hands it to the function."""
    attributes = dict(message.get("Attributes") or {})
    message_attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        message_attributes[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value.get("DataType"),
        }
        for k in ("stringValue", "binaryValue"):
            if message_attributes[name][k] is None:
                del message_attributes[name][k]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def record_size(record):
    return len(json.dumps(record)) + 2


def failures_of(stdout, batch_ids):
    """The messages to leave on the queue, from the function's printed answer: a set of message
    IDs, or None when the whole batch failed (an answer Lambda would reject)."""
    answer = None
    text = stdout.strip()
    if text:
        for line in reversed(text.splitlines()):
            try:
                answer = json.loads(line)
                break
            except ValueError:
                continue
        else:
            return None
    if answer is None or answer == {}:
        return set()
    if not isinstance(answer, dict):
        return None
    items = answer.get("batchItemFailures")
    if items is None:
        return set()
    if not isinstance(items, list):
        return None
    failed = set()
    for item in items:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or not ident or ident not in batch_ids:
            return None
        failed.add(ident)
    return failed


class Mapping:
    """One event source mapping: queue -> batches -> `BINARY invoke`. See the module docstring."""

    def __init__(self, endpoint, queue_url, binary, env=None, *, batch_size=10, window=2.0,
                 concurrency=2, timeout=300, expect=None, idle_exit=None, max_seconds=900.0,
                 pollers=2, empty_pause=0.1, workdir=None, region="us-east-1", log=log_stderr,
                 access_key="test", secret_key="test"):
        if not loopback(endpoint) or not loopback(queue_url):
            raise ValueError(f"the ESM stand-in talks to loopback only, not {endpoint} / {queue_url}")
        if not 1 <= batch_size <= 10000:
            raise ValueError("batch size must be 1..10000 (Lambda's limit for standard queues)")
        if not 0 <= window <= 300:
            raise ValueError("the batching window must be 0..300 s")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if expect is None and idle_exit is None:
            raise ValueError("give expect or idle_exit (or both): something must stop the run")
        self.endpoint = endpoint
        self.queue_url = queue_url
        self.binary = binary
        self.env = dict(env or {})
        self.batch_size = batch_size
        self.window = float(window)
        self.concurrency = concurrency
        self.timeout = int(timeout)
        self.expect = expect
        self.idle_exit = idle_exit
        self.max_seconds = float(max_seconds)
        self.pollers = max(1, pollers)
        self.empty_pause = float(empty_pause)
        self.region = region
        self.log = log or (lambda _msg: None)
        self.workdir = workdir or tempfile.mkdtemp(prefix="esm-")
        os.makedirs(self.workdir, exist_ok=True)
        self.sqs = boto3.client(
            "sqs",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=BotoConfig(retries={"max_attempts": 10, "mode": "standard"},
                              max_pool_connections=max(10, self.pollers + concurrency + 2)),
        )
        self.queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

        self.cv = threading.Condition()
        self.sqs_turn = Turns()  # one SQS call at a time (see the module docstring)
        self.buffer = []  # [(arrived monotonic, record, its size in the event)] not yet invoked
        self.buffered_ids = {}  # messageId -> index in buffer
        self.busy = 0  # invocations running
        self.deleting = 0  # invocations returned whose messages are being deleted
        self.stopping = False
        self.deleted = set()
        self.receives = {}  # messageId -> times received
        self.receive_calls = 0
        self.delete_calls = 0
        self.delete_errors = 0
        self.batches = []
        self.batch_counter = 0
        self.first_receive = None
        self.last_activity = None
        self.started = None
        self.finished = None
        self.stop_reason = None
        self.threads = []
        self.workers = []

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self):
        self.started = time.monotonic()
        self.last_activity = self.started
        for i in range(self.pollers):
            t = threading.Thread(target=self._poll, name=f"esm-poller-{i}", daemon=True)
            t.start()
            self.threads.append(t)
        t = threading.Thread(target=self._dispatch, name="esm-dispatcher", daemon=True)
        t.start()
        self.dispatcher = t
        return self

    def wait(self, timeout=None):
        """Waits until the mapping stops by itself; returns the summary."""
        self.dispatcher.join(timeout)
        for t in self.threads:
            t.join(30)
        for t in list(self.workers):
            t.join(self.timeout + KILL_GRACE_S + 30)
        return self.summary()

    def run(self):
        return self.start().wait()

    def stop(self, reason="stopped"):
        with self.cv:
            if not self.stopping:
                self.stopping = True
                self.stop_reason = self.stop_reason or reason
            self.cv.notify_all()

    # -- pollers --------------------------------------------------------------------------------

    def _poll(self):
        while True:
            with self.cv:
                # Back-pressure: a full batch waits for a slot; no more messages meanwhile.
                while not self.stopping and len(self.buffer) >= self.batch_size:
                    self.cv.wait(0.5)
                if self.stopping:
                    return
                room = max(1, min(SQS_MAX, self.batch_size - len(self.buffer)))
            try:
                with self.sqs_turn:
                    got = self.sqs.receive_message(
                        QueueUrl=self.queue_url,
                        MaxNumberOfMessages=room,
                        WaitTimeSeconds=0,
                        AttributeNames=["All"],
                        MessageAttributeNames=["All"],
                    ).get("Messages", [])
            except Exception as e:  # noqa: BLE001 - a poller keeps polling, as Lambda's do
                self.log(f"ReceiveMessage failed: {e}")
                time.sleep(0.5)
                continue
            now = time.monotonic()
            with self.cv:
                self.receive_calls += 1
                if self.stopping:
                    # Received after the stop: left to come back after the visibility timeout.
                    return
                for message in got:
                    record = lambda_record(message, self.queue_arn, self.region)
                    ident = record["messageId"]
                    self.receives[ident] = self.receives.get(ident, 0) + 1
                    if ident in self.buffered_ids:
                        # Delivered again while waiting here: keep one, with the newest handle.
                        arrived, _, _ = self.buffer[self.buffered_ids[ident]]
                        self.buffer[self.buffered_ids[ident]] = (arrived, record, record_size(record))
                        continue
                    self.buffered_ids[ident] = len(self.buffer)
                    self.buffer.append((now, record, record_size(record)))
                if got:
                    self.first_receive = self.first_receive or now
                    self.last_activity = now
                    self.cv.notify_all()
            if not got:
                time.sleep(self.empty_pause)

    # -- dispatcher -----------------------------------------------------------------------------

    def _ready(self, now):
        """The number of buffered messages to invoke now, or 0."""
        if not self.buffer or self.busy >= self.concurrency:
            return 0
        take, size = 0, 2
        for _, _, record_bytes in self.buffer[: self.batch_size]:
            size += record_bytes
            if size > PAYLOAD_LIMIT and take:
                return take
            take += 1
        if take >= self.batch_size or now - self.buffer[0][0] >= self.window:
            return take
        return 0

    def _done(self, now):
        if self.stopping:
            return True
        if (self.expect is not None and len(self.deleted) >= self.expect and self.busy == 0
                and self.deleting == 0):
            self.stop_reason = "expected messages deleted"
            return True
        if (self.idle_exit is not None and self.busy == 0 and self.deleting == 0 and not self.buffer
                and now - self.last_activity >= self.idle_exit):
            self.stop_reason = f"idle for {self.idle_exit} s"
            return True
        if now - self.started >= self.max_seconds:
            self.stop_reason = f"timed out after {self.max_seconds} s"
            return True
        return False

    def _dispatch(self):
        with self.cv:
            while True:
                now = time.monotonic()
                if self._done(now):
                    self.stopping = True
                    self.finished = now
                    self.cv.notify_all()
                    return
                take = self._ready(now)
                if take:
                    batch = [record for _, record, _ in self.buffer[:take]]
                    waited = now - self.buffer[0][0]
                    del self.buffer[:take]
                    self.buffered_ids = {r["messageId"]: i for i, (_, r, _) in enumerate(self.buffer)}
                    self.busy += 1
                    self.batch_counter += 1
                    worker = threading.Thread(target=self._invoke, args=(self.batch_counter, batch, waited),
                                              name=f"esm-batch-{self.batch_counter}", daemon=True)
                    self.workers.append(worker)
                    worker.start()
                    continue
                wake = 0.2
                if self.buffer and self.busy < self.concurrency:
                    wake = min(wake, max(0.001, self.buffer[0][0] + self.window - now))
                self.cv.wait(wake)

    # -- one invocation -------------------------------------------------------------------------

    def _invoke(self, number, batch, waited):
        ids = [r["messageId"] for r in batch]
        path = os.path.join(self.workdir, f"batch-{number}.json")
        logs_path = os.path.join(self.workdir, f"batch-{number}.log")
        with open(path, "w") as f:
            json.dump({"Records": batch}, f)
        started = time.monotonic()
        exit_code, stdout, problem = None, "", None
        try:
            with open(logs_path, "wb") as logs:
                proc = subprocess.run(
                    [self.binary, "invoke", path, "--timeout", str(self.timeout)],
                    env=self.env, stdout=subprocess.PIPE, stderr=logs, stdin=subprocess.DEVNULL,
                    timeout=self.timeout + KILL_GRACE_S,
                )
            exit_code, stdout = proc.returncode, proc.stdout.decode(errors="replace")
        except subprocess.TimeoutExpired:
            problem = f"killed after {self.timeout + KILL_GRACE_S} s"
        except OSError as e:
            problem = f"could not run {self.binary}: {e}"
        ended = time.monotonic()
        failed = None
        if problem is None and exit_code != 0:
            problem = f"exit status {exit_code}"
        if problem is None:
            failed = failures_of(stdout, set(ids))
            if failed is None:
                problem = f"not a batch response: {stdout.strip()[:200]!r}"
        if failed is None:
            failed = set(ids)  # the whole batch comes back
        with self.cv:
            # The invocation has returned: its slot is free while the deletes go out.
            self.busy -= 1
            self.deleting += 1
            self.cv.notify_all()
        succeeded = [r for r in batch if r["messageId"] not in failed]
        deleted = self._delete(succeeded)
        summary = batch_summary_line(logs_path)
        stats = {
            "batch": number,
            "size": len(batch),
            "started_s": started - self.started,
            "ms": round((ended - started) * 1000),
            "waited_ms": round(waited * 1000),
            "failures": len(failed),
            "whole_batch_failed": problem is not None,
            "problem": problem,
            "deleted": len(deleted),
            "redeliveries": sum(1 for i in ids if self.receives.get(i, 1) > 1),
            "event": path,
            "logs": logs_path,
            "provider": summary,
        }
        with self.cv:
            self.deleted.update(deleted)
            self.batches.append(stats)
            self.deleting -= 1
            self.last_activity = time.monotonic()
            self.cv.notify_all()
        extra = f" ({problem})" if problem else ""
        self.log(f"batch {number}: {len(batch)} messages, {stats['ms']} ms, {len(failed)} failures{extra}")

    def _delete(self, records):
        deleted = []
        for i in range(0, len(records), SQS_MAX):
            chunk = records[i:i + SQS_MAX]
            entries = [{"Id": str(j), "ReceiptHandle": r["receiptHandle"]} for j, r in enumerate(chunk)]
            try:
                with self.sqs_turn:
                    out = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except Exception as e:  # noqa: BLE001 - counted; the messages come back
                self.log(f"DeleteMessageBatch failed: {e}")
                with self.cv:
                    self.delete_calls += 1
                    self.delete_errors += len(chunk)
                continue
            ok = {int(x["Id"]) for x in out.get("Successful", [])}
            refused = out.get("Failed", [])
            for x in refused:
                self.log(f"DeleteMessageBatch refused {chunk[int(x['Id'])]['messageId']}: {x.get('Code')} {x.get('Message')}")
            deleted.extend(chunk[j]["messageId"] for j in sorted(ok))
            with self.cv:
                self.delete_calls += 1
                self.delete_errors += len(refused)
        return deleted

    # -- results --------------------------------------------------------------------------------

    def summary(self):
        with self.cv:
            end = self.finished or time.monotonic()
            return {
                "stop_reason": self.stop_reason,
                "timed_out": bool(self.stop_reason and self.stop_reason.startswith("timed out")),
                "settings": {
                    "batch_size": self.batch_size,
                    "window_s": self.window,
                    "concurrency": self.concurrency,
                    "timeout_s": self.timeout,
                    "pollers": self.pollers,
                    "empty_pause_s": self.empty_pause,
                },
                "wall_s": end - self.started,
                "first_receive_s": (self.first_receive - self.started) if self.first_receive else None,
                "messages": len(self.receives),
                "receives": sum(self.receives.values()),
                "redelivered": sorted(i for i, n in self.receives.items() if n > 1),
                "deleted": len(self.deleted),
                "left_in_buffer": len(self.buffer),
                "receive_calls": self.receive_calls,
                "delete_calls": self.delete_calls,
                "delete_errors": self.delete_errors,
                "invocations": len(self.batches),
                "failures_reported": sum(b["failures"] for b in self.batches if not b["whole_batch_failed"]),
                "whole_batch_failures": sum(1 for b in self.batches if b["whole_batch_failed"]),
                "batches": sorted(self.batches, key=lambda b: b["batch"]),
            }


def batch_summary_line(logs_path):
    """The provider's `batch_summary` log line (JSON logs), or None."""
    try:
        with open(logs_path, "rb") as f:
            for raw in f:
                if b"batch_summary" not in raw:
                    continue
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                if line.get("batch_summary") in (True, "true"):
                    return {k: line.get(k) for k in ("requests", "parent_zones", "parent_calls",
                                                     "change_calls", "changes_written", "undelivered", "ms")}
    except OSError:
        pass
    return None


def parse_env(args):
    env = {}
    if args.env_json:
        with open(args.env_json) as f:
            env.update(json.load(f))
    for kv in args.env or []:
        key, sep, value = kv.partition("=")
        if not sep:
            raise SystemExit(f"esm: --env takes KEY=VALUE, not {kv!r}")
        env[key] = value
    if not env:
        env = {k: v for k, v in os.environ.items()}
    return env


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", required=True, help="the SQS endpoint (moto), loopback")
    ap.add_argument("--queue-url", required=True)
    ap.add_argument("--binary", required=True, help="the packaged bootstrap")
    ap.add_argument("--env-json", help="a JSON object: the binary's whole environment")
    ap.add_argument("--env", action="append", help="KEY=VALUE for the binary's environment (repeatable); "
                    "without --env and --env-json the binary inherits this process's environment")
    ap.add_argument("--batch-size", type=int, default=10)
    ap.add_argument("--window", type=float, default=2.0, help="MaximumBatchingWindowInSeconds")
    ap.add_argument("--concurrency", type=int, default=2, help="MaximumConcurrency")
    ap.add_argument("--timeout", type=int, default=300, help="the function's timeout, seconds")
    ap.add_argument("--expect", type=int, help="stop once this many distinct messages were deleted")
    ap.add_argument("--idle-exit", type=float, help="stop after this many seconds with nothing to do")
    ap.add_argument("--max-seconds", type=float, default=900.0, help="stop after this long, whatever happens")
    ap.add_argument("--pollers", type=int, default=2)
    ap.add_argument("--empty-pause", type=float, default=0.1, help="seconds between polls of an empty queue")
    ap.add_argument("--workdir", help="where the event files and the binary's logs go")
    ap.add_argument("--region", default="us-east-1")
    args = ap.parse_args(argv)
    if args.expect is None and args.idle_exit is None:
        ap.error("give --expect or --idle-exit (or both)")
    try:
        mapping = Mapping(
            args.endpoint, args.queue_url, args.binary, parse_env(args),
            batch_size=args.batch_size, window=args.window, concurrency=args.concurrency,
            timeout=args.timeout, expect=args.expect, idle_exit=args.idle_exit,
            max_seconds=args.max_seconds, pollers=args.pollers, empty_pause=args.empty_pause,
            workdir=args.workdir, region=args.region,
        )
    except ValueError as e:
        ap.error(str(e))
    summary = mapping.run()
    print(json.dumps(summary, sort_keys=True), flush=True)
    return 1 if summary["timed_out"] else 0


if __name__ == "__main__":
    sys.exit(main())
