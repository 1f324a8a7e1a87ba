"""The migration from CDK's CrossAccountZoneDelegationRecord to Custom::SubdomainDelegation, in the
order docs/migration.md gives, against moto (multi-account), with both real handlers. The steps are
lettered as in the tests: a. CDK's Create (the starting point); b. the old resource retained (the
guide's step 1); c. the new resource's Create (step 2); d. the old resource removed (step 3);
e. later requests to the new resource.

- CDK's handler exactly as aws-cdk-lib ships it (bench/cdk_invoke.js: CDK's provider entrypoint and
  its cross-account-zone-delegation handler, on one CloudFormation event; needs node and
  bench/node_modules, `npm ci --prefix bench`);
- this provider's packaged binary (`bootstrap invoke EVENT.json`, DELEGATION_BOOTSTRAP, built by
  scripts/build-bootstrap).

Between every step the parent zone's NS record for dev.example.com is read straight from moto
(boto3), and every answer PUT to the loopback ResponseURL receiver is checked (Status,
PhysicalResourceId). This provider and CDK's handler reach moto through the fault proxy
(tests/faultproxy, mode "none": it only counts), so the tests also see which account each Route 53
call was made in and how many change batches were written.

Run (the project venv has moto, boto3 and pytest):

    DELEGATION_BOOTSTRAP=target/lambda/subdomain-delegation/bootstrap \\
        $(scripts/venv)/python -m pytest -q -p no:cacheprovider tests/migration

A missing binary, node, CDK's modules or moto is a failure, never a skip.

CloudFormation itself is not emulated: each step sends the handler exactly the event CloudFormation
sends at that step, or nothing where CloudFormation sends nothing (a template-only change: the
DeletionPolicy of a resource, the removal of a retained resource). Those steps are written
`no_event(...)`, with the reason, and the record is read after them like after any other step.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import harness as h  # noqa: E402  (also puts scripts/ on sys.path for localaws)
from moto_launcher import moto_launcher  # noqa: E402

PARENT = h.PARENT_ACCOUNT  # the DNS account: example.com, and the provider's own credentials
CHILD = h.CHILD_ACCOUNT  # the workload account: dev.example.com and the stack being migrated
PARENT_ZONE_NAME = h.PARENT_ZONE
NAME = f"dev.{PARENT_ZONE_NAME}"
# This provider's policy for the test: the child account may be delegated dev.example.com.
POLICY = {"allow": [{"accounts": [CHILD], "names": [NAME]}]}
CDK_DEFAULT_TTL = "172800"  # CrossAccountZoneDelegationRecord's default ttl, Duration.days(2)
OUR_DEFAULT_TTL = "172800"  # TTL's default (README, "Properties")
PROCESS_TIMEOUT_S = 120  # one handler process; each takes about a second
INVOKE_DEADLINE_S = 60  # the binary's --timeout (its deadline guard answers before it)


# ---------------------------------------------------------------------------------------------
# The tools: a missing one fails the test with what to do.


@pytest.fixture(scope="session")
def binary() -> str:
    path = os.environ.get("DELEGATION_BOOTSTRAP")
    if not path:
        pytest.fail(
            "DELEGATION_BOOTSTRAP is not set: build the packaged binary with scripts/build-bootstrap "
            "and export DELEGATION_BOOTSTRAP=<the path it prints> "
            "(target/lambda/subdomain-delegation/bootstrap)",
            pytrace=False,
        )
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"DELEGATION_BOOTSTRAP={path} is not an executable file: run scripts/build-bootstrap",
            pytrace=False,
        )
    return os.path.abspath(path)


@pytest.fixture(scope="session")
def cdk_handler() -> None:
    """node, and CDK's handler with the SDK clients it requires, as bench/package.json pins them."""
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: it runs CDK's handler (bench/cdk_invoke.js)", pytrace=False)
    with open(ROOT / "bench" / "package.json") as f:
        pinned = json.load(f)["dependencies"]
    for package, version in pinned.items():
        manifest = ROOT / "bench" / "node_modules" / package / "package.json"
        if not manifest.is_file():
            pytest.fail(f"{package} is missing from bench/node_modules: run `npm ci --prefix bench`",
                        pytrace=False)
        with open(manifest) as f:
            got = json.load(f).get("version")
        if got != version:
            pytest.fail(f"bench/node_modules holds {package} {got}, bench/package.json pins {version}: "
                        "run `npm ci --prefix bench`", pytrace=False)


class World:
    """moto (bench/moto_launcher.py's launcher, multi-account through STS), the counting fault proxy
    in front of it, and the ResponseURL receiver."""

    def __init__(self, workdir: Path):
        server = os.environ.get("MOTO_SERVER") or str(ROOT / ".venv" / "bin" / "moto_server")
        if not os.path.exists(server):
            pytest.fail(f"moto_server is missing at {server}: run scripts/venv, or set MOTO_SERVER",
                        pytrace=False)
        self.workdir = workdir
        self.moto = self.proxy = self.receiver = None
        try:
            self.moto = h.Moto(moto_launcher(server, str(workdir)), str(workdir))
            self.proxy = h.Proxy(sys.executable, self.moto.endpoint, "none", str(workdir))
        except SystemExit as e:  # localaws and the harness say why with SystemExit
            self.stop()
            pytest.fail(f"could not start the emulator: {e}", pytrace=False)
        self.receiver = h.Receiver("MIGRATION")
        self.emu = h.Emulator(self.moto.endpoint)

    def stop(self):
        for part in (self.receiver, self.proxy, self.moto):
            if part is not None:
                part.stop()


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    w = World(tmp_path_factory.mktemp("migration"))
    try:
        yield w
    finally:
        w.stop()


# ---------------------------------------------------------------------------------------------
# One migration: a parent zone, a child zone, the child account's stack, both handlers.


class Run:
    """One child stack being migrated, with its own zones (a fresh example.com each test)."""

    def __init__(self, world: World, binary: str, test: str):
        self.w = world
        self.binary = binary
        self.test = test
        self.parent = world.emu.client("route53")
        self.child = world.emu.client("route53", CHILD)
        self.parent_zone, _ = h.Emulator.create_zone(self.parent, PARENT_ZONE_NAME)
        self.child_zone, self.child_ns = h.Emulator.create_zone(self.child, NAME)
        # Both resources live in the same child-account stack (the one being migrated).
        self.stack_id = f"arn:aws:cloudformation:us-east-1:{CHILD}:stack/dev-zone/{uuid.uuid4()}"
        self.steps = 0
        self.values = None  # the NS values first seen, normalized: they must never change
        self.written_ns = None  # what CDK's handler was given, when not the child zone's servers
        self.journal: list[str] = []

    # -- the parent's record, read straight from moto ------------------------------------------

    def record(self) -> dict | None:
        found = [r for r in h.Emulator.records(self.parent, self.parent_zone)
                 if r["Type"] == "NS" and r["Name"].rstrip(".").lower() == NAME]
        assert len(found) <= 1, found
        return found[0] if found else None

    def zone(self) -> list[dict]:
        return h.Emulator.records(self.parent, self.parent_zone)

    @staticmethod
    def values_of(record: dict) -> list[str]:
        return h.norm_ns(v["Value"] for v in record["ResourceRecords"])

    def present(self, step: str) -> dict:
        """The record is there, with the child zone's name servers, and the same values as ever."""
        rec = self.record()
        assert rec is not None, f"after {step}: the parent holds no NS record for {NAME} (an outage)"
        values = self.values_of(rec)
        expected = h.norm_ns(self.written_ns or self.child_ns)
        assert values == expected, f"after {step}: NS values {values}, not {expected}"
        if self.values is None:
            self.values = values
        assert values == self.values, f"after {step}: NS values changed from {self.values} to {values}"
        self.note(f"{step}: record present, TTL {rec['TTL']}, values unchanged")
        return rec

    def absent(self, step: str) -> None:
        rec = self.record()
        assert rec is None, f"after {step}: the NS record for {NAME} is still there: {rec}"
        self.note(f"{step}: record ABSENT")

    def note(self, line: str) -> None:
        self.journal.append(line)
        print(f"[{self.test}] {line}")

    # -- steps -----------------------------------------------------------------------------------

    def no_event(self, step: str, why: str) -> None:
        """A step at which CloudFormation sends the handlers nothing (`why`): nothing runs."""
        self.note(f"{step}: no event ({why})")

    def _file(self, event: dict, tag: str) -> str:
        self.steps += 1
        path = self.w.workdir / f"{self.test}-{self.steps:02d}-{tag}.json"
        path.write_text(json.dumps(event))
        return str(path)

    def _key(self, tag: str) -> str:
        return f"{self.test}-{tag}-{uuid.uuid4().hex[:8]}"

    def _run(self, cmd: list[str], env: dict, key: str, who: str) -> tuple[dict, list[dict], str]:
        """Runs one handler process; returns its one answer (as PUT), the proxied calls and stderr."""
        self.w.proxy.reset()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
        calls = self.w.proxy.calls()
        puts = self.w.receiver.answers(key)
        assert proc.returncode == 0, f"{who} exited {proc.returncode}: {proc.stderr[-2000:]}"
        assert len(puts) == 1, f"{who} PUT {len(puts)} answers; stderr: {proc.stderr[-2000:]}"
        assert puts[0].content_type in ("", None), puts[0].content_type
        return json.loads(puts[0].body), calls, proc.stderr

    @staticmethod
    def changes(calls: list[dict]) -> list[dict]:
        return [c for c in calls if c.get("operation") == "ChangeResourceRecordSets"]

    # CDK's handler ------------------------------------------------------------------------------

    def cdk_create(self, ttl: str = CDK_DEFAULT_TTL, name_servers: list[str] | None = None) -> dict:
        """What CloudFormation sends CDK's handler for a new CrossAccountZoneDelegationRecord
        (the child stack passes its zone's name servers, or `name_servers`; the handler assumes a
        role in the parent)."""
        key = self._key("cdk-create")
        if name_servers is not None:
            self.written_ns = list(name_servers)
        event = h.cdk_event(self.w.receiver, key, CHILD, self.parent_zone, NAME,
                            name_servers if name_servers is not None else self.child_ns)
        event["StackId"] = self.stack_id
        event["LogicalResourceId"] = "DevDelegationCrossAccountZoneDelegationCustomResource5A2B1C3D"
        event["ResourceProperties"]["TTL"] = ttl
        answer, calls, _ = self._run(h.cdk_cmd(self._file(event, "cdk-create")), h.cdk_env(self.w.proxy.endpoint),
                                     key, "CDK's handler (Create)")
        assert answer["Status"] == "SUCCESS", answer
        # CDK's entrypoint answers the RequestId as the PhysicalResourceId of a Create.
        assert answer["PhysicalResourceId"] == event["RequestId"], answer
        writes = self.changes(calls)
        assert len(writes) == 1 and writes[0]["account"] == PARENT, writes
        # CDK's handler never reads the child account: it writes the values the stack passes, through
        # a role it assumes in the parent account.
        assert not [c for c in calls if c.get("account") == CHILD], calls
        self.note(f"CDK Create: {answer['Status']}, PhysicalResourceId {answer['PhysicalResourceId']}")
        event["PhysicalResourceId"] = answer["PhysicalResourceId"]
        return event

    def cdk_request(self, current: dict, request_type: str, ttl: str | None = None) -> dict:
        """CDK's handler on an Update (to `ttl`: CloudFormation sends an Update only when a property
        changes) or a Delete of the resource whose last request was `current`; returns the request."""
        key = self._key(f"cdk-{request_type.lower()}")
        event = dict(current, RequestType=request_type, RequestId=str(uuid.uuid4()),
                     ResponseURL=self.w.receiver.url(key))
        if request_type == "Update":
            event["OldResourceProperties"] = dict(current["ResourceProperties"])
            event["ResourceProperties"] = dict(current["ResourceProperties"], TTL=ttl)
        else:
            event.pop("OldResourceProperties", None)
        answer, calls, _ = self._run(h.cdk_cmd(self._file(event, f"cdk-{request_type.lower()}")),
                                     h.cdk_env(self.w.proxy.endpoint), key, f"CDK's handler ({request_type})")
        assert answer["Status"] == "SUCCESS", answer
        assert answer["PhysicalResourceId"] == current["PhysicalResourceId"], answer
        self.note(f"CDK {request_type}: {answer['Status']}, PhysicalResourceId {answer['PhysicalResourceId']}, "
                  f"{len(self.changes(calls))} change batch(es)")
        return event

    # This provider ------------------------------------------------------------------------------

    def _ours(self, event: dict, key: str, tag: str) -> tuple[dict, list[dict], dict]:
        env = h.ours_env(self.w.proxy.endpoint)
        env["DELEGATION_POLICY"] = json.dumps(POLICY)
        answer, calls, stderr = self._run(h.ours_cmd(self.binary, self._file(event, tag), INVOKE_DEADLINE_S),
                                          env, key, f"the provider ({event['RequestType']})")
        summaries = [line for line in map(h.last_json_line, stderr.splitlines())
                     if isinstance(line, dict) and line.get("summary") is True]
        assert len(summaries) == 1, stderr[-2000:]
        return answer, calls, summaries[0]

    def ours_create_refused(self) -> tuple[dict, dict, list[dict], dict]:
        """Our Create where it must answer FAILED; returns the event, the answer, the calls, the
        summary."""
        key = self._key("ours-create")
        event = h.our_event(self.w.receiver, key, CHILD, self.parent_zone, self.child_zone)
        event["StackId"] = self.stack_id
        event["LogicalResourceId"] = "DevDelegation8F3E2A1B"
        del event["ResourceProperties"]["TTL"]
        answer, calls, summary = self._ours(event, key, "ours-create")
        assert answer["Status"] == "FAILED", answer
        assert answer["PhysicalResourceId"] == f"failed-create:{event['RequestId']}", answer
        self.note(f"our Create: {answer['Status']}, PhysicalResourceId {answer['PhysicalResourceId']}, "
                  f"action {summary.get('action')}, {len(self.changes(calls))} change batch(es), "
                  f"Reason {answer.get('Reason', '')[:160]!r}")
        event["PhysicalResourceId"] = answer["PhysicalResourceId"]
        return event, answer, calls, summary

    def ours_create(self, ttl: str | None = None) -> dict:
        key = self._key("ours-create")
        event = h.our_event(self.w.receiver, key, CHILD, self.parent_zone, self.child_zone)
        event["StackId"] = self.stack_id
        event["LogicalResourceId"] = "DevDelegation8F3E2A1B"
        props = event["ResourceProperties"]
        if ttl is None:
            del props["TTL"]  # the resource's default, as the construct sends it when ttl is unset
        else:
            props["TTL"] = ttl
        answer, calls, summary = self._ours(event, key, "ours-create")
        self.check_ours(answer, event, ttl or OUR_DEFAULT_TTL)
        # This provider read the child zone in the child account, and wrote the parent with its own
        # (DNS-account) credentials.
        assert any(c.get("operation") == "GetHostedZone" and c.get("account") == CHILD for c in calls), calls
        assert all(c["account"] == PARENT for c in self.changes(calls)), calls
        event["PhysicalResourceId"] = answer["PhysicalResourceId"]
        self.last = (answer, calls, summary)
        self.note(f"our Create: {answer['Status']}, PhysicalResourceId {answer['PhysicalResourceId']}, "
                  f"action {summary.get('action')}, {len(self.changes(calls))} change batch(es), "
                  f"ChangeId {answer['Data'].get('ChangeId', '')!r}")
        return event

    def ours_request(self, created: dict, request_type: str, ttl: str | None = None) -> tuple[dict, list[dict], dict]:
        """An Update (same properties, as a StackSet update sends to every stack, or a new `ttl`) or a
        Delete of the resource `created` (the event its Create answered)."""
        key = self._key(f"ours-{request_type.lower()}")
        event = dict(created, RequestType=request_type, RequestId=str(uuid.uuid4()),
                     ResponseURL=self.w.receiver.url(key))
        if request_type == "Update":
            event["OldResourceProperties"] = dict(created["ResourceProperties"])
            if ttl is not None:
                event["ResourceProperties"] = dict(created["ResourceProperties"], TTL=ttl)
        answer, calls, summary = self._ours(event, key, f"ours-{request_type.lower()}")
        assert answer["Status"] == "SUCCESS", answer
        assert answer["PhysicalResourceId"] == created["PhysicalResourceId"], answer
        if request_type == "Update":
            self.check_ours(answer, event, event["ResourceProperties"].get("TTL", OUR_DEFAULT_TTL))
        self.note(f"our {request_type}: {answer['Status']}, PhysicalResourceId {answer['PhysicalResourceId']}, "
                  f"action {summary.get('action')}, {len(self.changes(calls))} change batch(es)")
        return answer, calls, summary

    def check_ours(self, answer: dict, event: dict, ttl: str) -> None:
        assert answer["Status"] == "SUCCESS", answer
        assert "Reason" not in answer, answer
        assert answer["PhysicalResourceId"] == f"{self.parent_zone}/{NAME}", answer
        for field in ("RequestId", "StackId", "LogicalResourceId"):
            assert answer[field] == event[field], (field, answer)
        data = answer["Data"]
        assert data["DelegatedName"] == NAME, data
        assert data["ParentHostedZoneId"] == self.parent_zone, data
        assert data["ChildHostedZoneId"] == self.child_zone, data
        assert data["TTL"] == ttl, data
        assert h.norm_ns(data["NameServers"].split(",")) == h.norm_ns(self.child_ns), data


@pytest.fixture
def run(world, binary, cdk_handler, request):
    return Run(world, binary, request.node.name.removeprefix("test_"))


# ---------------------------------------------------------------------------------------------
# The documented order.


def test_migration_in_the_documented_order_never_loses_the_record(run):
    # a. The starting point: CDK's CrossAccountZoneDelegationRecord writes the delegation.
    run.cdk_create()
    before = run.present("a. CDK Create")

    # b. The old resource gets RemovalPolicy.RETAIN (DeletionPolicy/UpdateReplacePolicy: Retain),
    #    deployed. Only resource attributes change, not its properties: CloudFormation updates the
    #    stack's template and sends the handler no event.
    run.no_event("b. Retain on the old resource", "DeletionPolicy is a template-only change")
    run.present("b. Retain on the old resource")

    # c. The new resource is added for the same delegation: it finds the identical record (values
    #    and TTL) and adopts it: SUCCESS, no change batch, the record untouched.
    ours = run.ours_create()
    answer, calls, summary = run.last
    assert summary["action"] == "adopted", summary
    assert run.changes(calls) == [], "adopting an identical record writes nothing"
    assert answer["Data"].get("ChangeId", "") == "", answer
    assert run.present("c. our Create (adopt)") == before, "the adopted record changed"

    # d. The old construct is removed from the template. It is retained, so CloudFormation drops it
    #    from the stack (DELETE_SKIPPED) and sends its handler no Delete.
    run.no_event("d. old resource removed from the template", "retained: CloudFormation sends no Delete")
    assert run.present("d. old resource removed") == before

    # e. Later stack updates reach the new resource only: an Update with the same properties writes
    #    nothing; its Delete removes the record: the delegation is now this provider's.
    answer, calls, summary = run.ours_request(ours, "Update")
    assert summary["action"] == "unchanged" and run.changes(calls) == [], (summary, calls)
    assert answer["Data"].get("ChangeId", "") == "", answer
    assert run.present("e. our Update (no change)") == before
    answer, calls, summary = run.ours_request(ours, "Delete")
    assert summary["action"] == "deleted", summary
    assert len(run.changes(calls)) == 1, calls
    run.absent("e. our Delete")
    assert sorted(r["Type"] for r in run.zone()) == ["NS", "SOA"], "only the apex records are left"


def test_a_differing_ttl_is_adopted_and_converged_without_changing_the_values(run):
    # CDK's default TTL (two days) against a resource that asks for one hour. README: an NS record
    # with the same values is adopted; a record not exactly as desired (values, TTL) is UPSERTed.
    # So the Create adopts the record and rewrites its TTL; the NS values never change.
    run.cdk_create(ttl=CDK_DEFAULT_TTL)
    assert run.present("a. CDK Create (TTL 172800)")["TTL"] == int(CDK_DEFAULT_TTL)
    run.no_event("b. Retain on the old resource", "DeletionPolicy is a template-only change")
    run.present("b. Retain on the old resource")

    ours = run.ours_create(ttl="3600")
    answer, calls, summary = run.last
    assert summary["action"] == "adopted", summary
    writes = run.changes(calls)
    assert len(writes) == 1, "the TTL is converged in one change batch"
    assert answer["Data"]["ChangeId"] != "", answer
    assert answer["Data"]["TTL"] == "3600", answer
    assert run.present("c. our Create (adopt, TTL 3600)")["TTL"] == 3600

    run.no_event("d. old resource removed from the template", "retained: CloudFormation sends no Delete")
    run.present("d. old resource removed")
    answer, calls, summary = run.ours_request(ours, "Update")
    assert summary["action"] == "unchanged" and run.changes(calls) == [], (summary, calls)
    assert run.present("e. our Update (no change)")["TTL"] == 3600
    answer, calls, summary = run.ours_request(ours, "Delete")
    assert summary["action"] == "deleted", summary
    run.absent("e. our Delete")


# ---------------------------------------------------------------------------------------------
# Why the order matters, and going back.


def test_control_without_retain_cdk_delete_removes_the_adopted_record(run):
    # The wrong order: the old resource is removed while its DeletionPolicy is still Delete.
    cdk = run.cdk_create()
    run.present("a. CDK Create")
    ours = run.ours_create()
    assert run.last[2]["action"] == "adopted"
    run.present("c. our Create (adopt)")

    # CloudFormation sends CDK's handler a Delete for the removed resource; the handler deletes the
    # NS record with the values it was given, whoever holds it now.
    run.cdk_request(cdk, "Delete")
    run.absent("CDK Delete without Retain")  # the outage docs/migration.md warns about

    # The provider's next Delete finds nothing and succeeds without a change batch.
    zone_before = run.zone()
    answer, calls, summary = run.ours_request(ours, "Delete")
    assert summary["action"] == "already-absent", summary
    assert run.changes(calls) == [], calls
    assert run.zone() == zone_before, "the provider's Delete changed the parent zone"
    run.absent("our Delete (record already gone)")


def test_after_the_outage_an_update_of_the_new_resource_writes_the_record_back(run):
    # Recovery from the wrong order: the new resource is in the stack, the record is gone. An
    # Update that changes one of its properties (CloudFormation sends none otherwise; the TTL here)
    # converges in place, which writes the record again.
    cdk = run.cdk_create()
    run.present("a. CDK Create")
    ours = run.ours_create()
    run.present("c. our Create (adopt)")
    run.cdk_request(cdk, "Delete")
    run.absent("CDK Delete without Retain")
    answer, calls, summary = run.ours_request(ours, "Update", ttl="86400")
    assert summary["action"] == "updated" and len(run.changes(calls)) == 1, (summary, calls)
    assert answer["Data"]["ChangeId"] != "", answer
    assert run.present("recovery: our Update (TTL 86400)")["TTL"] == 86400


def test_a_rolled_back_adoption_removes_the_record_until_the_new_resource_is_deployed_again(run):
    # Step c's deploy fails after the new resource was created (another change in the same
    # deploy failed): CloudFormation's rollback sends the provider a Delete of the new resource,
    # which by then owns the record: it is deleted. Deploying step c again writes it back.
    run.cdk_create()
    run.present("a. CDK Create")
    run.no_event("b. Retain on the old resource", "DeletionPolicy is a template-only change")
    ours = run.ours_create()
    assert run.last[2]["action"] == "adopted"
    run.present("c. our Create (adopt)")
    answer, calls, summary = run.ours_request(ours, "Delete")
    assert summary["action"] == "deleted", summary
    run.absent("rollback of step c: CloudFormation deletes the new resource")

    again = run.ours_create()
    assert run.last[2]["action"] == "created", run.last[2]
    assert again["PhysicalResourceId"] == ours["PhysicalResourceId"]
    run.present("c. deployed again: our Create writes the record")


def test_other_values_are_not_adopted_and_the_failed_step_changes_nothing(run):
    # The old resource wrote other name servers than the child zone's (it was given another zone's,
    # or the zone was re-created since). The new resource does not adopt them: its Create fails
    # (OnConflict=fail, the default) without a change, the deploy rolls back, and the rollback's
    # Delete of the failed Create's marker ID touches nothing. The record stays as CDK wrote it.
    stale = ["ns-1.awsdns-01.org", "ns-2.awsdns-02.net", "ns-3.awsdns-03.com", "ns-4.awsdns-04.co.uk"]
    assert h.norm_ns(stale) != h.norm_ns(run.child_ns)
    run.cdk_create(name_servers=stale)
    before = run.present("a. CDK Create (other name servers)")
    run.no_event("b. Retain on the old resource", "DeletionPolicy is a template-only change")
    event, answer, calls, _ = run.ours_create_refused()
    assert run.changes(calls) == [], calls
    assert "OnConflict" in answer["Reason"], answer
    assert run.present("c. our Create (FAILED: other values)") == before
    zone_before = run.zone()
    answer, calls, summary = run.ours_request(event, "Delete")
    assert summary["action"] == "nothing-to-delete", summary
    assert [c for c in calls if c.get("service") == "route53"] == [], calls
    assert run.zone() == zone_before
    assert run.present("rollback of step c: Delete of the failed Create's ID") == before


def test_back_out_before_the_old_resource_is_removed(run):
    # Going back after step c: the mirror image. Retain the new resource, remove it (no event
    # either time), and the old, retained resource is again the record's only declared owner.
    cdk = run.cdk_create()
    run.present("a. CDK Create")
    run.no_event("b. Retain on the old resource", "DeletionPolicy is a template-only change")
    run.ours_create()
    run.present("c. our Create (adopt)")
    run.no_event("back out 1: Retain on the new resource", "DeletionPolicy is a template-only change")
    run.present("back out 1")
    run.no_event("back out 2: new resource removed", "retained: CloudFormation sends no Delete")
    run.present("back out 2")
    run.no_event("back out 3: the old resource's Retain dropped", "DeletionPolicy is a template-only change")
    run.present("back out 3")
    # The old resource owns it again: an Update of it (its TTL here) is CDK's UPSERT, and removing it
    # now sends CDK's handler the Delete that removes the record.
    cdk = run.cdk_request(cdk, "Update", ttl="86400")
    assert run.present("old resource updated by CDK (TTL 86400)")["TTL"] == 86400
    run.cdk_request(cdk, "Delete")
    run.absent("old resource removed (DeletionPolicy Delete)")


def test_back_out_after_the_migration(run):
    # Going back after step d: retain the new resource, add a CrossAccountZoneDelegationRecord again
    # (CDK's UPSERT writes the same values over the record), remove the new resource (no event).
    run.cdk_create()
    run.present("a. CDK Create")
    run.no_event("b. Retain on the old resource", "DeletionPolicy is a template-only change")
    run.ours_create()
    run.present("c. our Create (adopt)")
    run.no_event("d. old resource removed from the template", "retained: CloudFormation sends no Delete")
    run.present("d. old resource removed")
    run.no_event("back 1: Retain on the new resource", "DeletionPolicy is a template-only change")
    run.present("back 1")
    run.cdk_create()
    run.present("back 2: a new CrossAccountZoneDelegationRecord (CDK Create, UPSERT)")
    run.no_event("back 3: new resource removed", "retained: CloudFormation sends no Delete")
    run.present("back 3")
