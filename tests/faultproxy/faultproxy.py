#!/usr/bin/env python3
"""A programmable fault-injecting HTTP proxy for Route 53, STS and CloudFormation emulators (moto),
for tests and benchmarks. Loopback only; Python 3.11 standard library only.

Run:
    python tests/faultproxy/faultproxy.py --upstream http://127.0.0.1:MOTOPORT \
        [--port 0] [--mode none|buckets|strict] [--log FILE] [--exit-on-stdin-eof] \
        [--account-bucket BURST,RATE] [--action-bucket BURST,RATE] [--change-bucket BURST,RATE|off]

The first line on stdout is `listening on http://127.0.0.1:PORT` (flushed); nothing else is written
to stdout. Point the SDK at it (AWS_ENDPOINT_URL=http://127.0.0.1:PORT): every request (any method,
path, headers, body) is forwarded to the upstream unless a fault, the rate limiter or the fake
CloudFormation answers it.

Classification of each call
    service    `route53` for paths under /2013-04-01/; otherwise the SigV4 credential scope
               (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`), else `sts` when the form has an
               `Action=` STS knows; else `unknown`.
    operation  Route 53: from the REST method and path (GetHostedZone, ListResourceRecordSets,
               ChangeResourceRecordSets, GetChange, ListHostedZonesByName, GetDNSSEC,
               CreateHostedZone, DeleteHostedZone, ...); query protocols (STS, CloudFormation):
               the form's `Action`.
    account    from the access key ID in the Authorization header (or X-Amz-Credential query).
               `test` (the default test credentials) and any key the proxy has not seen are the
               default account 123456789012 (moto does the same). Keys handed out by an AssumeRole
               that passed through the proxy map to the account of its RoleArn.
    region     the SigV4 credential scope's region (us-east-1 when the call is not signed).
    changes    ChangeResourceRecordSets only: the `<Change>` elements of the XML body, each with
               its Action and its ResourceRecordSet's Name and Type.

Admin API (JSON in and out), under /__faultproxy__/:
    POST /__faultproxy__/rules   a JSON list of rules (or one rule object); appended to the rules.
        {"service": "route53"|"sts"|"cloudformation"|"*",  (default "*")
         "operation": "ChangeResourceRecordSets"|"*",      (default "*")
         "account": "123456789012"|"*",                    (default "*")
         "fault": "throttle"|"prior_request_not_complete"|"http500"|"reset"|"stall"
                  |"access_denied"|"pending"|"guardrail"|"invalid_change_batch",
         "count": N,          optional: only the first N matching calls (omitted: for ever)
         "for_seconds": S,    optional: active for S seconds from the rule's install
         "stall_seconds": S,  optional, for "stall": how long to hold the call (default 300)
         "change_action": "CREATE"|"DELETE"|"UPSERT",   optional, any fault
         "record_name": "dev.example.com",               optional, any fault
         "guardrail": "ACTIVE_DELEGATION_CHECK"|...,     required for "guardrail", else refused
         "message": "...",    optional, only for "invalid_change_batch"
         "legacy_xml": true}  optional, only for "guardrail" and "invalid_change_batch"
        Rules are tried in order; the first active one matching a call answers it. A call answered
        by a rule does not consume rate-limiter tokens. `change_action` and `record_name` make a
        rule match only a ChangeResourceRecordSets call whose body holds one Change with that
        Action (case-insensitive) and that record Name (case-insensitive, a trailing dot is
        ignored); both given: the same Change must have both. "guardrail" and
        "invalid_change_batch" rules match only ChangeResourceRecordSets calls with at least one
        Change (whatever their "operation" says).
    GET  /__faultproxy__/rules   the rules with their remaining counts.
    POST /__faultproxy__/mode    {"mode": "none"|"buckets"|"strict",
                                  "account_bucket": [BURST, RATE],      optional
                                  "action_bucket": [BURST, RATE],       optional
                                  "change_bucket": [BURST, RATE]|null}  optional, null: unlimited
        Sets the mode and the given bucket sizes (an omitted size keeps its current value) and
        refills every bucket. BURST is a number >= 1, RATE a number >= 0 (tokens per second; 0
        never refills, which makes tests deterministic). Answers like GET.
    GET  /__faultproxy__/mode    {"mode": ..., "account_bucket": [50, 10],
                                  "action_bucket": [50, 10], "change_bucket": null}
    POST /__faultproxy__/stacks  a JSON list of stacks (or one stack object): REPLACES the fake
                                 CloudFormation's table (an empty list empties it). See below.
    GET  /__faultproxy__/stacks  the table, with the filled-in defaults.
    GET  /__faultproxy__/log     JSON list of every proxied call, oldest first:
        {"t": epoch_seconds, "service", "operation", "account", "status", "fault", "ms",
         "method", "path"}
        `fault` is null, a rule's fault name, "throttle_rate" (the rate limiter answered) or
        "upstream_error" (the upstream could not be reached; status 502). A "throttle_rate" entry
        also has "bucket": "account"|"action"|"changes" (the bucket that refused it). `status` is
        null for "reset" and "stall" (no HTTP answer). Calls the fake CloudFormation answers are
        logged like any other (fault null). `?since=N` returns the entries from index N on.
    POST /__faultproxy__/reset   clears the rules, the log and the stack table, refills the
                                 buckets, releases stalls (the mode and bucket sizes stay).

Faults
    throttle                    HTTP 400, Code Throttling, "Rate exceeded" (the service's XML)
    prior_request_not_complete  HTTP 400, Code PriorRequestNotComplete (Route 53's XML)
    http500                     HTTP 500, Code InternalFailure
    reset                       the connection is reset (TCP RST) before anything is forwarded
    stall                       nothing is forwarded and no answer comes for stall_seconds (or until
                                /reset), then the connection is closed
    access_denied               HTTP 403, Code AccessDenied, "User: ... is not authorized to perform:
                                sts:AssumeRole on resource: <RoleArn>" (or the Route 53 action)
    pending                     forwarded, but the answer's INSYNC change status reads PENDING
    guardrail                   a Route 53 Change Guardrail refuses the batch (nothing forwarded):
                                HTTP 400, Code InvalidChangeBatch, Message
        [RRSet with DNS name NAME., type TYPE] rejected by Change Guardrail GUARDRAIL: REASON. FIX
                                NAME and TYPE come from the refused Change (the first one matching
                                the rule's change_action/record_name; without them, the first
                                Change); NAME always ends with one dot. GUARDRAIL, REASON and FIX:
        NS_FORMAT_CHECK                the NS record values are not valid name server names.
                                       To fix: give the fully qualified names of the name servers
                                       of the hosted zone you delegate to.
        NS_DELEGATION_AUTHORITY_CHECK  the name servers are not authoritative for a hosted zone of
                                       this name. To fix: create the subdomain's hosted zone first
                                       and use its name servers.
        NS_OCCLUSION_CHECK             the delegation would hide other records of this hosted zone
                                       at or below this name. To fix: delete those records first,
                                       or delegate another name.
        ALIAS_TARGET_CHECK             the alias target does not exist. To fix: create the target
                                       first, or correct the AliasTarget.
        ACTIVE_RECORD_CHECK            the record still receives DNS queries. To fix: retry once
                                       resolvers have stopped querying it, or turn the guardrail off
                                       for this hosted zone.
        ACTIVE_DELEGATION_CHECK        the delegated subdomain still receives DNS queries. To fix:
                                       retry once resolvers have stopped querying it, or turn the
                                       guardrail off for this hosted zone.
        e.g. "[RRSet with DNS name dev.example.com., type NS] rejected by Change Guardrail
        ACTIVE_DELEGATION_CHECK: the delegated subdomain still receives DNS queries. To fix: retry
        once resolvers have stopped querying it, or turn the guardrail off for this hosted zone."
    invalid_change_batch        the same answer with "message" as Message, or by default Route 53's
                                own text for the refused Change: "[Tried to create resource record
                                set [name='NAME.', type='TYPE'] but it already exists]" (CREATE),
                                "[Tried to delete resource record set [name='NAME.', type='TYPE']
                                but it was not found]" (DELETE), "[Tried to upsert resource record
                                set [name='NAME.', type='TYPE'] but the change batch is invalid]"
                                (UPSERT).
    InvalidChangeBatch XML (what Route 53 sends today, and what the SDKs parse):
        <?xml version="1.0"?>
        <ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error>
        <Type>Sender</Type><Code>InvalidChangeBatch</Code><Message>MESSAGE</Message></Error>
        <RequestId>UUID</RequestId></ErrorResponse>
      (one line after the declaration line; MESSAGE XML-escaped)
      The AWS SDK for Rust (aws-sdk-route53) reads Code and Message from <Error>: err.code() is
      Some("InvalidChangeBatch"), err.message() is MESSAGE; boto3's Error Code/Message likewise.
      With "legacy_xml": true the answer is Route 53's older InvalidChangeBatch document instead:
        <?xml version="1.0"?>
        <InvalidChangeBatch xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Messages>
        <Message>MESSAGE</Message></Messages><RequestId>UUID</RequestId></InvalidChangeBatch>
      (likewise one line)
      which aws-sdk-route53 (1.132) does NOT recognise: it finds no <Error>, so err.code() and
      err.message() are None (an unhandled error); boto3's Code and Message are "" likewise.

Rate limiter (Route 53 only, keyed by account; never STS or CloudFormation)
    none     no limit (default)
    buckets  Route 53's change-based throttling model (July 2026): every call takes one token from
             its account's bucket (--account-bucket, default burst 50, refill 10 per second) AND
             one from its account's bucket for its operation (--action-bucket, default 50, 10);
             a ChangeResourceRecordSets call also takes one token per <Change> from the account's
             change-throughput bucket (--change-bucket, default off: unlimited). A call passes only
             when every one of its buckets holds enough tokens; otherwise it is refused and NO
             bucket is charged. A batch with more Changes than the change bucket's burst is always
             refused. The buckets are checked in the order account, action, changes; the first one
             short of tokens is the one logged.
    strict   the older documented limit of 5 requests per second, no burst (an account bucket of 1
             token refilled every 200 ms; no action or change buckets)
    Over the limit: HTTP 400 with Route 53's Throttling answer ("Rate exceeded").

Fake CloudFormation (moto cannot hold a stack or a resource *_IN_PROGRESS)
    The stack table (POST /__faultproxy__/stacks) holds stacks like
        {"account": "222222222222", "region": "us-east-1",
         "stack_id": "arn:aws:cloudformation:us-east-1:222222222222:stack/dev-dns/uuid",
         "stack_name": "dev-dns", "status": "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
         "status_reason": "...",              optional
         "creation_time": "2026-07-30T12:00:00Z",  optional (ISO 8601; default: when posted)
         "events_page_size": 100,             optional, DescribeStackEvents page size (>= 1)
         "resources": [{"logical_id": "Delegation", "type": "Custom::SubdomainDelegation",
                        "status": "CREATE_IN_PROGRESS",
                        "physical_id": "Z1/dev.example.com",   optional (absent: not sent)
                        "status_reason": "...",                optional
                        "last_updated": ISO 8601}],            optional (default: when posted)
         "events": [{"logical_id": "Delegation", "type": "Custom::SubdomainDelegation",
                     "status": "DELETE_IN_PROGRESS",
                     "physical_id": "Z1/dev.example.com",      optional
                     "status_reason": "...",                   optional
                     "timestamp": ISO 8601,   optional (default: the time posted minus i seconds
                                              for the i-th event, so newest first)
                     "event_id": "..."}]}     optional (default: LOGICALID-UUID)
    Events are listed newest first, as DescribeStackEvents returns them. Unknown fields are
    refused. While the table is not empty, CloudFormation calls (service `cloudformation`) with
    Action DescribeStackResource, DescribeStacks or DescribeStackEvents are answered from it (after
    the rules; never forwarded), with CloudFormation's query-protocol XML
    (xmlns http://cloudformation.amazonaws.com/doc/2010-05-15/):
        DescribeStackResource  StackName, LogicalResourceId -> DescribeStackResourceResult/
                               StackResourceDetail: StackName, StackId, LogicalResourceId,
                               PhysicalResourceId, ResourceType, LastUpdatedTimestamp,
                               ResourceStatus, ResourceStatusReason
        DescribeStacks         StackName (absent: every stack the caller sees) ->
                               DescribeStacksResult/Stacks/member: StackId, StackName,
                               CreationTime, StackStatus, StackStatusReason, DisableRollback
        DescribeStackEvents    StackName, NextToken -> DescribeStackEventsResult/StackEvents/member:
                               StackId, EventId, StackName, LogicalResourceId,
                               PhysicalResourceId, ResourceType, Timestamp, ResourceStatus,
                               ResourceStatusReason; NextToken while more pages follow
    StackName matches a stack's name or its full stack ID. A stack is visible only to callers in
    its account and region; any other caller (and any unknown name) gets HTTP 400 ValidationError
    "Stack with id NAME does not exist", an unknown LogicalResourceId "Resource ID does not exist
    for stack NAME", in CloudFormation's <ErrorResponse> (Type Sender). Other CloudFormation
    actions, and every CloudFormation call while the table is empty, are forwarded.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import http.client
import json
import math
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
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from xml.sax.saxutils import escape

ADMIN_PREFIX = "/__faultproxy__/"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
ROUTE53_NS = "https://route53.amazonaws.com/doc/2013-04-01/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
CLOUDFORMATION_NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
CHANGE_RRSETS = "ChangeResourceRecordSets"
FAULTS = {
    "throttle",
    "prior_request_not_complete",
    "http500",
    "reset",
    "stall",
    "access_denied",
    "pending",
    "guardrail",
    "invalid_change_batch",
}
# Faults that answer a change batch with InvalidChangeBatch.
CHANGE_BATCH_FAULTS = {"guardrail", "invalid_change_batch"}
CHANGE_ACTIONS = {"CREATE", "DELETE", "UPSERT"}
# Change Guardrail -> (why it refused the change, how to fix it).
GUARDRAILS = {
    "NS_FORMAT_CHECK": (
        "the NS record values are not valid name server names",
        "give the fully qualified names of the name servers of the hosted zone you delegate to",
    ),
    "NS_DELEGATION_AUTHORITY_CHECK": (
        "the name servers are not authoritative for a hosted zone of this name",
        "create the subdomain's hosted zone first and use its name servers",
    ),
    "NS_OCCLUSION_CHECK": (
        "the delegation would hide other records of this hosted zone at or below this name",
        "delete those records first, or delegate another name",
    ),
    "ALIAS_TARGET_CHECK": (
        "the alias target does not exist",
        "create the target first, or correct the AliasTarget",
    ),
    "ACTIVE_RECORD_CHECK": (
        "the record still receives DNS queries",
        "retry once resolvers have stopped querying it, or turn the guardrail off for this "
        "hosted zone",
    ),
    "ACTIVE_DELEGATION_CHECK": (
        "the delegated subdomain still receives DNS queries",
        "retry once resolvers have stopped querying it, or turn the guardrail off for this "
        "hosted zone",
    ),
}
# Route 53's own InvalidChangeBatch texts, by change action (the invalid_change_batch default).
DEFAULT_BATCH_MESSAGES = {
    "CREATE": "[Tried to create resource record set [name='{name}', type='{type}'] but it already "
    "exists]",
    "DELETE": "[Tried to delete resource record set [name='{name}', type='{type}'] but it was not "
    "found]",
    "UPSERT": "[Tried to upsert resource record set [name='{name}', type='{type}'] but the change "
    "batch is invalid]",
}

MODES = ("none", "buckets", "strict")
# (burst, refill per second)
DEFAULT_ACCOUNT_BUCKET = (50.0, 10.0)
DEFAULT_ACTION_BUCKET = (50.0, 10.0)
STRICT_BUCKET = (1.0, 5.0)
BUCKET_FIELDS = ("account_bucket", "action_bucket", "change_bucket")

CFN_ACTIONS = {"DescribeStackResource", "DescribeStacks", "DescribeStackEvents"}
DEFAULT_EVENTS_PAGE_SIZE = 100

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
# Credential=AKID/DATE/REGION/SERVICE/aws4_request
CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/[^/]*/([^/]*)/([^/,\s]+)/")
ACCESS_KEY_RE = re.compile(r"<AccessKeyId>\s*([^<\s]+)\s*</AccessKeyId>")


def route53_operation(method: str, path: str) -> str:
    rest = path[len("/2013-04-01") :]
    for m, pattern, op in ROUTE53_OPERATIONS:
        if m == method and pattern.match(rest):
            return op
    return f"Unknown:{method}"


# -- calls ---------------------------------------------------------------------------------------


class Change(NamedTuple):
    """One <Change> of a ChangeResourceRecordSets request body."""

    action: str
    name: str
    type: str


@dataclass
class Call:
    """What the proxy knows about one proxied request (see "Classification" in the docstring)."""

    service: str
    operation: str
    account: str
    region: str
    form: dict
    changes: list[Change] = field(default_factory=list)


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def child_text(element: ET.Element, name: str) -> str:
    for child in element:
        if local_name(child.tag) == name:
            return (child.text or "").strip()
    return ""


def parse_changes(body: bytes) -> list[Change]:
    """The Changes of a ChangeResourceRecordSets request body (none when it is not XML)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return []
    changes = []
    for element in root.iter():
        if local_name(element.tag) != "Change":
            continue
        rrset = next((c for c in element if local_name(c.tag) == "ResourceRecordSet"), None)
        changes.append(
            Change(
                action=child_text(element, "Action").upper(),
                name="" if rrset is None else child_text(rrset, "Name"),
                type="" if rrset is None else child_text(rrset, "Type"),
            )
        )
    return changes


def same_name(a: str, b: str) -> bool:
    """DNS names compared as Route 53 does: case-insensitive, a trailing dot ignored."""
    return a.rstrip(".").lower() == b.rstrip(".").lower()


def fqdn(name: str) -> str:
    return name.rstrip(".") + "."


# -- rate limiter --------------------------------------------------------------------------------


class Bucket:
    """A token bucket: `burst` tokens at most, refilled at `rate` per second."""

    def __init__(self, burst: float, rate: float):
        self.burst = burst
        self.rate = rate
        self.tokens = burst
        self.last = time.monotonic()

    def refill(self, now: float):
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now


def check_bucket(name: str, burst, rate) -> tuple[float, float]:
    """A validated (burst, rate) bucket size."""
    for x in (burst, rate):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise ValueError(f"{name} must be [BURST, RATE], two numbers")
    if burst < 1 or rate < 0:
        raise ValueError(f"{name}: BURST must be >= 1 and RATE >= 0, not {burst}, {rate}")
    return float(burst), float(rate)


def bucket_from_json(name: str, value) -> tuple[float, float] | None:
    """A bucket size from the admin API's [BURST, RATE]; null is unlimited (change_bucket only)."""
    if value is None and name == "change_bucket":
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{name} must be [BURST, RATE]")
    return check_bucket(name, *value)


def bucket_from_flag(text: str, allow_off: bool = False) -> tuple[float, float] | None:
    """A bucket size from the command line's "BURST,RATE" (or "off": unlimited, if allowed)."""
    if allow_off and text.strip().lower() in ("off", "none", "unlimited"):
        return None
    try:
        burst, rate = (float(part) for part in text.split(","))
        return check_bucket("the bucket", burst, rate)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected BURST,RATE (e.g. 50,10), not {text!r}: {e}")


def json_number(x: float):
    return int(x) if x.is_integer() else x


class RateRefusal(NamedTuple):
    """The rate limiter refused a call; `bucket` is the bucket short of tokens."""

    bucket: str


class RateLimiter:
    """Route 53's token buckets, per account and per account and operation (see the docstring).
    Not thread-safe: State calls it under its lock."""

    def __init__(self, mode: str, account_bucket, action_bucket, change_bucket):
        self.mode = mode
        self.sizes = {
            "account_bucket": account_bucket,
            "action_bucket": action_bucket,
            "change_bucket": change_bucket,
        }
        self.buckets: dict[tuple, Bucket] = {}

    def configure(self, mode: str, sizes: dict):
        self.mode = mode
        self.sizes.update(sizes)
        self.refill_all()

    def refill_all(self):
        self.buckets.clear()

    def describe(self) -> dict:
        sizes = {
            name: None if size is None else [json_number(x) for x in size]
            for name, size in self.sizes.items()
        }
        return {"mode": self.mode, **sizes}

    def take(self, call: Call) -> RateRefusal | None:
        """Charges every bucket of the call; or, when one is short of tokens, none of them."""
        if self.mode == "none" or call.service != "route53":
            return None
        demands = self.demands(call)
        now = time.monotonic()
        for name, bucket, need in demands:
            bucket.refill(now)
            if bucket.tokens < need:
                return RateRefusal(name)
        for _, bucket, need in demands:
            bucket.tokens -= need
        return None

    def demands(self, call: Call) -> list[tuple[str, Bucket, int]]:
        """(bucket name, bucket, tokens needed) for each bucket the call must draw from."""
        if self.mode == "strict":
            return [("account", self.bucket(("strict", call.account), STRICT_BUCKET), 1)]
        sizes = self.sizes
        demands = [
            ("account", self.bucket(("account", call.account), sizes["account_bucket"]), 1),
            (
                "action",
                self.bucket(("action", call.account, call.operation), sizes["action_bucket"]),
                1,
            ),
        ]
        if sizes["change_bucket"] is not None and call.operation == CHANGE_RRSETS:
            bucket = self.bucket(("changes", call.account), sizes["change_bucket"])
            demands.append(("changes", bucket, len(call.changes)))
        return demands

    def bucket(self, key: tuple, size: tuple[float, float]) -> Bucket:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket(*size)
        return bucket


# -- rules ---------------------------------------------------------------------------------------

RULE_FIELDS = {
    "service",
    "operation",
    "account",
    "fault",
    "count",
    "for_seconds",
    "stall_seconds",
    "change_action",
    "record_name",
    "guardrail",
    "message",
    "legacy_xml",
}


class Rule:
    def __init__(self, spec: dict):
        if not isinstance(spec, dict):
            raise ValueError("each rule must be a JSON object")
        unknown = set(spec) - RULE_FIELDS
        if unknown:
            raise ValueError(f"unknown rule fields {sorted(unknown)}")
        self.service = str(spec.get("service", "*"))
        self.operation = str(spec.get("operation", "*"))
        self.account = str(spec.get("account", "*"))
        self.fault = spec.get("fault")
        if self.fault not in FAULTS:
            raise ValueError(f"fault must be one of {sorted(FAULTS)}, not {self.fault!r}")
        self._limits(spec)
        self._change_filters(spec)
        self._change_batch_answer(spec)
        self.spec = spec
        self.hits = 0

    def _limits(self, spec: dict):
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

    def _change_filters(self, spec: dict):
        action = spec.get("change_action")
        if action is not None and (
            not isinstance(action, str) or action.upper() not in CHANGE_ACTIONS
        ):
            raise ValueError(f"change_action must be one of {sorted(CHANGE_ACTIONS)}")
        self.change_action = action.upper() if action else None
        name = spec.get("record_name")
        if name is not None and (not isinstance(name, str) or not name.strip(".")):
            raise ValueError("record_name must be a DNS name")
        self.record_name = name

    def _change_batch_answer(self, spec: dict):
        guardrail = spec.get("guardrail")
        if self.fault == "guardrail" and guardrail not in GUARDRAILS:
            raise ValueError(f"a guardrail rule needs guardrail, one of {sorted(GUARDRAILS)}")
        if self.fault != "guardrail" and guardrail is not None:
            raise ValueError('guardrail is only for fault "guardrail"')
        self.guardrail = guardrail
        message = spec.get("message")
        if message is not None and (
            self.fault != "invalid_change_batch" or not isinstance(message, str)
        ):
            raise ValueError(
                'message must be a string, and is only for fault "invalid_change_batch"'
            )
        self.message = message
        legacy = spec.get("legacy_xml", False)
        if not isinstance(legacy, bool) or (legacy and self.fault not in CHANGE_BATCH_FAULTS):
            raise ValueError("legacy_xml must be true or false, and is only for faults "
                             f"{sorted(CHANGE_BATCH_FAULTS)}")
        self.legacy_xml = legacy

    def active(self, now: float) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        return self.until is None or now < self.until

    def matches(self, call: Call) -> bool:
        return (
            self.service in ("*", call.service)
            and self.operation in ("*", call.operation)
            and self.account in ("*", call.account)
            and (not self.needs_change() or self.matching_change(call) is not None)
        )

    def needs_change(self) -> bool:
        return bool(self.fault in CHANGE_BATCH_FAULTS or self.change_action or self.record_name)

    def matching_change(self, call: Call) -> Change | None:
        """The first Change of the call this rule is about (None: the rule does not match)."""
        if call.operation != CHANGE_RRSETS:
            return None
        for change in call.changes:
            if self.change_action and change.action != self.change_action:
                continue
            if self.record_name and not same_name(change.name, self.record_name):
                continue
            return change
        return None

    def change_batch_message(self, change: Change) -> str:
        """The InvalidChangeBatch message of a "guardrail" or "invalid_change_batch" rule."""
        if self.guardrail is not None:
            reason, fix = GUARDRAILS[self.guardrail]
            return (
                f"[RRSet with DNS name {fqdn(change.name)}, type {change.type}] rejected by "
                f"Change Guardrail {self.guardrail}: {reason}. To fix: {fix}."
            )
        if self.message is not None:
            return self.message
        template = DEFAULT_BATCH_MESSAGES.get(change.action, DEFAULT_BATCH_MESSAGES["UPSERT"])
        return template.format(name=fqdn(change.name), type=change.type)

    def describe(self) -> dict:
        return {**self.spec, "remaining": self.remaining, "hits": self.hits}


# -- answers -------------------------------------------------------------------------------------

NAMESPACES = {"sts": STS_NS, "cloudformation": CLOUDFORMATION_NS}


def error_xml(service: str, code: str, message: str, kind: str = "Sender") -> bytes:
    """The service's <ErrorResponse> (Route 53's for any service but STS and CloudFormation)."""
    ns = NAMESPACES.get(service, ROUTE53_NS)
    request_id = str(uuid.uuid4())
    return (
        f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{ns}"><Error><Type>{kind}</Type>'
        f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()


def invalid_change_batch_xml(message: str, legacy: bool = False) -> bytes:
    """Route 53's InvalidChangeBatch answer; `legacy`: its older <InvalidChangeBatch> document."""
    if not legacy:
        return error_xml("route53", "InvalidChangeBatch", message)
    return (
        f'<?xml version="1.0"?>\n<InvalidChangeBatch xmlns="{ROUTE53_NS}"><Messages>'
        f"<Message>{escape(message)}</Message></Messages>"
        f"<RequestId>{uuid.uuid4()}</RequestId></InvalidChangeBatch>"
    ).encode()


# -- fake CloudFormation -------------------------------------------------------------------------

STACK_REQUIRED = {"account", "region", "stack_id", "stack_name", "status"}
STACK_OPTIONAL = {"status_reason", "creation_time", "events_page_size", "resources", "events"}
RESOURCE_REQUIRED = {"logical_id", "type", "status"}
RESOURCE_OPTIONAL = {"physical_id", "status_reason", "last_updated"}
EVENT_REQUIRED = {"logical_id", "type", "status"}
EVENT_OPTIONAL = {"physical_id", "status_reason", "timestamp", "event_id"}
# Fields that are not strings.
NON_STRING_FIELDS = {"events_page_size", "resources", "events"}


class ValidationError(Exception):
    """CloudFormation's ValidationError; its text is the answer's Message."""


def iso_time(epoch: float) -> str:
    """A time as CloudFormation writes it: 2026-07-30T12:00:00.000Z."""
    stamp = datetime.fromtimestamp(epoch, timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def normalize_time(value, what: str, default: float) -> str:
    """An ISO 8601 time (UTC when it names no offset) in CloudFormation's format."""
    if value is None:
        return iso_time(default)
    try:
        stamp = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        stamp = None
    if stamp is None:
        raise ValueError(f"{what} must be an ISO 8601 time (2026-07-30T12:00:00Z), not {value!r}")
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return iso_time(stamp.timestamp())


def check_fields(spec, required: set, optional: set, what: str):
    if not isinstance(spec, dict):
        raise ValueError(f"{what} must be a JSON object")
    unknown = set(spec) - required - optional
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)} in {what}")
    missing = required - set(spec)
    if missing:
        raise ValueError(f"{what} needs {sorted(missing)}")
    for key, value in spec.items():
        if key not in NON_STRING_FIELDS and (not isinstance(value, str) or not value):
            raise ValueError(f"{key} of {what} must be a non-empty string")


def json_list(spec: dict, key: str, what: str) -> list:
    value = spec.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key} of {what} must be a list")
    return value


def normalize_stack(spec, now: float) -> dict:
    """A stack of the table, checked, with its defaults filled in (see the docstring)."""
    check_fields(spec, STACK_REQUIRED, STACK_OPTIONAL, "a stack")
    what = f"stack {spec['stack_name']}"
    if not re.fullmatch(r"\d{12}", spec["account"]):
        raise ValueError(f"account of {what} must be 12 digits")
    page = spec.get("events_page_size", DEFAULT_EVENTS_PAGE_SIZE)
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ValueError(f"events_page_size of {what} must be an integer >= 1")
    resources = json_list(spec, "resources", what)
    events = json_list(spec, "events", what)
    return {
        **spec,
        "creation_time": normalize_time(spec.get("creation_time"), "creation_time", now),
        "events_page_size": page,
        "resources": [normalize_resource(r, what, now) for r in resources],
        "events": [normalize_event(e, what, now - i) for i, e in enumerate(events)],
    }


def normalize_resource(spec, what: str, now: float) -> dict:
    check_fields(spec, RESOURCE_REQUIRED, RESOURCE_OPTIONAL, f"a resource of {what}")
    return {**spec, "last_updated": normalize_time(spec.get("last_updated"), "last_updated", now)}


def normalize_event(spec, what: str, default_time: float) -> dict:
    check_fields(spec, EVENT_REQUIRED, EVENT_OPTIONAL, f"an event of {what}")
    return {
        **spec,
        "timestamp": normalize_time(spec.get("timestamp"), "timestamp", default_time),
        "event_id": spec.get("event_id") or f"{spec['logical_id']}-{uuid.uuid4()}",
    }


def xml_fields(pairs) -> str:
    """<Name>value</Name> for each (Name, value) whose value is not None."""
    return "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in pairs if v is not None)


def cloudformation_xml(action: str, result: str) -> bytes:
    """CloudFormation's query-protocol answer to `action`, with `result` as its Result."""
    return (
        f'<{action}Response xmlns="{CLOUDFORMATION_NS}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    ).encode()


def null_parameter(name: str) -> ValidationError:
    return ValidationError(
        f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: "
        "Member must not be null"
    )


class FakeCloudFormation:
    """The stack table and CloudFormation's Describe* answers from it (see the docstring). The
    table is replaced whole, never changed in place, so readers need no lock."""

    def __init__(self):
        self.stacks: list[dict] = []

    def replace(self, specs: list):
        now = time.time()
        self.stacks = [normalize_stack(spec, now) for spec in specs]

    def answer(self, call: Call) -> tuple[int, bytes] | None:
        """(status, body) for a call the table answers; None: forward it."""
        stacks = self.stacks
        if not stacks or call.service != "cloudformation" or call.operation not in CFN_ACTIONS:
            return None
        visible = [s for s in stacks if (s["account"], s["region"]) == (call.account, call.region)]
        handler = {
            "DescribeStackResource": self.describe_stack_resource,
            "DescribeStacks": self.describe_stacks,
            "DescribeStackEvents": self.describe_stack_events,
        }[call.operation]
        try:
            return 200, cloudformation_xml(call.operation, handler(visible, call.form))
        except ValidationError as e:
            return 400, error_xml("cloudformation", "ValidationError", str(e))

    @staticmethod
    def find(visible: list[dict], form: dict) -> dict:
        name = form.get("StackName")
        if not name:
            raise null_parameter("stackName")
        for stack in visible:
            if name in (stack["stack_name"], stack["stack_id"]):
                return stack
        raise ValidationError(f"Stack with id {name} does not exist")

    def describe_stack_resource(self, visible: list[dict], form: dict) -> str:
        stack = self.find(visible, form)
        logical_id = form.get("LogicalResourceId")
        if not logical_id:
            raise null_parameter("logicalResourceId")
        resource = next((r for r in stack["resources"] if r["logical_id"] == logical_id), None)
        if resource is None:
            raise ValidationError(
                f"Resource {logical_id} does not exist for stack {stack['stack_name']}"
            )
        detail = xml_fields([
            ("StackName", stack["stack_name"]),
            ("StackId", stack["stack_id"]),
            ("LogicalResourceId", resource["logical_id"]),
            ("PhysicalResourceId", resource.get("physical_id")),
            ("ResourceType", resource["type"]),
            ("LastUpdatedTimestamp", resource["last_updated"]),
            ("ResourceStatus", resource["status"]),
            ("ResourceStatusReason", resource.get("status_reason")),
        ])
        return f"<StackResourceDetail>{detail}</StackResourceDetail>"

    def describe_stacks(self, visible: list[dict], form: dict) -> str:
        stacks = [self.find(visible, form)] if form.get("StackName") else visible
        members = "".join(
            "<member>"
            + xml_fields([
                ("StackId", stack["stack_id"]),
                ("StackName", stack["stack_name"]),
                ("CreationTime", stack["creation_time"]),
                ("StackStatus", stack["status"]),
                ("StackStatusReason", stack.get("status_reason")),
                ("DisableRollback", "false"),
            ])
            + "</member>"
            for stack in stacks
        )
        return f"<Stacks>{members}</Stacks>"

    def describe_stack_events(self, visible: list[dict], form: dict) -> str:
        stack = self.find(visible, form)
        start = self.page_start(stack, form.get("NextToken"))
        end = start + stack["events_page_size"]
        members = "".join(
            "<member>"
            + xml_fields([
                ("StackId", stack["stack_id"]),
                ("EventId", event["event_id"]),
                ("StackName", stack["stack_name"]),
                ("LogicalResourceId", event["logical_id"]),
                ("PhysicalResourceId", event.get("physical_id")),
                ("ResourceType", event["type"]),
                ("Timestamp", event["timestamp"]),
                ("ResourceStatus", event["status"]),
                ("ResourceStatusReason", event.get("status_reason")),
            ])
            + "</member>"
            for event in stack["events"][start:end]
        )
        next_token = self.page_token(stack, end) if end < len(stack["events"]) else None
        return f"<StackEvents>{members}</StackEvents>" + xml_fields([("NextToken", next_token)])

    @staticmethod
    def page_token(stack: dict, start: int) -> str:
        text = json.dumps({"stack_id": stack["stack_id"], "start": start})
        return base64.urlsafe_b64encode(text.encode()).decode()

    @staticmethod
    def page_start(stack: dict, token: str | None) -> int:
        if not token:
            return 0
        try:
            page = json.loads(base64.urlsafe_b64decode(token.encode()))
            if page["stack_id"] == stack["stack_id"] and isinstance(page["start"], int):
                return page["start"]
        except (ValueError, binascii.Error, KeyError, TypeError):
            pass
        raise ValidationError("Invalid NextToken")


# -- state ---------------------------------------------------------------------------------------


class State:
    def __init__(self, upstream: str, limiter: RateLimiter, log_file):
        parsed = urllib.parse.urlsplit(upstream)
        if parsed.scheme != "http" or not parsed.hostname:
            raise SystemExit(f"--upstream must be an http:// URL, not {upstream!r}")
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self.lock = threading.Lock()
        self.rules: list[Rule] = []
        self.log: list[dict] = []
        self.log_file = log_file
        self.limiter = limiter
        self.cloudformation = FakeCloudFormation()
        self.accounts = {"test": DEFAULT_ACCOUNT}
        self.release = threading.Event()

    def configure_mode(self, payload) -> dict:
        """Applies a POST /mode body (see the docstring); answers like GET /mode."""
        if not isinstance(payload, dict):
            raise ValueError("the body must be a JSON object")
        unknown = set(payload) - {"mode", *BUCKET_FIELDS}
        if unknown:
            raise ValueError(f"unknown mode fields {sorted(unknown)}")
        mode = payload.get("mode")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {sorted(MODES)}")
        sizes = {
            name: bucket_from_json(name, payload[name]) for name in BUCKET_FIELDS if name in payload
        }
        with self.lock:
            self.limiter.configure(mode, sizes)
            return self.limiter.describe()

    def describe_mode(self) -> dict:
        with self.lock:
            return self.limiter.describe()

    def reset(self):
        with self.lock:
            self.rules.clear()
            self.log.clear()
            self.limiter.refill_all()
            self.cloudformation.replace([])
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

    def decide(self, call: Call) -> Rule | RateRefusal | None:
        """The rule that answers this call, or the rate limiter's refusal, or None (go on)."""
        now = time.monotonic()
        with self.lock:
            for rule in self.rules:
                if rule.active(now) and rule.matches(call):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    rule.hits += 1
                    return rule
            return self.limiter.take(call)

    def record(self, entry: dict):
        line = json.dumps(entry)
        with self.lock:
            self.log.append(entry)
            if self.log_file is not None:
                self.log_file.write(line + "\n")
                self.log_file.flush()


# -- HTTP ----------------------------------------------------------------------------------------


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
        call = self.classify(path, body)
        entry = {
            "t": time.time(),
            "service": call.service,
            "operation": call.operation,
            "account": call.account,
            "status": None,
            "fault": None,
            "method": self.command,
            "path": urllib.parse.urlsplit(path).path,
        }
        self.entry = entry
        decision = self.state.decide(call)
        try:
            if isinstance(decision, RateRefusal):
                entry["fault"] = "throttle_rate"
                entry["bucket"] = decision.bucket
                self.reply(400, error_xml("route53", "Throttling", "Rate exceeded"))
            elif isinstance(decision, Rule):
                entry["fault"] = decision.fault
                self.apply(decision, call, path, body)
            elif (answer := self.state.cloudformation.answer(call)) is not None:
                self.reply(*answer)
            else:
                self.forward(path, body, call, pending=False)
        finally:
            self.commit()

    def classify(self, path: str, body: bytes) -> Call:
        auth = self.headers.get("Authorization", "")
        split = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(split.query)
        m = CREDENTIAL_RE.search(auth)
        akid, region, scope = m.groups() if m else (None, None, None)
        if akid is None and "X-Amz-Credential" in query:
            parts = query["X-Amz-Credential"][0].split("/")
            akid = parts[0]
            region = parts[2] if len(parts) > 2 else None
            scope = parts[3] if len(parts) > 3 else None
        form = self.form(body, query)
        service, operation = self.service_and_operation(split.path, scope, form.get("Action"))
        changes = parse_changes(body) if operation == CHANGE_RRSETS else []
        return Call(
            service=service,
            operation=operation,
            account=self.state.account_of(akid),
            region=region or DEFAULT_REGION,
            form=form,
            changes=changes,
        )

    def form(self, body: bytes, query: dict) -> dict:
        """The form fields of a query-protocol body, then those of the URL's query."""
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
        return form

    def service_and_operation(self, path: str, scope: str | None, action: str | None):
        if path.startswith("/2013-04-01/"):
            return "route53", route53_operation(self.command, path)
        operation = action or f"Unknown:{self.command}"
        if scope == "sts" or (scope is None and action in STS_ACTIONS):
            return "sts", operation
        return scope or "unknown", operation

    def apply(self, rule: Rule, call: Call, path: str, body: bytes):
        fault, service = rule.fault, call.service
        if fault == "throttle":
            self.reply(400, error_xml(service, "Throttling", "Rate exceeded"))
        elif fault == "prior_request_not_complete":
            message = (
                "The request was rejected because Route 53 was still processing a prior request."
            )
            self.reply(400, error_xml(service, "PriorRequestNotComplete", message))
        elif fault == "http500":
            message = "An internal error occurred."
            self.reply(500, error_xml(service, "InternalFailure", message, kind="Receiver"))
        elif fault == "access_denied":
            self.reply(403, error_xml(service, "AccessDenied", self.denial(call, path)))
        elif fault in CHANGE_BATCH_FAULTS:
            message = rule.change_batch_message(rule.matching_change(call))
            self.reply(400, invalid_change_batch_xml(message, rule.legacy_xml))
        elif fault == "reset":
            self.drop(rst=True)
        elif fault == "stall":
            release = self.state.release
            self.commit()
            release.wait(rule.stall_seconds)
            self.drop(rst=False)
        elif fault == "pending":
            self.forward(path, body, call, pending=True)
        else:
            raise AssertionError(fault)

    def denial(self, call: Call, path: str) -> str:
        principal = f"arn:aws:sts::{DEFAULT_ACCOUNT}:assumed-role/subdomain-delegation/provider"
        service, operation = call.service, call.operation
        if service == "sts":
            resource = call.form.get("RoleArn", "*")
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

    def forward(self, path: str, body: bytes, call: Call, pending: bool):
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
            message = f"faultproxy: upstream unreachable: {e}"
            self.reply(502, error_xml(call.service, "BadGateway", message, "Receiver"))
            return
        finally:
            conn.close()
        if pending:
            data = data.replace(b"<Status>INSYNC</Status>", b"<Status>PENDING</Status>")
        if call.service == "sts" and call.operation == "AssumeRole" and status == 200:
            self.learn_assumed_role(data, call.form.get("RoleArn", ""))
        self.reply(status, data, headers, content_type=None)

    def learn_assumed_role(self, answer: bytes, role_arn: str):
        """Maps the access key an AssumeRole handed out to the account of its role."""
        key = ACCESS_KEY_RE.search(answer.decode("utf-8", "replace"))
        parts = role_arn.split(":")
        if key and len(parts) > 4 and parts[4]:
            self.state.learn(key.group(1), parts[4])

    # -- admin ---------------------------------------------------------------------------------

    def admin(self, path: str, body: bytes):
        split = urllib.parse.urlsplit(path)
        what = split.path[len(ADMIN_PREFIX) :].strip("/")
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError as e:
            return self.reply_json(400, {"error": f"the body is not JSON: {e}"})
        endpoint = ADMIN_ENDPOINTS.get((self.command, what))
        if endpoint is None:
            return self.reply_json(
                404, {"error": f"no admin endpoint {self.command} {split.path}"}
            )
        query = urllib.parse.parse_qs(split.query)
        try:
            return self.reply_json(200, endpoint(self.state, payload, query))
        except ValueError as e:
            return self.reply_json(400, {"error": str(e)})


def as_list(payload) -> list:
    """A JSON list, or one object as a list of one."""
    return payload if isinstance(payload, list) else [payload]


def admin_post_rules(state: State, payload, _query):
    rules = [Rule(spec) for spec in as_list(payload)]
    with state.lock:
        state.rules.extend(rules)
        return {"rules": len(state.rules)}


def admin_get_rules(state: State, _payload, _query):
    with state.lock:
        return [r.describe() for r in state.rules]


def admin_post_stacks(state: State, payload, _query):
    state.cloudformation.replace(as_list(payload))
    return {"stacks": len(state.cloudformation.stacks)}


def admin_get_log(state: State, _payload, query):
    since = int(query.get("since", ["0"])[0] or 0)
    with state.lock:
        return state.log[since:]


def admin_reset(state: State, _payload, _query):
    state.reset()
    return {"reset": True}


# (method, endpoint below /__faultproxy__/) -> function(state, JSON body, query) -> JSON answer;
# a ValueError is a 400 answer with its text.
ADMIN_ENDPOINTS = {
    ("POST", "rules"): admin_post_rules,
    ("GET", "rules"): admin_get_rules,
    ("POST", "mode"): lambda state, payload, _query: state.configure_mode(payload),
    ("GET", "mode"): lambda state, _payload, _query: state.describe_mode(),
    ("POST", "stacks"): admin_post_stacks,
    ("GET", "stacks"): lambda state, _payload, _query: state.cloudformation.stacks,
    ("GET", "log"): admin_get_log,
    ("POST", "reset"): admin_reset,
}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT of the emulator")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--mode", choices=MODES, default="none")
    parser.add_argument(
        "--account-bucket",
        type=bucket_from_flag,
        default=DEFAULT_ACCOUNT_BUCKET,
        metavar="BURST,RATE",
        help="buckets mode: each account's bucket (default 50,10)",
    )
    parser.add_argument(
        "--action-bucket",
        type=bucket_from_flag,
        default=DEFAULT_ACTION_BUCKET,
        metavar="BURST,RATE",
        help="buckets mode: each account's bucket per operation (default 50,10)",
    )
    parser.add_argument(
        "--change-bucket",
        type=lambda text: bucket_from_flag(text, allow_off=True),
        default=None,
        metavar="BURST,RATE|off",
        help="buckets mode: each account's bucket of record changes (default off: unlimited)",
    )
    parser.add_argument("--log", help="also append every proxied call to FILE as JSON lines")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="exit when stdin closes (so a test's proxy dies with the test)",
    )
    args = parser.parse_args(argv)
    if not (args.host.startswith("127.") or args.host in ("::1", "localhost")):
        parser.error("--host must be a loopback address")
    limiter = RateLimiter(args.mode, args.account_bucket, args.action_bucket, args.change_bucket)
    log_file = open(args.log, "a", encoding="utf-8") if args.log else None
    Handler.state = State(args.upstream, limiter, log_file)
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
