//! The handler rules (docs/design.md, "Lifecycle" and "Who may ask"), each run through the real
//! CloudFormation runner over the in-memory AWS of `subdomain_delegation::testkit`, with request
//! verification on: every test takes a few milliseconds and needs no emulator.

use crate::support::answers::{
    answers_to, assert_failed, marker, reason, refusal, responder, run_batch, sqs_event,
};
use crate::support::{
    CHILD_ACCOUNT, Driver, OTHER_ACCOUNT, PARENT_ACCOUNT, Rec, Receiver, TEST_POLICY, fqdn_sorted,
    role_arn, test_config,
};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use subdomain_delegation::cfn::runner::Provider;
use subdomain_delegation::config::Config;
use subdomain_delegation::domain::authority::Policy;
use subdomain_delegation::domain::discovery::ParentScope;
use subdomain_delegation::ports::{AdapterError, ErrorKind};
use subdomain_delegation::testkit::{Call, Memory, Op};
use tokio::time::Instant;

/// The provider's own account, which holds the parent zone (the DNS account).
const DNS: &str = PARENT_ACCOUNT;
const CHILD: &str = CHILD_ACCOUNT;
const OTHER: &str = OTHER_ACCOUNT;
const EXTERNAL_ID: &str = "delegation-ext-id";
const CUSTOM: &str = "Custom::SubdomainDelegation";
/// Account 222222222222 is allotted dev.example.com; every account its own `{account}` names.
const POLICY: &str = r#"{"allow":[{"accounts":["222222222222"],"names":["dev.example.com"]},
  {"accounts":["*"],"names":["{account}.accounts.example.com","*.{account}.accounts.example.com"]}]}"#;
const DS_A: &str = "12345 13 2 4B7E3A2C1D0F9E8D7C6B5A49382716050F1E2D3C4B5A69788796A5B4C3D2E1F0";
const DS_B: &str = "54321 13 2 0F1E2D3C4B5A69788796A5B4C3D2E1F04B7E3A2C1D0F9E8D7C6B5A4938271605";

fn config(policy: Option<&str>) -> Config {
    Config {
        policy: policy.map(|p| Policy::parse(p).unwrap()),
        skip_request_verification: false,
        ..test_config()
    }
}

/// `example.com` in the DNS account, `dev.example.com` in the child account, reader roles in the
/// child and the other account, and a stack `dev-dns` in the child account.
struct Fx {
    aws: Memory,
    provider: Provider<Memory>,
    receiver: Receiver,
    parent: String,
    child: String,
    driver: Driver,
    door: Door,
    /// The parent zone of a mixed batch's unrelated requests.
    unrelated_parent: String,
    /// Whether the policy lets the unrelated requests succeed.
    unrelated_allowed: bool,
}

async fn fixture(door: Door) -> Fx {
    fixture_with(config(Some(TEST_POLICY)), door).await
}

async fn fixture_with(mut config: Config, door: Door) -> Fx {
    let aws = Memory::new(DNS);
    let parent = aws.add_zone(DNS, "example.com");
    let child = aws.add_zone(CHILD, "dev.example.com");
    for account in [CHILD, OTHER, UNRELATED] {
        aws.allow_role(&role_arn(account), Some(EXTERNAL_ID));
    }
    let unrelated_parent =
        aws.add_zone(UNRELATED_DNS, &format!("{UNRELATED}.accounts.example.com"));
    aws.allow_role(&unrelated_writer(), None);
    if door == Door::Mixed {
        config.parent_roles.push(unrelated_writer());
    }
    // Without a policy only the provider's own zones are delegated: the unrelated ones are refused.
    let unrelated_allowed = config.policy.is_some();
    let receiver = Receiver::start().await;
    let provider = Provider::new(aws.clone(), config, responder());
    let driver = Driver::new(CHILD, "dev-dns", "Delegation", &receiver);
    Fx {
        aws,
        provider,
        receiver,
        parent,
        child,
        driver,
        door,
        unrelated_parent,
        unrelated_allowed,
    }
}

/// The three doors a request can come through; every rule gives the same answer through each
/// (docs/design.md, "Pipeline").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Door {
    /// One Lambda event, the direct runner.
    Direct,
    /// An SQS event of that one request, the queue runner.
    BatchOfOne,
    /// An SQS event of that request among unrelated ones, in another parent zone.
    Mixed,
}

/// A mixed batch's unrelated requests: zones of this account, under a parent zone of
/// `UNRELATED_DNS` written through that account's role, so that none of their calls is in the
/// accounts the rules look at (but for the provider's own GetCallerIdentity).
const UNRELATED: &str = "444444444444";
const UNRELATED_DNS: &str = "555555555555";
/// How many unrelated requests come before and after the rule's request in a mixed batch.
const UNRELATED_AROUND: usize = 2;

fn unrelated_writer() -> String {
    format!("arn:aws:iam::{UNRELATED_DNS}:role/DelegationWriter")
}

impl Fx {
    /// The usual properties: the child zone read through the child account's reader role.
    fn props(&self) -> Value {
        self.props_for(&self.child, CHILD)
    }

    fn props_for(&self, zone: &str, account: &str) -> Value {
        json!({
            "ParentHostedZoneId": self.parent,
            "ChildHostedZoneId": zone,
            "ChildRoleArn": role_arn(account),
            "ChildExternalId": EXTERNAL_ID,
        })
    }

    fn id(&self, name: &str) -> String {
        format!("{}/{name}", self.parent)
    }

    /// The NS record set a delegation of `name` to `zone` writes.
    fn ns(&self, name: &str, zone: &str, ttl: i64) -> Rec {
        let values = fqdn_sorted(&self.aws.name_servers(zone));
        (format!("{name}."), "NS".into(), ttl, values)
    }

    fn delegations(&self) -> Vec<Rec> {
        self.aws.below_apex(&self.parent)
    }

    /// Hands the event to the provider as is (a forgery, or CloudFormation mid-cleanup), through
    /// the fixture's door; returns the answer, checking it is the one body PUT for it.
    async fn invoke(&self, event: Value) -> Value {
        if self.door == Door::Direct {
            return self.invoke_directly(event).await;
        }
        let sent = self.receiver.puts().len();
        let (before, after) = match self.door {
            Door::Mixed => (self.unrelated(), self.unrelated()),
            _ => (Vec::new(), Vec::new()),
        };
        let unrelated: Vec<Value> = before.iter().chain(&after).cloned().collect();
        let requests: Vec<Value> = before
            .into_iter()
            .chain(std::iter::once(event))
            .chain(after)
            .collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        let failures = self
            .provider
            .handle_queue(&sqs_event(&requests), deadline, "test-log-stream")
            .await;
        assert!(failures.batch_item_failures.is_empty(), "{failures:?}");
        let puts: Vec<Value> = self.receiver.puts()[sent..]
            .iter()
            .map(|p| p.json())
            .collect();
        assert_eq!(puts.len(), requests.len(), "one PUT per request");
        let theirs = |a: &Value| unrelated.iter().any(|u| u["RequestId"] == a["RequestId"]);
        let status = if self.unrelated_allowed {
            "SUCCESS"
        } else {
            "FAILED"
        };
        for answer in puts.iter().filter(|a| theirs(a)) {
            assert_eq!(answer["Status"], status, "an unrelated request: {answer}");
        }
        let mine: Vec<&Value> = puts.iter().filter(|a| !theirs(a)).collect();
        assert_eq!(mine.len(), 1, "one answer for the rule's request");
        mine[0].clone()
    }

    async fn invoke_directly(&self, event: Value) -> Value {
        let sent = self.receiver.puts().len();
        let deadline = Instant::now() + Duration::from_secs(60);
        let body = self
            .provider
            .handle(event, deadline, "test-log-stream")
            .await;
        let answer: Value = serde_json::from_slice(&body.expect("an answer")).unwrap();
        let puts = self.receiver.puts();
        assert_eq!(puts.len(), sent + 1, "one PUT per request");
        assert_eq!(puts[sent].json(), answer);
        answer
    }

    /// Genuine Creates of new zones of `UNRELATED`, from a stack of that account, in progress.
    fn unrelated(&self) -> Vec<Value> {
        (0..UNRELATED_AROUND)
            .map(|_| {
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                let name = format!("u{n}.{UNRELATED}.accounts.example.com");
                let zone = self.aws.add_zone(UNRELATED, &name);
                let driver = Driver::new(UNRELATED, "unrelated", &format!("U{n}"), &self.receiver);
                let stack = &driver.stack_id;
                let logical = &driver.logical_id;
                self.aws
                    .set_resource(stack, logical, "CREATE_IN_PROGRESS", None, CUSTOM);
                let mut props = self.props_for(&zone, UNRELATED);
                props["ParentHostedZoneId"] = json!(self.unrelated_parent);
                props["ParentRoleArn"] = json!(unrelated_writer());
                driver.create(&props)
            })
            .collect()
    }

    /// The calls made for the rule's request: a mixed batch's unrelated requests act in their own
    /// accounts, and ask who the provider is.
    fn calls(&self) -> Vec<Call> {
        let unrelated = |c: &Call| {
            c.account == UNRELATED
                || c.account == UNRELATED_DNS
                || (self.door == Door::Mixed && c.op == Op::GetCallerIdentity)
        };
        self.aws
            .calls()
            .into_iter()
            .filter(|c| !unrelated(c))
            .collect()
    }

    /// What CloudFormation does: shows the resource in progress (with an event), sends the
    /// request, and records a successful Create's or Update's new state.
    async fn send(&self, event: Value) -> Value {
        let stack = event["StackId"].as_str().unwrap().to_owned();
        let logical = event["LogicalResourceId"].as_str().unwrap().to_owned();
        let rtype = event["ResourceType"].as_str().unwrap().to_owned();
        let kind = event["RequestType"].as_str().unwrap().to_uppercase();
        let physical = event["PhysicalResourceId"].as_str().map(str::to_owned);
        let status = format!("{kind}_IN_PROGRESS");
        let (aws, physical) = (&self.aws, physical.as_deref());
        aws.set_resource(&stack, &logical, &status, physical, &rtype);
        aws.push_event(&stack, &logical, physical, &rtype, &status);
        let answer = self.invoke(event).await;
        if answer["Status"] == "SUCCESS" && kind != "DELETE" {
            let done = format!("{kind}_COMPLETE");
            let id = answer["PhysicalResourceId"].as_str();
            aws.set_resource(&stack, &logical, &done, id, &rtype);
            aws.push_event(&stack, &logical, id, &rtype, &done);
        }
        answer
    }

    /// A Create through CloudFormation that must succeed; returns the ID.
    async fn create(&self, props: &Value) -> String {
        let answer = self.send(self.driver.create(props)).await;
        assert_eq!(answer["Status"], "SUCCESS", "{answer}");
        answer["PhysicalResourceId"].as_str().unwrap().to_owned()
    }

    fn changes(&self) -> usize {
        self.aws.count(Op::ChangeResourceRecordSets, DNS)
    }
}

// Create.

async fn create_writes_ns_with_the_child_name_servers(door: Door) {
    let fx = fixture(door).await;
    let apex = fx.aws.records(&fx.parent);
    let answer = fx.send(fx.driver.create(&fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], fx.id("dev.example.com"));
    assert!(answer.get("Reason").is_none(), "{answer}");
    let ns = fx.aws.name_servers(&fx.child);
    assert_ne!(ns, fx.aws.name_servers(&fx.parent), "zones have their own");
    assert_eq!(
        answer["Data"],
        json!({
            "DelegatedName": "dev.example.com",
            "NameServers": ns.join(","),
            "ParentHostedZoneId": fx.parent,
            "ChildHostedZoneId": fx.child,
            "TTL": "172800",
            "ChangeId": "C000001MEMORY",
            "DsRecord": "",
        })
    );
    assert_eq!(
        fx.delegations(),
        [fx.ns("dev.example.com", &fx.child, 172_800)]
    );
    let mut expected = apex;
    expected.insert(0, fx.ns("dev.example.com", &fx.child, 172_800));
    expected.sort();
    assert_eq!(
        fx.aws.records(&fx.parent),
        expected,
        "the apex is untouched"
    );
    assert_eq!(fx.changes(), 1);
    assert_eq!(
        fx.aws.count(Op::GetHostedZone, CHILD),
        1,
        "read as the child"
    );
    assert_eq!(fx.aws.count(Op::GetChange, DNS), 1, "INSYNC awaited");
}

async fn the_parent_by_name_is_the_one_public_zone_of_that_name(door: Door) {
    let fx = fixture(door).await;
    fx.aws.add_private_zone(DNS, "example.com");
    let mut props = fx.props();
    props.as_object_mut().unwrap().remove("ParentHostedZoneId");
    props["ParentHostedZoneName"] = json!("Example.COM.");
    let answer = fx.send(fx.driver.create(&props)).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], fx.id("dev.example.com"));

    let second = fx.aws.add_zone(DNS, "example.com");
    let event = fx.driver.create(&props);
    let answer = fx.send(event.clone()).await;
    assert_failed(&answer, "2 public hosted zones are named example.com");
    assert!(reason(&answer).contains(&second), "{answer}");
    assert_eq!(answer["PhysicalResourceId"], marker(&event));
    assert_eq!(fx.changes(), 1, "only the first Create wrote");
    assert!(fx.aws.below_apex(&second).is_empty());
}

/// `svc.eng.corp.test` in the child account, its parent left to discovery, under a policy that
/// lets the child account delegate below corp.test.
async fn discovery_fixture(door: Door, scope: &str) -> (Fx, String, Value) {
    let policy = r#"{"allow":[{"accounts":["222222222222"],"names":["*.corp.test"]},
      {"accounts":["*"],"names":["*.{account}.accounts.example.com"]}]}"#;
    let config = Config {
        parent_scope: ParentScope::parse(Some(scope)).unwrap(),
        ..config(Some(policy))
    };
    let fx = fixture_with(config, door).await;
    let corp = fx.aws.add_zone(DNS, "corp.test");
    let child = fx.aws.add_zone(CHILD, "svc.eng.corp.test");
    let mut props = fx.props_for(&child, CHILD);
    props.as_object_mut().unwrap().remove("ParentHostedZoneId");
    (fx, corp, props)
}

async fn a_parent_not_named_is_the_longest_writable_suffix_zone(door: Door) {
    let (fx, corp, props) = discovery_fixture(door, "*").await;
    let eng = fx.aws.add_zone(DNS, "eng.corp.test");
    fx.aws.add_private_zone(DNS, "eng.corp.test");
    let answer = fx.send(fx.driver.create(&props)).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(
        answer["PhysicalResourceId"],
        format!("{eng}/svc.eng.corp.test")
    );
    assert_eq!(answer["Data"]["ParentHostedZoneId"], json!(eng));
    assert_eq!(
        fx.aws.below_apex(&eng).len(),
        1,
        "delegated in eng.corp.test"
    );
    assert!(fx.aws.below_apex(&corp).is_empty(), "not in corp.test");
    assert_eq!(
        fx.aws.count(Op::ListHostedZonesByName, DNS),
        1,
        "found at the first, longest name"
    );
    // The Delete finds the zone in the ID, as for a named parent.
    let id = answer["PhysicalResourceId"].as_str().unwrap();
    let deleted = fx.send(fx.driver.delete(id, &props)).await;
    assert_eq!(deleted["Status"], "SUCCESS", "{deleted}");
    assert!(fx.aws.below_apex(&eng).is_empty());
}

async fn without_a_writable_suffix_zone_discovery_fails_saying_what_it_searched(door: Door) {
    // corp.test exists but is not among the zones the provider may write.
    let (fx, _, props) = discovery_fixture(door, "Z0OTHERZONE").await;
    let event = fx.driver.create(&props);
    let answer = fx.send(event.clone()).await;
    assert_failed(
        &answer,
        "no parent zone found for svc.eng.corp.test: searched eng.corp.test, corp.test, test among the public zones the provider may write (ParentHostedZoneIds: Z0OTHERZONE)",
    );
    assert_eq!(answer["PhysicalResourceId"], marker(&event));
    assert_eq!(fx.changes(), 0);
}

async fn two_public_zones_of_the_found_name_fail_naming_both(door: Door) {
    let (fx, corp, props) = discovery_fixture(door, "*").await;
    let second = fx.aws.add_zone(DNS, "corp.test");
    let answer = fx.send(fx.driver.create(&props)).await;
    assert_failed(&answer, "2 public hosted zones are named corp.test");
    assert!(
        reason(&answer).contains(&corp) && reason(&answer).contains(&second),
        "{answer}"
    );
    assert_eq!(fx.changes(), 0);
}

async fn an_update_that_now_finds_another_parent_is_a_replacement(door: Door) {
    let (fx, corp, props) = discovery_fixture(door, "*").await;
    let old_id = fx.create(&props).await;
    assert_eq!(old_id, format!("{corp}/svc.eng.corp.test"));
    let eng = fx.aws.add_zone(DNS, "eng.corp.test");
    let answer = fx.send(fx.driver.update(&old_id, &props, &props)).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(
        answer["PhysicalResourceId"],
        format!("{eng}/svc.eng.corp.test")
    );
    assert_eq!(
        fx.aws.below_apex(&eng).len(),
        1,
        "written in the parent found now"
    );
    assert_eq!(
        fx.aws.below_apex(&corp).len(),
        1,
        "the old one waits for the cleanup"
    );
}

#[tokio::test]
async fn a_batch_looks_each_candidate_name_up_once() {
    let (fx, corp, _) = discovery_fixture(Door::Direct, "*").await;
    let requests: Vec<Value> = (0..3)
        .map(|i| {
            let mut r = fx.genuine_create(CHILD, &format!("app{i}.corp.test"), &format!("D{i}"));
            r["ResourceProperties"]
                .as_object_mut()
                .unwrap()
                .remove("ParentHostedZoneId");
            r
        })
        .collect();
    let answers = fx.batch(&requests).await;
    for answer in &answers {
        assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    }
    assert_eq!(fx.aws.below_apex(&corp).len(), 3);
    assert_eq!(fx.aws.count(Op::ListHostedZonesByName, DNS), 1);
}

async fn an_identical_record_is_adopted(door: Door) {
    let fx = fixture(door).await;
    let ns = fx.aws.name_servers(&fx.child);
    let mut hand_made: Vec<String> = ns.iter().rev().map(|n| n.to_uppercase()).collect();
    hand_made[0].push('.');
    let values: Vec<&str> = hand_made.iter().map(String::as_str).collect();
    fx.aws
        .put_record(&fx.parent, "dev.example.com", "NS", 300, &values);
    let answer = fx.send(fx.driver.create(&fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], fx.id("dev.example.com"));
    assert_eq!(answer["Data"]["NameServers"], ns.join(","));
    assert_eq!(
        fx.delegations(),
        [fx.ns("dev.example.com", &fx.child, 172_800)],
        "adopted and converged to the desired TTL"
    );
}

async fn a_redelivered_create_gives_the_same_answer(door: Door) {
    let fx = fixture(door).await;
    let event = fx.driver.create(&fx.props());
    let mut first = fx.send(event.clone()).await;
    let mut second = fx.send(event).await;
    assert_eq!(second["Status"], "SUCCESS", "{second}");
    // The record is already as desired: the redelivery writes nothing and waits for nothing, so
    // it has no change ID; the rest of the answer is the same.
    assert_eq!(first["Data"]["ChangeId"], "C000001MEMORY");
    assert_eq!(second["Data"]["ChangeId"], "");
    assert_eq!(fx.aws.count(Op::ChangeResourceRecordSets, DNS), 1);
    assert_eq!(fx.aws.count(Op::GetChange, DNS), 1);
    first["Data"]["ChangeId"].take();
    second["Data"]["ChangeId"].take();
    assert_eq!(first, second);
    assert_eq!(
        fx.delegations(),
        [fx.ns("dev.example.com", &fx.child, 172_800)]
    );
}

async fn another_delegation_at_the_name_fails_and_is_left_untouched(door: Door) {
    let fx = fixture(door).await;
    fx.aws.put_record(
        &fx.parent,
        "dev.example.com",
        "NS",
        300,
        &["ns1.elsewhere.org."],
    );
    let before = fx.aws.records(&fx.parent);
    let event = fx.driver.create(&fx.props());
    let answer = fx.send(event.clone()).await;
    assert_failed(
        &answer,
        "the parent zone already has NS records at dev.example.com with other values (ns1.elsewhere.org.); it was left untouched. Remove them, or set OnConflict to replace",
    );
    assert_eq!(answer["PhysicalResourceId"], marker(&event));
    assert_eq!(fx.aws.records(&fx.parent), before);
    assert_eq!(fx.changes(), 0);
}

async fn on_conflict_replace_overwrites_another_delegation(door: Door) {
    let fx = fixture(door).await;
    fx.aws.put_record(
        &fx.parent,
        "dev.example.com",
        "NS",
        300,
        &["ns1.elsewhere.org."],
    );
    let mut props = fx.props();
    props["OnConflict"] = json!("replace");
    let answer = fx.send(fx.driver.create(&props)).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], fx.id("dev.example.com"));
    assert_eq!(
        fx.delegations(),
        [fx.ns("dev.example.com", &fx.child, 172_800)]
    );
    assert_eq!(fx.changes(), 1);
}

async fn records_the_delegation_would_hide_are_refused_unless_allowed(door: Door) {
    let fx = fixture(door).await;
    fx.aws
        .put_record(&fx.parent, "www.dev.example.com", "A", 300, &["192.0.2.1"]);
    fx.aws
        .put_record(&fx.parent, "dev.example.com", "TXT", 300, &["\"v=1\""]);
    let before = fx.aws.records(&fx.parent);
    let answer = fx.send(fx.driver.create(&fx.props())).await;
    assert_failed(
        &answer,
        "the parent zone holds records at or below dev.example.com that the delegation would hide: ",
    );
    assert!(
        reason(&answer).contains("www.dev.example.com A"),
        "{answer}"
    );
    assert!(reason(&answer).contains("dev.example.com TXT"), "{answer}");
    assert!(
        reason(&answer).contains("or set AllowOccludedRecords to true"),
        "{answer}"
    );
    assert_eq!(fx.aws.records(&fx.parent), before);
    assert_eq!(fx.changes(), 0);

    let mut props = fx.props();
    props["AllowOccludedRecords"] = json!("true");
    let answer = fx.send(fx.driver.create(&props)).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let mut expected = before;
    expected.push(fx.ns("dev.example.com", &fx.child, 172_800));
    expected.sort();
    assert_eq!(fx.aws.records(&fx.parent), expected, "written beside them");
}

/// A Create for a child zone named `name` in the child account, with a policy that allots the
/// child account every name: only the name rules can refuse it.
async fn create_for_child_named(door: Door, name: &str) -> (Fx, Value, Value) {
    let permissive = r#"{"allow":[{"accounts":["*"],"names":["example.com","*.example.com","badexample.com"]}]}"#;
    let fx = fixture_with(config(Some(permissive)), door).await;
    let zone = fx.aws.add_zone(CHILD, name);
    let event = fx.driver.create(&fx.props_for(&zone, CHILD));
    let answer = fx.send(event.clone()).await;
    (fx, event, answer)
}

async fn the_parent_apex_is_never_delegated(door: Door) {
    let (fx, event, answer) = create_for_child_named(door, "example.com").await;
    assert_failed(
        &answer,
        "the delegated name example.com is the parent zone's own name; the provider never touches a zone apex",
    );
    assert_eq!(answer["PhysicalResourceId"], marker(&event));
    assert_eq!(fx.aws.count(Op::ListResourceRecordSets, DNS), 0);
    assert_eq!(fx.changes(), 0);
}

async fn a_name_not_below_the_parent_by_labels_is_refused(door: Door) {
    let (fx, event, answer) = create_for_child_named(door, "badexample.com").await;
    assert_failed(
        &answer,
        "the delegated name badexample.com is not below the parent zone example.com",
    );
    assert_eq!(answer["PhysicalResourceId"], marker(&event));
    assert_eq!(fx.aws.count(Op::ListResourceRecordSets, DNS), 0);
    assert_eq!(fx.changes(), 0);
}

async fn a_delegated_name_other_than_the_child_zones_is_refused(door: Door) {
    let fx = fixture(door).await;
    let mut props = fx.props();
    props["DelegatedName"] = json!("test.example.com");
    let event = fx.driver.create(&props);
    let answer = fx.send(event.clone()).await;
    assert_failed(
        &answer,
        &format!(
            "DelegatedName is test.example.com but the child zone {} is dev.example.com; fix ChildHostedZoneId or DelegatedName",
            fx.child
        ),
    );
    assert_eq!(answer["PhysicalResourceId"], marker(&event));
    assert_eq!(fx.changes(), 0);
}

async fn private_zones_are_refused_on_either_side(door: Door) {
    let fx = fixture(door).await;
    let private_child = fx.aws.add_private_zone(CHILD, "intra.example.com");
    let answer = fx
        .send(fx.driver.create(&fx.props_for(&private_child, CHILD)))
        .await;
    assert_failed(
        &answer,
        &format!(
            "the child zone {private_child} (intra.example.com) is a private hosted zone; delegate to a public hosted zone"
        ),
    );
    let private_parent = fx.aws.add_private_zone(DNS, "example.com");
    let mut props = fx.props();
    props["ParentHostedZoneId"] = json!(private_parent);
    let answer = fx.send(fx.driver.create(&props)).await;
    assert_failed(
        &answer,
        &format!(
            "the parent zone {private_parent} (example.com) is a private hosted zone; delegations need a public parent zone"
        ),
    );
    assert_eq!(fx.changes(), 0);
    assert!(fx.delegations().is_empty());
}

// Delete.

async fn delete_removes_the_record_with_its_live_ttl(door: Door) {
    let fx = fixture(door).await;
    let apex = fx.aws.records(&fx.parent);
    let id = fx.create(&fx.props()).await;
    let ns = fx.aws.name_servers(&fx.child);
    let values: Vec<&str> = ns.iter().map(String::as_str).collect();
    fx.aws
        .put_record(&fx.parent, "dev.example.com", "NS", 60, &values);
    fx.aws.clear_calls();
    let answer = fx.send(fx.driver.delete(&id, &fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id);
    assert!(answer.get("Data").is_none(), "{answer}");
    assert_eq!(fx.aws.records(&fx.parent), apex, "only the apex is left");
    assert_eq!(fx.changes(), 1);
}

async fn a_foreign_record_is_left_in_place_on_delete(door: Door) {
    let fx = fixture(door).await;
    fx.aws.put_record(
        &fx.parent,
        "dev.example.com",
        "NS",
        300,
        &["ns1.elsewhere.org."],
    );
    let before = fx.aws.records(&fx.parent);
    let id = fx.id("dev.example.com");
    let answer = fx.send(fx.driver.delete(&id, &fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id);
    assert_eq!(fx.aws.records(&fx.parent), before);
    assert_eq!(fx.changes(), 0);
}

async fn deleting_an_id_never_written_makes_no_call(door: Door) {
    let fx = fixture(door).await;
    for id in [
        "failed-create:5b0c7e2a-1111-4222-a333-444455556666",
        "dev-dns-Delegation-1A2B3C4D5E6F",
        "Z001MEMORY/Dev.Example.com.",
    ] {
        let answer = fx.send(fx.driver.delete(id, &json!({}))).await;
        assert_eq!(answer["Status"], "SUCCESS", "{answer}");
        assert_eq!(answer["PhysicalResourceId"], id);
    }
    assert_eq!(fx.calls(), [], "no AWS call at all");
}

async fn deleting_an_absent_record_succeeds(door: Door) {
    let fx = fixture(door).await;
    let id = fx.id("dev.example.com");
    let answer = fx.send(fx.driver.delete(&id, &fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id);
    assert_eq!(fx.aws.count(Op::ListResourceRecordSets, DNS), 1);
    assert_eq!(fx.changes(), 0);

    // A parent zone that is gone: nothing to delete either.
    let gone = "ZGONE/dev.example.com";
    let answer = fx.send(fx.driver.delete(gone, &fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], gone);
    assert_eq!(fx.changes(), 0);
}

async fn a_delete_racing_a_hand_edit_reads_again_and_deletes(door: Door) {
    let fx = fixture(door).await;
    let id = fx.create(&fx.props()).await;
    let ns = fx.aws.name_servers(&fx.child);
    let values: Vec<&str> = ns.iter().map(String::as_str).collect();
    // Between the provider's read and its DELETE, someone lowers the TTL.
    fx.aws
        .edit_before_next_change(&fx.parent, "dev.example.com", "NS", 60, &values);
    fx.aws.clear_calls();
    let answer = fx.send(fx.driver.delete(&id, &fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(fx.changes(), 2, "the stale DELETE, then the re-planned one");
    assert_eq!(fx.aws.count(Op::ListResourceRecordSets, DNS), 2);
    assert!(fx.delegations().is_empty());
}

async fn a_delete_that_keeps_conflicting_fails_after_three_attempts(door: Door) {
    let fx = fixture(door).await;
    let id = fx.create(&fx.props()).await;
    let stale = "ChangeResourceRecordSets: InvalidChangeBatch: [Tried to delete resource record set [name='dev.example.com.', type='NS'] but the values provided do not match the current values]";
    fx.aws.fail_next(
        Op::ChangeResourceRecordSets,
        DNS,
        3,
        AdapterError::new(ErrorKind::Stale, "", stale),
    );
    fx.aws.clear_calls();
    let answer = fx.send(fx.driver.delete(&id, &fx.props())).await;
    assert_failed(&answer, "values provided do not match the current values");
    assert!(reason(&answer).starts_with("Delete failed: "), "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id);
    assert_eq!(fx.changes(), 3);
    assert_eq!(fx.aws.count(Op::ListResourceRecordSets, DNS), 3);
    assert_eq!(
        fx.delegations(),
        [fx.ns("dev.example.com", &fx.child, 172_800)]
    );
}

// Update.

async fn an_update_of_the_same_identity_converges_in_place(door: Door) {
    let fx = fixture(door).await;
    let id = fx.create(&fx.props()).await;
    let mut props = fx.props();
    props["TTL"] = json!("300");
    let answer = fx.send(fx.driver.update(&id, &props, &fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id);
    assert_eq!(answer["Data"]["TTL"], "300");
    assert_eq!(fx.delegations(), [fx.ns("dev.example.com", &fx.child, 300)]);
}

/// A second child zone, `test.example.com`, and the properties that move the delegation to it.
fn moved(fx: &Fx) -> (String, Value) {
    let zone = fx.aws.add_zone(CHILD, "test.example.com");
    let props = fx.props_for(&zone, CHILD);
    (zone, props)
}

async fn a_replacing_update_answers_the_new_id_and_cleanup_deletes_the_old(door: Door) {
    let fx = fixture(door).await;
    let old_id = fx.create(&fx.props()).await;
    let (test_zone, new_props) = moved(&fx);
    let answer = fx
        .send(fx.driver.update(&old_id, &new_props, &fx.props()))
        .await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let new_id = fx.id("test.example.com");
    assert_eq!(answer["PhysicalResourceId"], new_id);
    let both = vec![
        fx.ns("dev.example.com", &fx.child, 172_800),
        fx.ns("test.example.com", &test_zone, 172_800),
    ];
    assert_eq!(fx.delegations(), both, "both until the cleanup");

    // CloudFormation's cleanup: the resource shows the new ID, the stack is cleaning up, and
    // the events (newest first, 2 to a page, others' newer) show the old ID on this resource.
    let stack = &fx.driver.stack_id;
    fx.aws
        .set_stack_status(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS");
    fx.aws.push_event(
        stack,
        "Delegation",
        Some(&old_id),
        CUSTOM,
        "DELETE_IN_PROGRESS",
    );
    for n in 0..5 {
        let bucket = format!("bucket-{n}");
        let status = "DELETE_COMPLETE";
        fx.aws
            .push_event(stack, "Bucket", Some(&bucket), "AWS::S3::Bucket", status);
    }
    fx.aws.set_event_page_size(2);
    fx.aws.clear_calls();
    let answer = fx.invoke(fx.driver.delete(&old_id, &fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], old_id);
    assert_eq!(fx.aws.count(Op::DescribeStacks, CHILD), 1);
    assert_eq!(fx.aws.count(Op::DescribeStackEvents, CHILD), 3);
    assert_eq!(fx.delegations(), both[1..]);
}

async fn a_cleanup_delete_needs_the_cleanup_status_and_the_id_in_the_events(door: Door) {
    let fx = fixture(door).await;
    let old_id = fx.create(&fx.props()).await;
    let (_, new_props) = moved(&fx);
    let answer = fx
        .send(fx.driver.update(&old_id, &new_props, &fx.props()))
        .await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let before = fx.aws.records(&fx.parent);
    let stack = &fx.driver.stack_id;
    fx.aws.set_stack_status(stack, "UPDATE_COMPLETE");
    fx.aws.clear_calls();
    let answer = fx.invoke(fx.driver.delete(&old_id, &fx.props())).await;
    assert_failed(
        &answer,
        "Delegation's current PhysicalResourceId is another one and the stack is UPDATE_COMPLETE, not cleaning up after a replacement",
    );

    // Cleaning up, but the resource never carried this ID.
    fx.aws
        .set_stack_status(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS");
    let never = fx.id("www.example.com");
    let answer = fx.invoke(fx.driver.delete(&never, &fx.props())).await;
    let refused = "the events of the stack's current update (since its latest UPDATE_IN_PROGRESS) never show the request's PhysicalResourceId on Delegation";
    assert_failed(&answer, refused);
    assert_eq!(answer["PhysicalResourceId"], never);

    // The resource carried the ID in an earlier update, whose cleanup is over; a later update
    // is cleaning up now. The historical ID does not pass.
    let (name, _) = stack_parts(stack);
    let stack_type = "AWS::CloudFormation::Stack";
    let history = [
        (
            "Delegation",
            Some(never.as_str()),
            CUSTOM,
            "UPDATE_IN_PROGRESS",
        ),
        (
            &name,
            Some(stack.as_str()),
            stack_type,
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        ),
        (&name, Some(stack.as_str()), stack_type, "UPDATE_COMPLETE"),
        (
            &name,
            Some(stack.as_str()),
            stack_type,
            "UPDATE_IN_PROGRESS",
        ),
        (
            "Bucket",
            Some("bucket"),
            "AWS::S3::Bucket",
            "UPDATE_COMPLETE",
        ),
        (
            &name,
            Some(stack.as_str()),
            stack_type,
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        ),
    ];
    for (logical, id, rtype, status) in history {
        fx.aws.push_event(stack, logical, id, rtype, status);
    }
    let answer = fx.invoke(fx.driver.delete(&never, &fx.props())).await;
    assert_failed(&answer, refused);
    assert_eq!(fx.aws.route53_calls_in(DNS), 0);
    assert_eq!(fx.aws.records(&fx.parent), before);
}

/// The stack name and account of a StackId.
fn stack_parts(stack_id: &str) -> (String, String) {
    let fields: Vec<&str> = stack_id.split(':').collect();
    let name = fields[5].split('/').nth(1).unwrap_or_default();
    (name.to_owned(), fields[4].to_owned())
}

async fn a_replacing_update_whose_insync_wait_fails_answers_the_new_id(door: Door) {
    let fx = fixture(door).await;
    let old_id = fx.create(&fx.props()).await;
    let (test_zone, new_props) = moved(&fx);
    let lost = AdapterError::new(
        ErrorKind::Other,
        "",
        "waiting for change C000002MEMORY: connection reset",
    );
    fx.aws.fail_next(Op::GetChange, DNS, 1, lost);
    let answer = fx
        .send(fx.driver.update(&old_id, &new_props, &fx.props()))
        .await;
    assert_failed(
        &answer,
        "Update failed: waiting for change C000002MEMORY: connection reset",
    );
    assert_eq!(
        answer["PhysicalResourceId"],
        fx.id("test.example.com"),
        "the rollback's cleanup must delete the new record"
    );
    assert!(
        fx.delegations()
            .contains(&fx.ns("test.example.com", &test_zone, 172_800))
    );
}

async fn a_replacing_update_whose_write_times_out_answers_the_new_id(door: Door) {
    let fx = fixture(door).await;
    let old_id = fx.create(&fx.props()).await;
    let (test_zone, new_props) = moved(&fx);
    let timeout = AdapterError::new(
        ErrorKind::Other,
        "",
        "ChangeResourceRecordSets: operation timed out",
    );
    fx.aws
        .fail_next_after_effect(Op::ChangeResourceRecordSets, DNS, 1, timeout);
    let answer = fx
        .send(fx.driver.update(&old_id, &new_props, &fx.props()))
        .await;
    assert_failed(&answer, "operation timed out");
    assert_eq!(answer["PhysicalResourceId"], fx.id("test.example.com"));
    assert!(
        fx.delegations()
            .contains(&fx.ns("test.example.com", &test_zone, 172_800)),
        "Route 53 applied the batch whose answer was lost"
    );
}

async fn a_replacing_update_refused_outright_answers_the_old_id(door: Door) {
    let fx = fixture(door).await;
    let old_id = fx.create(&fx.props()).await;
    let (_, new_props) = moved(&fx);
    fx.aws.fail_next(
        Op::ChangeResourceRecordSets,
        DNS,
        1,
        refusal("[RRSet with DNS name test.example.com., type NS] rejected by Change Guardrail NS_DELEGATION_AUTHORITY_CHECK"),
    );
    let answer = fx
        .send(fx.driver.update(&old_id, &new_props, &fx.props()))
        .await;
    assert_failed(&answer, "NS_DELEGATION_AUTHORITY_CHECK");
    assert_eq!(
        answer["PhysicalResourceId"], old_id,
        "nothing new was written"
    );
    assert_eq!(
        fx.delegations(),
        [fx.ns("dev.example.com", &fx.child, 172_800)]
    );
}

async fn a_create_that_wrote_then_failed_answers_the_real_id_for_the_rollback(door: Door) {
    let fx = fixture(door).await;
    let lost = AdapterError::new(
        ErrorKind::Other,
        "",
        "waiting for change C000001MEMORY: connection reset",
    );
    fx.aws.fail_next(Op::GetChange, DNS, 1, lost);
    let event = fx.driver.create(&fx.props());
    let answer = fx.send(event.clone()).await;
    assert_failed(&answer, "connection reset");
    let id = fx.id("dev.example.com");
    assert_eq!(answer["PhysicalResourceId"], id, "not the marker");
    assert_eq!(fx.delegations().len(), 1);
    // The rollback deletes what the failed Create wrote.
    let answer = fx.send(fx.driver.delete(&id, &fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert!(fx.delegations().is_empty());
}

// Change Guardrails.

async fn a_guardrail_refusal_on_create_answers_the_marker(door: Door) {
    let fx = fixture(door).await;
    fx.aws.fail_next(
        Op::ChangeResourceRecordSets,
        DNS,
        1,
        refusal("ChangeResourceRecordSets: InvalidChangeBatch: [RRSet with DNS name dev.example.com., type NS] rejected by Change Guardrail NS_DELEGATION_AUTHORITY_CHECK"),
    );
    let event = fx.driver.create(&fx.props());
    let answer = fx.send(event.clone()).await;
    assert_failed(
        &answer,
        "Route 53's Change Guardrail NS_DELEGATION_AUTHORITY_CHECK refused the change: the child zone no longer hosts the name",
    );
    assert!(
        reason(&answer).contains("Route 53 said: ChangeResourceRecordSets: InvalidChangeBatch"),
        "{answer}"
    );
    assert_eq!(answer["PhysicalResourceId"], marker(&event));
    assert_eq!(fx.changes(), 1, "a definite refusal is not retried");
    assert!(fx.delegations().is_empty());
}

async fn active_delegation_check_on_delete_keeps_the_record_until_route53_allows_it(door: Door) {
    let fx = fixture(door).await;
    let id = fx.create(&fx.props()).await;
    fx.aws.fail_next(
        Op::ChangeResourceRecordSets,
        DNS,
        1,
        refusal("[RRSet with DNS name dev.example.com., type NS] rejected by Change Guardrail ACTIVE_DELEGATION_CHECK"),
    );
    fx.aws.clear_calls();
    let answer = fx.send(fx.driver.delete(&id, &fx.props())).await;
    assert_failed(
        &answer,
        "Change Guardrail ACTIVE_DELEGATION_CHECK refused the change",
    );
    assert!(
        reason(&answer).contains("move traffic off the child zone first"),
        "{answer}"
    );
    assert!(reason(&answer).contains("DELETE_FAILED"), "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id);
    assert_eq!(fx.changes(), 1, "not retried");
    assert_eq!(fx.delegations().len(), 1, "kept");

    let answer = fx.send(fx.driver.delete(&id, &fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert!(fx.delegations().is_empty());
}

// DNSSEC.

fn ds(name: &str, values: &[&str]) -> Rec {
    let values = values.iter().map(|v| v.to_lowercase()).collect();
    (format!("{name}."), "DS".into(), 172_800, values)
}

async fn a_signing_child_gets_ns_and_ds_and_loses_both_on_delete(door: Door) {
    let fx = fixture(door).await;
    let keys = [("ksk-new", "ACTIVE", DS_A), ("ksk-old", "INACTIVE", DS_B)];
    fx.aws.set_dnssec(&fx.child, "SIGNING", &keys);
    let answer = fx.send(fx.driver.create(&fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["Data"]["DsRecord"], DS_A);
    let ns = fx.ns("dev.example.com", &fx.child, 172_800);
    assert_eq!(fx.delegations(), [ds("dev.example.com", &[DS_A]), ns]);
    assert_eq!(fx.changes(), 1, "NS and DS in one batch");

    let id = answer["PhysicalResourceId"].as_str().unwrap();
    let answer = fx.send(fx.driver.delete(id, &fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert!(fx.delegations().is_empty());
    assert_eq!(fx.changes(), 2, "DS and NS deleted in one batch");
}

async fn dnssec_required_on_a_child_that_does_not_sign_fails(door: Door) {
    let fx = fixture(door).await;
    let mut props = fx.props();
    props["Dnssec"] = json!("required");
    let event = fx.driver.create(&props);
    let answer = fx.send(event.clone()).await;
    assert_failed(
        &answer,
        "Dnssec is required but the child zone is NOT_SIGNING with no key-signing keys",
    );
    assert_eq!(answer["PhysicalResourceId"], marker(&event));
    assert_eq!(fx.changes(), 0);
    assert!(fx.delegations().is_empty());
}

async fn a_stale_ds_is_removed_when_the_child_stops_signing(door: Door) {
    let fx = fixture(door).await;
    fx.aws
        .set_dnssec(&fx.child, "SIGNING", &[("ksk", "ACTIVE", DS_A)]);
    let id = fx.create(&fx.props()).await;
    assert_eq!(fx.delegations().len(), 2);
    fx.aws.set_dnssec(&fx.child, "NOT_SIGNING", &[]);
    let answer = fx
        .send(fx.driver.update(&id, &fx.props(), &fx.props()))
        .await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id);
    assert_eq!(answer["Data"]["DsRecord"], "");
    assert_eq!(
        fx.delegations(),
        [fx.ns("dev.example.com", &fx.child, 172_800)]
    );
}

// Who may ask.

async fn a_child_account_stack_must_read_through_its_own_accounts_role(door: Door) {
    let fx = fixture(door).await;
    let other_zone = fx.aws.add_zone(OTHER, "dev.example.com");
    let answer = fx
        .send(fx.driver.create(&fx.props_for(&other_zone, OTHER)))
        .await;
    assert_failed(
        &answer,
        "a stack in account 222222222222 must read its child zone through ChildRoleArn in its own account",
    );
    assert!(
        reason(&answer).contains("ChildRoleArn is in account 333333333333"),
        "{answer}"
    );
    let mut props = fx.props();
    props.as_object_mut().unwrap().remove("ChildRoleArn");
    props.as_object_mut().unwrap().remove("ChildExternalId");
    let answer = fx.send(fx.driver.create(&props)).await;
    assert_failed(&answer, "ChildRoleArn is not set");
    assert_eq!(fx.aws.count(Op::AssumeRole, OTHER), 0);
    assert_eq!(fx.aws.route53_calls_in(DNS), 0);
    assert_eq!(fx.aws.route53_calls_in(OTHER), 0);
}

async fn the_policy_allots_names_per_zone_account(door: Door) {
    let fx = fixture_with(config(Some(POLICY)), door).await;
    let other_zone = fx.aws.add_zone(OTHER, "dev.example.com");
    let other = Driver::new(OTHER, "b", "Delegation", &fx.receiver);
    let other_props = fx.props_for(&other_zone, OTHER);
    let answer = fx.send(other.create(&other_props)).await;
    assert_failed(
        &answer,
        "account 333333333333 may not delegate dev.example.com: no DELEGATION_POLICY rule allots it to that account (rules for it: 333333333333.accounts.example.com, *.333333333333.accounts.example.com)",
    );
    assert_eq!(fx.aws.route53_calls_in(DNS), 0);

    // The allotted account: its explicit name, and its {account} names.
    let id = fx.create(&fx.props()).await;
    let api = fx
        .aws
        .add_zone(CHILD, "api.222222222222.accounts.example.com");
    fx.create(&fx.props_for(&api, CHILD)).await;
    assert_eq!(fx.delegations().len(), 2);

    // The unallotted account cannot Delete the name either, whatever the ID says.
    let before = fx.aws.records(&fx.parent);
    fx.aws.clear_calls();
    let answer = fx.send(other.delete(&id, &other_props)).await;
    assert_failed(
        &answer,
        "account 333333333333 may not delegate dev.example.com",
    );
    assert_eq!(fx.aws.route53_calls_in(DNS), 0);
    assert_eq!(fx.aws.records(&fx.parent), before);
}

async fn a_dns_account_stack_needs_the_zone_accounts_allotment(door: Door) {
    let fx = fixture_with(config(Some(POLICY)), door).await;
    let central = Driver::new(DNS, "parent-delegations", "DevDelegation", &fx.receiver);
    let other_zone = fx.aws.add_zone(OTHER, "dev.example.com");
    let answer = fx
        .send(central.create(&fx.props_for(&other_zone, OTHER)))
        .await;
    assert_failed(
        &answer,
        "account 333333333333 may not delegate dev.example.com",
    );
    assert_eq!(fx.aws.route53_calls_in(DNS), 0);

    // The same stack, delegating the account that holds the allotment.
    fx.aws.clear_calls();
    let answer = fx.send(central.create(&fx.props())).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(
        fx.delegations(),
        [fx.ns("dev.example.com", &fx.child, 172_800)]
    );
    // Its own stack is read with the provider's own credentials; the role only reads the zone.
    assert_eq!(fx.aws.count(Op::DescribeStackResource, DNS), 1);
    assert_eq!(fx.aws.count(Op::AssumeRole, CHILD), 1);
}

async fn without_a_policy_only_the_providers_own_zones_are_delegated(door: Door) {
    let fx = fixture_with(config(None), door).await;
    let answer = fx.send(fx.driver.create(&fx.props())).await;
    assert_failed(
        &answer,
        "DELEGATION_POLICY is not set, so only zones in the provider's account 123456789012 may be delegated to",
    );
    assert_eq!(fx.aws.route53_calls_in(DNS), 0);

    let own = fx.aws.add_zone(DNS, "ops.example.com");
    let central = Driver::new(DNS, "dns", "Ops", &fx.receiver);
    let props = json!({"ParentHostedZoneId": fx.parent, "ChildHostedZoneId": own});
    let answer = fx.send(central.create(&props)).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(fx.delegations(), [fx.ns("ops.example.com", &own, 172_800)]);
}

async fn a_borrowed_resource_that_is_not_this_custom_resource_is_refused(door: Door) {
    let fx = fixture(door).await;
    let stack = &fx.driver.stack_id;
    let bucket = "AWS::S3::Bucket";
    fx.aws
        .set_resource(stack, "Delegation", "CREATE_IN_PROGRESS", None, bucket);
    let answer = fx.invoke(fx.driver.create(&fx.props())).await;
    assert_failed(
        &answer,
        "Delegation is a resource of type \"AWS::S3::Bucket\", not the custom resource type \"Custom::SubdomainDelegation\" the request claims",
    );
    // Claiming the bucket's own type does not help: only custom resources ask a provider.
    let mut event = fx.driver.create(&fx.props());
    event["ResourceType"] = json!(bucket);
    let answer = fx.invoke(event).await;
    assert_failed(&answer, "request verification failed: ");
    assert!(reason(&answer).contains("\"AWS::S3::Bucket\""), "{answer}");
    assert_eq!(fx.aws.route53_calls_in(DNS), 0);
    assert!(fx.delegations().is_empty());
}

async fn another_providers_custom_resource_in_progress_is_refused(door: Door) {
    let fx = fixture(door).await;
    let other_type = "Custom::BucketDeployment";
    let stack = &fx.driver.stack_id;
    fx.aws
        .set_resource(stack, "Delegation", "CREATE_IN_PROGRESS", None, other_type);
    let mut event = fx.driver.create(&fx.props());
    event["ResourceType"] = json!(other_type);
    let answer = fx.invoke(event).await;
    assert_failed(&answer, "request verification failed: ");
    assert!(reason(&answer).contains(other_type), "{answer}");
    assert_eq!(fx.aws.route53_calls_in(DNS), 0);
    assert!(fx.delegations().is_empty());
}

async fn a_parent_role_must_be_one_the_configuration_names(door: Door) {
    let writer = format!("arn:aws:iam::{DNS}:role/DnsWriter");
    let fx = fixture(door).await;
    fx.aws.allow_role(&writer, None);
    let mut props = fx.props();
    props["ParentRoleArn"] = json!(writer);
    let answer = fx.send(fx.driver.create(&props)).await;
    // A mixed batch's deployment also names the unrelated requests' role.
    let listed = match door {
        Door::Mixed => unrelated_writer(),
        _ => "none".into(),
    };
    assert_failed(
        &answer,
        &format!(
            "ParentRoleArn {writer} is not a parent role this deployment names (DELEGATION_PARENT_ROLE_ARNS: {listed})"
        ),
    );
    assert_eq!(fx.calls(), [], "refused before any call");

    let configured = Config {
        parent_roles: vec![writer.clone()],
        ..config(Some(TEST_POLICY))
    };
    let fx = fixture_with(configured, door).await;
    fx.aws.allow_role(&writer, None);
    let answer = fx.send(fx.driver.create(&props)).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(fx.aws.count(Op::AssumeRole, DNS), 1, "written through it");
    assert_eq!(fx.delegations().len(), 1);
}

async fn forged_requests_are_refused_and_cost_the_dns_account_nothing(door: Door) {
    let fx = fixture(door).await;
    let id = fx.create(&fx.props()).await;
    let before = fx.aws.records(&fx.parent);
    fx.aws.clear_calls();
    let props = fx.props();
    let elsewhere = Driver::new(CHILD, "no-such-stack", "Delegation", &fx.receiver);
    let mut other_region = fx.driver.create(&props);
    let region_id = fx.driver.stack_id.replace("us-east-1", "eu-west-1");
    other_region["StackId"] = json!(region_id);
    let mut not_an_arn = fx.driver.create(&props);
    not_an_arn["StackId"] = json!("dev-dns");
    let cases = [
        // The resource is CREATE_COMPLETE: nothing is in progress.
        (
            fx.driver.delete(&id, &props),
            "Delegation is CREATE_COMPLETE with PhysicalResourceId",
        ),
        (
            fx.driver.update(&id, &props, &props),
            "not UPDATE_IN_PROGRESS with the request's PhysicalResourceId",
        ),
        (fx.driver.create(&props), "Delegation is CREATE_COMPLETE"),
        (
            elsewhere.create(&props),
            "Stack with id arn:aws:cloudformation:us-east-1:222222222222:stack/no-such-stack/",
        ),
        (
            other_region,
            "could not confirm with CloudFormation in account 222222222222 (eu-west-1)",
        ),
        (
            not_an_arn,
            "the request's StackId \"dev-dns\" is not a CloudFormation stack ARN",
        ),
    ];
    for (event, needle) in cases {
        let expected_id = match event["RequestType"].as_str() {
            Some("Create") => marker(&event),
            _ => id.clone(),
        };
        let answer = fx.invoke(event).await;
        assert_failed(&answer, needle);
        assert_eq!(answer["PhysicalResourceId"], expected_id);
    }
    assert_eq!(fx.aws.route53_calls_in(DNS), 0);
    assert_eq!(fx.aws.records(&fx.parent), before);
}

async fn a_reader_role_that_cannot_be_assumed_fails_without_echoing_the_external_id(door: Door) {
    let fx = fixture(door).await;
    let mut props = fx.props();
    props["ChildExternalId"] = json!("guessed-external-id");
    let event = fx.driver.create(&props);
    let answer = fx.send(event.clone()).await;
    assert_failed(
        &answer,
        "could not confirm with CloudFormation in account 222222222222 (us-east-1) that stack dev-dns is running this request: could not assume role arn:aws:iam::222222222222:role/SubdomainDelegationReader",
    );
    assert!(!reason(&answer).contains("guessed-external-id"), "{answer}");
    assert_eq!(answer["PhysicalResourceId"], marker(&event));
    assert_eq!(fx.aws.route53_calls_in(DNS), 0);
    assert_eq!(fx.aws.route53_calls_in(CHILD), 0);
}

impl Fx {
    /// A Create of a new zone `name` of `account`, from its own resource in progress in a stack
    /// of that account.
    fn genuine_create(&self, account: &str, name: &str, logical: &str) -> Value {
        let zone = self.aws.add_zone(account, name);
        let driver = Driver::new(account, "batch", logical, &self.receiver);
        let stack = &driver.stack_id;
        self.aws
            .set_resource(stack, logical, "CREATE_IN_PROGRESS", None, CUSTOM);
        driver.create(&self.props_for(&zone, account))
    }

    /// Hands an SQS batch to the provider; returns the answers PUT, in the order sent.
    async fn batch(&self, requests: &[Value]) -> Vec<Value> {
        run_batch(&self.provider, &self.receiver, requests).await
    }

    fn answers_to(&self, requests: &[Value]) -> Vec<Value> {
        answers_to(&self.receiver, requests)
    }
}

#[tokio::test]
async fn a_batch_member_with_a_wrong_parent_external_id_fails_alone() {
    let writer = format!("arn:aws:iam::{DNS}:role/DelegationWriter");
    let fx = fixture_with(
        Config {
            parent_roles: vec![writer.clone()],
            ..config(Some(POLICY))
        },
        Door::Direct,
    )
    .await;
    fx.aws.allow_role(&writer, Some("writer-secret"));
    let request = |i: usize, external_id: &str| {
        let name = format!("app{i}.{CHILD}.accounts.example.com");
        let mut r = fx.genuine_create(CHILD, &name, &format!("D{i}"));
        r["ResourceProperties"]["ParentRoleArn"] = json!(writer);
        r["ResourceProperties"]["ParentExternalId"] = json!(external_id);
        r
    };
    // The wrong ExternalId first, then last: never another member's session, never theirs.
    for wrong_at in [0, 2] {
        let requests: Vec<Value> = (0..3)
            .map(|i| {
                let secret = if i == wrong_at {
                    "guessed"
                } else {
                    "writer-secret"
                };
                request(wrong_at * 10 + i, secret)
            })
            .collect();
        let answers = fx.batch(&requests).await;
        for (i, answer) in answers.iter().enumerate() {
            if i == wrong_at {
                assert_failed(answer, &format!("could not assume role {writer}"));
            } else {
                assert_eq!(answer["Status"], "SUCCESS", "{answer}");
            }
        }
    }
    assert_eq!(fx.delegations().len(), 4);
}

/// 50 genuine Creates, and as many forged ones naming reader roles that refuse.
async fn genuine_and_refused(fx: &Fx, refused: usize) -> (Vec<Value>, Vec<Value>) {
    let genuine: Vec<Value> = (0..50)
        .map(|i| {
            fx.genuine_create(
                CHILD,
                &format!("g{i}.{CHILD}.accounts.example.com"),
                &format!("G{i}"),
            )
        })
        .collect();
    let forged: Vec<Value> = (0..refused)
        .map(|i| {
            let mut r = fx.genuine_create(
                OTHER,
                &format!("f{i}.{OTHER}.accounts.example.com"),
                &format!("F{i}"),
            );
            r["ResourceProperties"]["ChildExternalId"] = json!("not-the-secret");
            r
        })
        .collect();
    (genuine, forged)
}

/// How long until every genuine request of the batch is answered SUCCESS, and the answers once
/// the whole batch is done.
async fn time_to_genuine_answers(
    fx: &Fx,
    genuine: &[Value],
    all: &[Value],
) -> (Duration, Vec<Value>) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(120);
    let event = sqs_event(all);
    let run = fx
        .provider
        .handle_queue(&event, deadline, "test-log-stream");
    let watch = async {
        loop {
            let ok = fx
                .receiver
                .puts()
                .iter()
                .filter(|p| p.json()["Status"] == "SUCCESS")
                .count();
            if ok == genuine.len() {
                return started.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let (failures, elapsed) = tokio::join!(run, watch);
    assert!(failures.batch_item_failures.is_empty(), "{failures:?}");
    (elapsed, fx.answers_to(all))
}

/// STS's patience with a refusing role in the test below: long enough for several retries (the
/// emulated STS pauses 0.5 s between them), short enough for a plain `cargo test`.
const PATIENCE: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_roles_that_refuse_hold_no_other_request_of_the_batch() {
    // Without them …
    let alone = fixture_with(config(Some(POLICY)), Door::Direct).await;
    let (genuine, _) = genuine_and_refused(&alone, 0).await;
    let (without, _) = time_to_genuine_answers(&alone, &genuine, &genuine).await;
    // … and with 20 forged requests whose reader roles refuse, first in the batch, and STS's
    // patience with a refusing role emulated (shortened from 30 s: the rule is the same).
    let patient = Config {
        assume_role_patience: PATIENCE,
        ..config(Some(POLICY))
    };
    let fx = fixture_with(patient, Door::Direct).await;
    fx.aws.emulate_role_patience();
    let (genuine, forged) = genuine_and_refused(&fx, 20).await;
    let all: Vec<Value> = forged.iter().chain(&genuine).cloned().collect();
    let started = Instant::now();
    let (with, answers) = time_to_genuine_answers(&fx, &genuine, &all).await;
    let whole = started.elapsed();
    println!(
        "50 genuine answered in {without:?} alone, {with:?} beside 20 refusing roles (patience {PATIENCE:?}); the batch took {whole:?}"
    );
    assert!(
        with <= without + PATIENCE / 2,
        "the refusing roles held the genuine requests: {with:?} against {without:?}"
    );
    for answer in &answers[..20] {
        assert_failed(
            answer,
            "could not assume role arn:aws:iam::333333333333:role/",
        );
    }
    assert!(answers[20..].iter().all(|a| a["Status"] == "SUCCESS"));
    assert_eq!(fx.delegations().len(), 50);
    // The refused ones were given the direct mode's patience (tried again, not only once).
    assert!(
        fx.aws.count(Op::AssumeRole, OTHER) > 20 * 3,
        "{}",
        fx.aws.count(Op::AssumeRole, OTHER)
    );
    assert!(whole >= PATIENCE * 4 / 5, "{whole:?}");
}

async fn a_delete_whose_child_zone_is_gone_removes_the_record_at_its_identity(door: Door) {
    let fx = fixture(door).await;
    let id = fx.create(&fx.props()).await;
    // The child account deleted its zone first: the zone cannot be read any more, so the record
    // at the resource's identity is taken as the one this provider wrote.
    let mut gone = fx.props();
    gone["ChildHostedZoneId"] = json!("Z0DELETEDZONE0000000");
    let answer = fx.send(fx.driver.delete(&id, &gone)).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id);
    assert!(fx.delegations().is_empty());
}

/// Runs each rule through the three doors, as three tests (docs/design.md, "Pipeline").
macro_rules! through_every_door {
    ($($rule:ident),* $(,)?) => {$(
        mod $rule {
            use super::Door;
            #[tokio::test]
            async fn direct() {
                super::$rule(Door::Direct).await
            }
            #[tokio::test]
            async fn batch_of_one() {
                super::$rule(Door::BatchOfOne).await
            }
            #[tokio::test]
            async fn mixed_batch() {
                super::$rule(Door::Mixed).await
            }
        }
    )*};
}

through_every_door!(
    create_writes_ns_with_the_child_name_servers,
    the_parent_by_name_is_the_one_public_zone_of_that_name,
    a_parent_not_named_is_the_longest_writable_suffix_zone,
    without_a_writable_suffix_zone_discovery_fails_saying_what_it_searched,
    two_public_zones_of_the_found_name_fail_naming_both,
    an_update_that_now_finds_another_parent_is_a_replacement,
    an_identical_record_is_adopted,
    a_redelivered_create_gives_the_same_answer,
    another_delegation_at_the_name_fails_and_is_left_untouched,
    on_conflict_replace_overwrites_another_delegation,
    records_the_delegation_would_hide_are_refused_unless_allowed,
    the_parent_apex_is_never_delegated,
    a_name_not_below_the_parent_by_labels_is_refused,
    a_delegated_name_other_than_the_child_zones_is_refused,
    private_zones_are_refused_on_either_side,
    delete_removes_the_record_with_its_live_ttl,
    a_foreign_record_is_left_in_place_on_delete,
    deleting_an_id_never_written_makes_no_call,
    deleting_an_absent_record_succeeds,
    a_delete_racing_a_hand_edit_reads_again_and_deletes,
    a_delete_that_keeps_conflicting_fails_after_three_attempts,
    an_update_of_the_same_identity_converges_in_place,
    a_replacing_update_answers_the_new_id_and_cleanup_deletes_the_old,
    a_cleanup_delete_needs_the_cleanup_status_and_the_id_in_the_events,
    a_replacing_update_whose_insync_wait_fails_answers_the_new_id,
    a_replacing_update_whose_write_times_out_answers_the_new_id,
    a_replacing_update_refused_outright_answers_the_old_id,
    a_create_that_wrote_then_failed_answers_the_real_id_for_the_rollback,
    a_guardrail_refusal_on_create_answers_the_marker,
    active_delegation_check_on_delete_keeps_the_record_until_route53_allows_it,
    a_signing_child_gets_ns_and_ds_and_loses_both_on_delete,
    dnssec_required_on_a_child_that_does_not_sign_fails,
    a_stale_ds_is_removed_when_the_child_stops_signing,
    a_child_account_stack_must_read_through_its_own_accounts_role,
    the_policy_allots_names_per_zone_account,
    a_dns_account_stack_needs_the_zone_accounts_allotment,
    without_a_policy_only_the_providers_own_zones_are_delegated,
    a_borrowed_resource_that_is_not_this_custom_resource_is_refused,
    another_providers_custom_resource_in_progress_is_refused,
    a_parent_role_must_be_one_the_configuration_names,
    forged_requests_are_refused_and_cost_the_dns_account_nothing,
    a_reader_role_that_cannot_be_assumed_fails_without_echoing_the_external_id,
    a_delete_whose_child_zone_is_gone_removes_the_record_at_its_identity,
);
