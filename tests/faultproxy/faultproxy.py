#!/usr/bin/env python3
"""A programmable fault-injecting HTTP proxy for Route 53 and STS emulators (moto), for tests and
benchmarks. Loopback only; Python 3.11 standard library only.

Run:
    python tests/faultproxy/faultproxy.py --upstream http://127.0.0.1:MOTOPORT \
        [--port 0] [--mode none|buckets|strict] [--log FILE] [--exit-on-stdin-eof]

The first line on stdout is `listening on http://127.0.0.1:PORT` (flushed); nothing else is written
to stdout. Point the SDK at it (AWS_ENDPOINT_URL=http://127.0.0.1:PORT): every request (any method,
path, headers, body) is forwarded to the upstream unless a fault or the rate limiter answers it.

Classification of each call
    service    `route53` for paths under /2013-04-01/; otherwise the SigV4 credential scope
               (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`), else `sts` when the form has an
               `Action=` STS knows; else `unknown`.
    operation  Route 53: from the REST method and path (GetHostedZone, ListResourceRecordSets,
               ChangeResourceRecordSets, GetChange, ListHostedZonesByName, GetDNSSEC,
               CreateHostedZone, DeleteHostedZone, ...); STS: the form's `Action`.
    account    from the access key ID in the Authorization header (or X-Amz-Credential query).
               `test` (the default test credentials) and any key the proxy has not seen are the
               default account 123456789012 (moto does the same). Keys handed out by an AssumeRole
               that passed through the proxy map to the account of its RoleArn.

Admin API (JSON in and out), under /__faultproxy__/:
    POST /__faultproxy__/rules   a JSON list of rules (or one rule object); appended to the rules.
        {"service": "route53"|"sts"|"*",                 (default "*")
         "operation": "ChangeResourceRecordSets"|"*",    (default "*")
         "account": "123456789012"|"*",                  (default "*")
         "fault": "throttle"|"prior_request_not_complete"|"http500"|"reset"|"stall"
                  |"access_denied"|"pending",
         "count": N,          optional: only the first N matching calls (omitted: for ever)
         "for_seconds": S,    optional: active for S seconds from the rule's install
         "stall_seconds": S}  optional, for "stall": how long to hold the call (default 300)
        Rules are tried in order; the first active one matching a call answers it. A call answered
        by a rule does not consume rate-limiter tokens.
    GET  /__faultproxy__/rules   the rules with their remaining counts.
    POST /__faultproxy__/mode    {"mode": "none"|"buckets"|"strict"}; refills the buckets.
    GET  /__faultproxy__/mode    {"mode": ...}
    GET  /__faultproxy__/log     JSON list of every proxied call, oldest first:
        {"t": epoch_seconds, "service", "operation", "account", "status", "fault", "ms",
         "method", "path"}
        `fault` is null, a rule's fault name, "throttle_rate" (the rate limiter answered) or
        "upstream_error" (the upstream could not be reached; status 502). `status` is null for
        "reset" and "stall" (no HTTP answer). `?since=N` returns the entries from index N on.
    POST /__faultproxy__/reset   clears the rules and the log, refills the buckets, releases stalls.

Faults
    throttle                    HTTP 400, Code Throttling, "Rate exceeded" (Route 53's or STS's XML)
    prior_request_not_complete  HTTP 400, Code PriorRequestNotComplete (Route 53's XML)
    http500                     HTTP 500, Code InternalFailure
    reset                       the connection is reset (TCP RST) before anything is forwarded
    stall                       nothing is forwarded and no answer comes for stall_seconds (or until
                                /reset), then the connection is closed
    access_denied               HTTP 403, Code AccessDenied, "User: ... is not authorized to perform:
                                sts:AssumeRole on resource: <RoleArn>" (or the Route 53 action)
    pending                     forwarded, but the answer's INSYNC change status reads PENDING

Rate limiter (Route 53 only, keyed by account)
    none     no limit (default)
    buckets  Route 53's documented account-level token bucket: burst 50, refill 10 per second
    strict   the older documented limit of 5 requests per second, no burst (a bucket of 1 token
             refilled every 200 ms)
    Over the limit: HTTP 400 with Route 53's Throttling answer.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ADMIN_PREFIX = "/__faultproxy__/"
DEFAULT_ACCOUNT = "123456789012"
ROUTE53_NS = "https://route53.amazonaws.com/doc/2013-04-01/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
FAULTS = {
    "throttle",
    "prior_request_not_complete",
    "http500",
    "reset",
    "stall",
    "access_denied",
    "pending",
}
MODES = {"none": None, "buckets": (50.0, 10.0), "strict": (1.0, 5.0)}
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "expect",
}
STS_ACTIONS = {
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "AssumeRoot",
    "DecodeAuthorizationMessage",
    "GetAccessKeyInfo",
    "GetCallerIdentity",
    "GetFederationToken",
    "GetSessionToken",
}

# (method, path regex below /2013-04-01, operation); first match wins.
_ID = r"[^/]+"
ROUTE53_OPERATIONS = [
    ("POST", r"/hostedzone/?", "CreateHostedZone"),
    ("GET", r"/hostedzone/?", "ListHostedZones"),
    ("GET", rf"/hostedzone/{_ID}/rrset/?", "ListResourceRecordSets"),
    ("POST", rf"/hostedzone/{_ID}/rrset/?", "ChangeResourceRecordSets"),
    ("GET", rf"/hostedzone/{_ID}/dnssec/?", "GetDNSSEC"),
    ("POST", rf"/hostedzone/{_ID}/enable-dnssec/?", "EnableHostedZoneDNSSEC"),
    ("POST", rf"/hostedzone/{_ID}/disable-dnssec/?", "DisableHostedZoneDNSSEC"),
    ("POST", rf"/hostedzone/{_ID}/associatevpc/?", "AssociateVPCWithHostedZone"),
    ("POST", rf"/hostedzone/{_ID}/disassociatevpc/?", "DisassociateVPCFromHostedZone"),
    ("GET", rf"/hostedzone/{_ID}/?", "GetHostedZone"),
    ("DELETE", rf"/hostedzone/{_ID}/?", "DeleteHostedZone"),
    ("POST", rf"/hostedzone/{_ID}/?", "UpdateHostedZoneComment"),
    ("GET", r"/hostedzonesbyname/?", "ListHostedZonesByName"),
    ("GET", r"/hostedzonesbyvpc/?", "ListHostedZonesByVPC"),
    ("GET", r"/hostedzonecount/?", "GetHostedZoneCount"),
    ("GET", rf"/hostedzonelimit/{_ID}/{_ID}/?", "GetHostedZoneLimit"),
    ("GET", rf"/accountlimit/{_ID}/?", "GetAccountLimit"),
    ("GET", rf"/change/{_ID}/?", "GetChange"),
    ("POST", r"/keysigningkey/?", "CreateKeySigningKey"),
    ("POST", rf"/keysigningkey/{_ID}/{_ID}/activate/?", "ActivateKeySigningKey"),
    ("POST", rf"/keysigningkey/{_ID}/{_ID}/deactivate/?", "DeactivateKeySigningKey"),
    ("DELETE", rf"/keysigningkey/{_ID}/{_ID}/?", "DeleteKeySigningKey"),
    ("GET", rf"/tags/{_ID}/{_ID}/?", "ListTagsForResource"),
    ("POST", rf"/tags/{_ID}/{_ID}/?", "ChangeTagsForResource"),
    ("POST", rf"/tags/{_ID}/?", "ListTagsForResources"),
    ("POST", r"/healthcheck/?", "CreateHealthCheck"),
    ("GET", r"/healthcheck/?", "ListHealthChecks"),
    ("GET", rf"/healthcheck/{_ID}/status/?", "GetHealthCheckStatus"),
    ("GET", rf"/healthcheck/{_ID}/?", "GetHealthCheck"),
    ("POST", rf"/healthcheck/{_ID}/?", "UpdateHealthCheck"),
    ("DELETE", rf"/healthcheck/{_ID}/?", "DeleteHealthCheck"),
    ("POST", r"/queryloggingconfig/?", "CreateQueryLoggingConfig"),
    ("GET", r"/queryloggingconfig/?", "ListQueryLoggingConfigs"),
    ("GET", rf"/queryloggingconfig/{_ID}/?", "GetQueryLoggingConfig"),
    ("DELETE", rf"/queryloggingconfig/{_ID}/?", "DeleteQueryLoggingConfig"),
    ("POST", r"/delegationset/?", "CreateReusableDelegationSet"),
    ("GET", r"/delegationset/?", "ListReusableDelegationSets"),
    ("GET", rf"/delegationset/{_ID}/?", "GetReusableDelegationSet"),
    ("DELETE", rf"/delegationset/{_ID}/?", "DeleteReusableDelegationSet"),
]
ROUTE53_OPERATIONS = [(m, re.compile(p + r"$"), op) for m, p, op in ROUTE53_OPERATIONS]
CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/[^/]*/[^/]*/([^/,\s]+)/")
ACCESS_KEY_RE = re.compile(r"<AccessKeyId>\s*([^<\s]+)\s*</AccessKeyId>")


def route53_operation(method: str, path: str) -> str:
    rest = path[len("/2013-04-01") :]
    for m, pattern, op in ROUTE53_OPERATIONS:
        if m == method and pattern.match(rest):
            return op
    return f"Unknown:{method}"


class Bucket:
    """A token bucket: `capacity` tokens, refilled at `rate` per second."""

    def __init__(self, capacity: float, rate: float):
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.last = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Rule:
    def __init__(self, spec: dict):
        if not isinstance(spec, dict):
            raise ValueError("each rule must be a JSON object")
        unknown = set(spec) - {
            "service",
            "operation",
            "account",
            "fault",
            "count",
            "for_seconds",
            "stall_seconds",
        }
        if unknown:
            raise ValueError(f"unknown rule fields {sorted(unknown)}")
        self.service = str(spec.get("service", "*"))
        self.operation = str(spec.get("operation", "*"))
        self.account = str(spec.get("account", "*"))
        self.fault = spec.get("fault")
        if self.fault not in FAULTS:
            raise ValueError(f"fault must be one of {sorted(FAULTS)}, not {self.fault!r}")
        count = spec.get("count")
        if count is not None and (not isinstance(count, int) or count < 0):
            raise ValueError("count must be a non-negative integer")
        self.remaining = count
        for_seconds = spec.get("for_seconds")
        if for_seconds is not None and (
            not isinstance(for_seconds, (int, float)) or for_seconds < 0
        ):
            raise ValueError("for_seconds must be a non-negative number")
        self.installed = time.monotonic()
        self.until = None if for_seconds is None else self.installed + float(for_seconds)
        stall = spec.get("stall_seconds", 300)
        if not isinstance(stall, (int, float)) or not 0 <= stall <= 3600:
            raise ValueError("stall_seconds must be a number from 0 to 3600")
        self.stall_seconds = float(stall)
        self.spec = spec
        self.hits = 0

    def active(self, now: float) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        return self.until is None or now < self.until

    def matches(self, service: str, operation: str, account: str) -> bool:
        return (
            self.service in ("*", service)
            and self.operation in ("*", operation)
            and self.account in ("*", account)
        )

    def describe(self) -> dict:
        return {**self.spec, "remaining": self.remaining, "hits": self.hits}


class State:
    def __init__(self, upstream: str, mode: str, log_file):
        parsed = urllib.parse.urlsplit(upstream)
        if parsed.scheme != "http" or not parsed.hostname:
            raise SystemExit(f"--upstream must be an http:// URL, not {upstream!r}")
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self.lock = threading.Lock()
        self.rules: list[Rule] = []
        self.log: list[dict] = []
        self.log_file = log_file
        self.mode = mode
        self.buckets: dict[str, Bucket] = {}
        self.accounts = {"test": DEFAULT_ACCOUNT}
        self.release = threading.Event()

    def set_mode(self, mode: str):
        with self.lock:
            self.mode = mode
            self.buckets.clear()

    def reset(self):
        with self.lock:
            self.rules.clear()
            self.log.clear()
            self.buckets.clear()
            old, self.release = self.release, threading.Event()
        old.set()

    def account_of(self, akid: str | None) -> str:
        if not akid:
            return DEFAULT_ACCOUNT
        with self.lock:
            return self.accounts.get(akid, DEFAULT_ACCOUNT)

    def learn(self, akid: str, account: str):
        with self.lock:
            self.accounts[akid] = account

    def decide(self, service: str, operation: str, account: str):
        """The rule that answers this call, or "throttle_rate", or None (forward it)."""
        now = time.monotonic()
        with self.lock:
            for rule in self.rules:
                if rule.active(now) and rule.matches(service, operation, account):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    rule.hits += 1
                    return rule
            limits = MODES.get(self.mode)
            if limits is not None and service == "route53":
                bucket = self.buckets.get(account)
                if bucket is None:
                    bucket = self.buckets[account] = Bucket(*limits)
                if not bucket.take():
                    return "throttle_rate"
        return None

    def record(self, entry: dict):
        line = json.dumps(entry)
        with self.lock:
            self.log.append(entry)
            if self.log_file is not None:
                self.log_file.write(line + "\n")
                self.log_file.flush()


def error_xml(service: str, code: str, message: str, kind: str = "Sender") -> bytes:
    ns = STS_NS if service == "sts" else ROUTE53_NS
    request_id = str(uuid.uuid4())
    message = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{ns}"><Error><Type>{kind}</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultproxy"
    sys_version = ""
    state: State  # set on the class by main()

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass

    def handle(self):
        # A dropped connection (reset, stall) or a client that went away ends the exchange quietly.
        try:
            super().handle()
        except (OSError, ValueError):
            pass

    def finish(self):
        try:
            super().finish()
        except (OSError, ValueError):
            pass

    def do_GET(self):
        self.handle_any()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    # -- plumbing ------------------------------------------------------------------------------

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def commit(self, status=None):
        """Records the call in the log, once, before its answer leaves (so a client that has its
        answer always finds the call in the log)."""
        entry, self.entry = getattr(self, "entry", None), None
        if entry is not None:
            if status is not None:
                entry["status"] = status
            entry["ms"] = round((time.monotonic() - self.started) * 1000, 1)
            self.state.record(entry)

    def reply(self, status: int, body: bytes, headers=(), content_type="text/xml"):
        self.commit(status)
        self.send_response(status)
        sent = {"content-type": False}
        for k, v in headers:
            if k.lower() in HOP_BY_HOP or k.lower() in ("server", "date"):
                continue
            if k.lower() == "content-type":
                sent["content-type"] = True
            self.send_header(k, v)
        if not sent["content-type"] and content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def reply_json(self, status: int, value):
        self.reply(status, json.dumps(value).encode(), content_type="application/json")

    def drop(self, rst: bool):
        self.commit()
        self.close_connection = True
        try:
            if rst:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            # The socket's file descriptor closes only once its file objects are closed too.
            self.rfile.close()
            self.wfile.close()
            self.connection.close()
        except OSError:
            pass

    # -- the proxy -----------------------------------------------------------------------------

    def handle_any(self):
        body = self.read_body()
        path = self.path
        if path.startswith(ADMIN_PREFIX):
            return self.admin(path, body)
        self.started = time.monotonic()
        service, operation, akid, form = self.classify(path, body)
        account = self.state.account_of(akid)
        entry = {
            "t": time.time(),
            "service": service,
            "operation": operation,
            "account": account,
            "status": None,
            "fault": None,
            "method": self.command,
            "path": urllib.parse.urlsplit(path).path,
        }
        self.entry = entry
        decision = self.state.decide(service, operation, account)
        try:
            if decision == "throttle_rate":
                entry["fault"] = "throttle_rate"
                self.reply(400, error_xml("route53", "Throttling", "Rate exceeded"))
            elif isinstance(decision, Rule):
                entry["fault"] = decision.fault
                self.apply(decision, service, operation, form, path, body)
            else:
                self.forward(path, body, service, operation, form, pending=False)
        finally:
            self.commit()

    def classify(self, path: str, body: bytes):
        auth = self.headers.get("Authorization", "")
        split = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(split.query)
        m = CREDENTIAL_RE.search(auth)
        akid, scope = (m.group(1), m.group(2)) if m else (None, None)
        if akid is None and "X-Amz-Credential" in query:
            parts = query["X-Amz-Credential"][0].split("/")
            akid = parts[0]
            scope = parts[3] if len(parts) > 3 else None
        form = {}
        content_type = self.headers.get("Content-Type", "")
        if body and (
            "x-www-form-urlencoded" in content_type or (not content_type and b"Action=" in body)
        ):
            try:
                form = {
                    k: v[0]
                    for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()
                }
            except ValueError:
                form = {}
        for k, v in query.items():
            form.setdefault(k, v[0])
        if split.path.startswith("/2013-04-01/"):
            return "route53", route53_operation(self.command, split.path), akid, form
        action = form.get("Action")
        if scope == "sts" or (scope is None and action in STS_ACTIONS):
            return "sts", action or f"Unknown:{self.command}", akid, form
        if scope:
            return scope, action or f"Unknown:{self.command}", akid, form
        return "unknown", action or f"Unknown:{self.command}", akid, form

    def apply(self, rule: Rule, service, operation, form, path, body):
        fault = rule.fault
        if fault == "throttle":
            self.reply(400, error_xml(service, "Throttling", "Rate exceeded"))
            return 400
        if fault == "prior_request_not_complete":
            message = (
                "The request was rejected because Route 53 was still processing a prior request."
            )
            self.reply(400, error_xml(service, "PriorRequestNotComplete", message))
            return 400
        if fault == "http500":
            self.reply(
                500,
                error_xml(
                    service, "InternalFailure", "An internal error occurred.", kind="Receiver"
                ),
            )
            return 500
        if fault == "access_denied":
            self.reply(403, error_xml(service, "AccessDenied", self.denial(service, operation, form, path)))
            return 403
        if fault == "reset":
            self.drop(rst=True)
            return None
        if fault == "stall":
            release = self.state.release
            self.commit()
            release.wait(rule.stall_seconds)
            self.drop(rst=False)
            return None
        if fault == "pending":
            return self.forward(path, body, service, operation, form, pending=True)
        raise AssertionError(fault)

    def denial(self, service, operation, form, path) -> str:
        principal = f"arn:aws:sts::{DEFAULT_ACCOUNT}:assumed-role/subdomain-delegation/provider"
        if service == "sts":
            resource = form.get("RoleArn", "*")
            return (
                f"User: {principal} is not authorized to perform: sts:{operation} "
                f"on resource: {resource}"
            )
        zone = re.search(r"/hostedzone/([^/]+)", path)
        resource = f"arn:aws:route53:::hostedzone/{zone.group(1)}" if zone else "*"
        return (
            f"User: {principal} is not authorized to perform: {service}:{operation} "
            f"on resource: {resource} because no identity-based policy allows the "
            f"{service}:{operation} action"
        )

    def forward(self, path, body, service, operation, form, pending: bool):
        conn = http.client.HTTPConnection(
            self.state.upstream_host, self.state.upstream_port, timeout=300
        )
        try:
            conn.putrequest(self.command, path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in HOP_BY_HOP:
                    conn.putheader(k, v)
            conn.putheader("Content-Length", str(len(body)))
            conn.putheader("Connection", "close")
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            headers = resp.getheaders()
            status = resp.status
        except OSError as e:
            if self.entry is not None:
                self.entry["fault"] = "upstream_error"
            self.reply(
                502,
                error_xml(service, "BadGateway", f"faultproxy: upstream unreachable: {e}", "Receiver"),
            )
            return 502
        finally:
            conn.close()
        if pending:
            data = data.replace(b"<Status>INSYNC</Status>", b"<Status>PENDING</Status>")
        if service == "sts" and operation == "AssumeRole" and status == 200:
            key = ACCESS_KEY_RE.search(data.decode("utf-8", "replace"))
            arn = form.get("RoleArn", "")
            parts = arn.split(":")
            if key and len(parts) > 4 and parts[4]:
                self.state.learn(key.group(1), parts[4])
        self.reply(status, data, headers, content_type=None)
        return status

    # -- admin ---------------------------------------------------------------------------------

    def admin(self, path: str, body: bytes):
        split = urllib.parse.urlsplit(path)
        what = split.path[len(ADMIN_PREFIX) :].strip("/")
        state = self.state
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError as e:
            return self.reply_json(400, {"error": f"the body is not JSON: {e}"})
        if what == "rules" and self.command == "POST":
            specs = payload if isinstance(payload, list) else [payload]
            try:
                rules = [Rule(spec) for spec in specs]
            except ValueError as e:
                return self.reply_json(400, {"error": str(e)})
            with state.lock:
                state.rules.extend(rules)
                count = len(state.rules)
            return self.reply_json(200, {"rules": count})
        if what == "rules" and self.command == "GET":
            with state.lock:
                return self.reply_json(200, [r.describe() for r in state.rules])
        if what == "mode" and self.command == "POST":
            mode = (payload or {}).get("mode") if isinstance(payload, dict) else None
            if mode not in MODES:
                return self.reply_json(400, {"error": f"mode must be one of {sorted(MODES)}"})
            state.set_mode(mode)
            return self.reply_json(200, {"mode": mode})
        if what == "mode" and self.command == "GET":
            return self.reply_json(200, {"mode": state.mode})
        if what == "log" and self.command == "GET":
            since = int(urllib.parse.parse_qs(split.query).get("since", ["0"])[0] or 0)
            with state.lock:
                return self.reply_json(200, state.log[since:])
        if what == "reset" and self.command == "POST":
            state.reset()
            return self.reply_json(200, {"reset": True})
        return self.reply_json(404, {"error": f"no admin endpoint {self.command} {split.path}"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT of the emulator")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--mode", choices=sorted(MODES), default="none")
    parser.add_argument("--log", help="also append every proxied call to FILE as JSON lines")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="exit when stdin closes (so a test's proxy dies with the test)",
    )
    args = parser.parse_args(argv)
    if not (args.host.startswith("127.") or args.host in ("::1", "localhost")):
        parser.error("--host must be a loopback address")
    log_file = open(args.log, "a", encoding="utf-8") if args.log else None
    Handler.state = State(args.upstream, args.mode, log_file)
    server = Server((args.host, args.port), Handler)
    port = server.server_address[1]
    host = args.host if ":" not in args.host else f"[{args.host}]"
    print(f"listening on http://{host}:{port}", flush=True)

    def stop(*_):
        Handler.state.release.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.exit_on_stdin_eof:

        def watch_stdin():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            finally:
                os._exit(0)

        threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        Handler.state.release.set()
        server.server_close()


if __name__ == "__main__":
    main()
