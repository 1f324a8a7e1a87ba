//! The batch rules (docs/design.md, "Batches" and "Lifecycle"), each proved by one whole SQS batch
//! run through the real queue runner (`Provider::handle_queue`) over the in-memory AWS of
//! `subdomain_delegation::testkit`, with request verification on: the answers PUT, the parent
//! zone's records, the calls made and the change batches Route 53 was sent. Milliseconds each, no
//! emulator (the same rules run end to end against moto in `tests/batch.rs`, feature `e2e`).

use crate::support::answers::{assert_failed, marker, reason, refusal, responder, run_batch};
use crate::support::{
    CHILD_ACCOUNT, Driver, OTHER_ACCOUNT, PARENT_ACCOUNT, Rec, Receiver, TEST_POLICY, fqdn_sorted,
    role_arn, test_config,
};
use serde_json::{Value, json};
use subdomain_delegation::cfn::runner::Provider;
use subdomain_delegation::config::Config;
use subdomain_delegation::domain::authority::Policy;
use subdomain_delegation::ports::{AdapterError, ErrorKind};
use subdomain_delegation::testkit::{Memory, Op};

/// The provider's own account, which holds the parent zone (the DNS account).
const DNS: &str = PARENT_ACCOUNT;
const CHILD: &str = CHILD_ACCOUNT;
const OTHER: &str = OTHER_ACCOUNT;
const EXTERNAL_ID: &str = "delegation-ext-id";
const CUSTOM: &str = "Custom::SubdomainDelegation";
/// The TTL a delegation gets unless its properties say otherwise.
const DEFAULT_TTL: i64 = 172_800;
/// What Route 53 says when a DELETE names values someone changed since they were read.
const STALE: &str = "ChangeResourceRecordSets: InvalidChangeBatch: [Tried to delete resource record set [name='s1.example.com.', type='NS'] but the values provided do not match the current values]";

/// `example.com` in the DNS account, reader roles in the child and the other account.
struct Fx {
    aws: Memory,
    provider: Provider<Memory>,
    receiver: Receiver,
    parent: String,
}

/// The fixture, with at most `max_changes_per_batch` Change elements per call
/// (`DELEGATION_MAX_CHANGES_PER_BATCH`).
async fn fixture(max_changes_per_batch: usize) -> Fx {
    let config = Config {
        policy: Some(Policy::parse(TEST_POLICY).unwrap()),
        skip_request_verification: false,
        max_changes_per_batch,
        ..test_config()
    };
    let aws = Memory::new(DNS);
    let parent = aws.add_zone(DNS, "example.com");
    for account in [CHILD, OTHER] {
        aws.allow_role(&role_arn(account), Some(EXTERNAL_ID));
    }
    let receiver = Receiver::start().await;
    let provider = Provider::new(aws.clone(), config, responder());
    Fx {
        aws,
        provider,
        receiver,
        parent,
    }
}

/// The default change budget: Route 53's own limit of 100 Change elements per call.
async fn default_fixture() -> Fx {
    fixture(subdomain_delegation::config::DEFAULT_MAX_CHANGES_PER_BATCH).await
}

impl Fx {
    fn props_for(&self, zone: &str, account: &str) -> Value {
        json!({
            "ParentHostedZoneId": self.parent,
            "ChildHostedZoneId": zone,
            "ChildRoleArn": role_arn(account),
            "ChildExternalId": EXTERNAL_ID,
        })
    }

    /// A Create of a new zone `name` of `account`, from its own resource in progress in a stack
    /// of that account.
    fn genuine_create(&self, account: &str, name: &str, logical: &str) -> Value {
        let zone = self.aws.add_zone(account, name);
        self.create_for(&zone, account, logical)
    }

    /// A Create delegating the existing `zone` of `account`, from a new stack of that account.
    fn create_for(&self, zone: &str, account: &str, logical: &str) -> Value {
        let driver = Driver::new(account, "batch", logical, &self.receiver);
        let stack = &driver.stack_id;
        self.aws
            .set_resource(stack, logical, "CREATE_IN_PROGRESS", None, CUSTOM);
        driver.create(&self.props_for(zone, account))
    }

    /// Creates of new zones `{prefix}{i}.example.com` in the child account, `0..n`.
    fn creates(&self, prefix: &str, n: usize) -> Vec<Value> {
        (0..n)
            .map(|i| {
                let name = format!("{prefix}{i}.example.com");
                self.genuine_create(CHILD, &name, &format!("D{i}"))
            })
            .collect()
    }

    /// The Delete CloudFormation sends for the resource that `create` made with ID `id`, with
    /// the resource shown DELETE_IN_PROGRESS.
    fn delete_of(&self, create: &Value, id: &str) -> Value {
        let driver = Driver {
            stack_id: create["StackId"].as_str().unwrap().to_owned(),
            logical_id: create["LogicalResourceId"].as_str().unwrap().to_owned(),
            response_url: self.receiver.url.clone(),
        };
        let (stack, logical) = (&driver.stack_id, &driver.logical_id);
        self.aws
            .set_resource(stack, logical, "DELETE_IN_PROGRESS", Some(id), CUSTOM);
        driver.delete(id, &create["ResourceProperties"])
    }

    /// Hands an SQS batch to the provider; returns the answers PUT, in the order sent.
    async fn batch(&self, requests: &[Value]) -> Vec<Value> {
        run_batch(&self.provider, &self.receiver, requests).await
    }

    /// A batch of Creates that must all succeed; returns their IDs.
    async fn created(&self, creates: &[Value]) -> Vec<String> {
        self.batch(creates)
            .await
            .iter()
            .map(|a| {
                assert_eq!(a["Status"], "SUCCESS", "{a}");
                a["PhysicalResourceId"].as_str().unwrap().to_owned()
            })
            .collect()
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

    /// The delegation a Create asked for (its child zone, default TTL).
    fn ns_of(&self, create: &Value) -> Rec {
        let zone = create["ResourceProperties"]["ChildHostedZoneId"]
            .as_str()
            .unwrap();
        let name = self.aws.records(zone)[0].0.trim_end_matches('.').to_owned();
        self.ns(&name, zone, DEFAULT_TTL)
    }

    /// The Route 53 operations made in the DNS account, in order.
    fn parent_ops(&self) -> Vec<Op> {
        self.aws
            .calls()
            .into_iter()
            .filter(|c| c.account == DNS && c.op.is_route53())
            .map(|c| c.op)
            .collect()
    }

    fn count(&self, op: Op) -> usize {
        self.aws.count(op, DNS)
    }

    /// The change batches sent since `from` (an earlier length of the log), as their sizes.
    fn sizes_since(&self, from: usize) -> Vec<usize> {
        self.aws.change_batches()[from..]
            .iter()
            .map(Vec::len)
            .collect()
    }
}

/// Asserts a SUCCESS answer to `create` with the whole `Data` a delegation answers
/// (docs/design.md, "The answer"), written by change `change_id`.
fn assert_delegated(fx: &Fx, create: &Value, answer: &Value, name: &str, change_id: &str) {
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], fx.id(name), "{answer}");
    assert!(answer.get("Reason").is_none(), "{answer}");
    let zone = create["ResourceProperties"]["ChildHostedZoneId"]
        .as_str()
        .unwrap();
    assert_eq!(
        answer["Data"],
        json!({
            "DelegatedName": name,
            "NameServers": fx.aws.name_servers(zone).join(","),
            "ParentHostedZoneId": fx.parent,
            "ChildHostedZoneId": zone,
            "TTL": DEFAULT_TTL.to_string(),
            "ChangeId": change_id,
            "DsRecord": "",
        })
    );
}

fn change_id(n: usize) -> String {
    format!("C{n:06}MEMORY")
}

/// "Batches" 2 and 4 (docs/design.md): a batch's requests to one parent zone cost one zone read
/// and one record read, and are written in as few `ChangeResourceRecordSets` calls as Route 53's
/// limits and `DELEGATION_MAX_CHANGES_PER_BATCH` allow, in arrival order; "Batches" 7: one INSYNC
/// wait per call. Every request answers SUCCESS with its own name servers.
#[tokio::test]
async fn many_requests_to_one_zone_are_written_in_as_few_change_calls_as_the_limits_allow() {
    // 30 requests, Route 53's limit of 100 Change elements: one call.
    let fx = default_fixture().await;
    let creates = fx.creates("a", 30);
    let answers = fx.batch(&creates).await;
    for (i, (create, answer)) in creates.iter().zip(&answers).enumerate() {
        assert_delegated(
            &fx,
            create,
            answer,
            &format!("a{i}.example.com"),
            "C000001MEMORY",
        );
    }
    use Op::*;
    assert_eq!(
        fx.parent_ops(),
        [
            GetHostedZone,
            ListResourceRecordSets,
            ChangeResourceRecordSets,
            GetChange
        ]
    );
    let written: Vec<String> = (0..30).map(|i| format!("a{i}.example.com.")).collect();
    assert_eq!(
        fx.aws.change_batches(),
        [written.as_slice()],
        "in arrival order"
    );
    let mut expected: Vec<Rec> = creates.iter().map(|c| fx.ns_of(c)).collect();
    expected.sort();
    assert_eq!(fx.delegations(), expected);

    // The same with a change budget of 10: three calls of 10, each waited for once.
    let fx = fixture(10).await;
    let creates = fx.creates("a", 30);
    let answers = fx.batch(&creates).await;
    for (i, (create, answer)) in creates.iter().zip(&answers).enumerate() {
        let name = format!("a{i}.example.com");
        assert_delegated(&fx, create, answer, &name, &change_id(i / 10 + 1));
    }
    let one_call = [ChangeResourceRecordSets, GetChange];
    let mut expected_ops = vec![GetHostedZone, ListResourceRecordSets];
    expected_ops.extend(one_call.iter().cycle().take(6));
    assert_eq!(fx.parent_ops(), expected_ops);
    let chunks: Vec<Vec<String>> = written.chunks(10).map(<[String]>::to_vec).collect();
    assert_eq!(fx.aws.change_batches(), chunks);
    assert_eq!(fx.delegations().len(), 30);

    // 150 requests: Route 53's 100 Change elements per call, then the other 50.
    let fx = default_fixture().await;
    let creates = fx.creates("b", 150);
    let answers = fx.batch(&creates).await;
    assert!(answers.iter().all(|a| a["Status"] == "SUCCESS"));
    assert_eq!(fx.sizes_since(0), [100, 50]);
    assert_eq!(fx.count(ListResourceRecordSets), 1);
    assert_eq!(fx.count(GetChange), 2);
    assert_eq!(fx.delegations().len(), 150);
}

/// "Batches" 5 and "Lifecycle", Change Guardrails (docs/design.md): Route 53 refuses a whole
/// call when one change is wrong; the call is split in halves until the refused request is
/// isolated (at most 1 + 2⌈log₂ n⌉ calls), which alone answers FAILED with the guardrail's
/// advice and Route 53's own words; every other request succeeds.
#[tokio::test]
async fn a_refused_change_is_isolated_by_halving_and_fails_alone() {
    let fx = default_fixture().await;
    let creates = fx.creates("d", 10);
    let said = "ChangeResourceRecordSets: InvalidChangeBatch: [RRSet with DNS name d3.example.com., type NS] rejected by Change Guardrail NS_DELEGATION_AUTHORITY_CHECK";
    fx.aws
        .fail_changes_to("d3.example.com", u32::MAX, refusal(said));
    let answers = fx.batch(&creates).await;
    let refused = &answers[3];
    assert_failed(
        refused,
        "Route 53's Change Guardrail NS_DELEGATION_AUTHORITY_CHECK refused the change: the child zone no longer hosts the name",
    );
    assert!(
        reason(refused).contains(&format!("Route 53 said: {said}")),
        "{refused}"
    );
    assert_eq!(refused["PhysicalResourceId"], marker(&creates[3]));
    // The calls: all 10 (refused), 0..5 (refused), 0..2, 2..5 (refused), 2, 3..5 (refused),
    // 3 (refused, alone: FAILED), 4, 5..10. The applied ones are changes 1 to 4.
    let names = |range: std::ops::Range<usize>| -> Vec<String> {
        range.map(|i| format!("d{i}.example.com.")).collect()
    };
    assert_eq!(
        fx.aws.change_batches(),
        [
            names(0..10),
            names(0..5),
            names(0..2),
            names(2..5),
            names(2..3),
            names(3..5),
            names(3..4),
            names(4..5),
            names(5..10),
        ]
    );
    let bound = 1 + 2 * 10f64.log2().ceil() as usize;
    assert_eq!(
        fx.count(Op::ChangeResourceRecordSets),
        bound,
        "1 + 2⌈log₂ 10⌉"
    );
    assert_eq!(fx.count(Op::GetChange), 4, "one wait per applied call");
    let applied_by = [1, 1, 2, 0, 3, 4, 4, 4, 4, 4];
    for (i, (create, answer)) in creates.iter().zip(&answers).enumerate() {
        if i != 3 {
            let name = format!("d{i}.example.com");
            assert_delegated(&fx, create, answer, &name, &change_id(applied_by[i]));
        }
    }
    let mut expected: Vec<Rec> = creates
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3)
        .map(|(_, c)| fx.ns_of(c))
        .collect();
    expected.sort();
    assert_eq!(fx.delegations(), expected, "all but d3");
}

/// "Batches" 6 (docs/design.md): a call of several requests that Route 53 throttles past its
/// tries is not retried as it is: every call still to make is packed again with at most half its
/// Change elements (never fewer than one request's), and the batch goes on; every request
/// succeeds. (The batch summary's `throttle_shrinks` is a log line; the calls show it here.)
#[tokio::test]
async fn a_throttled_call_makes_the_remaining_calls_smaller() {
    let throttled = || {
        AdapterError::new(
            ErrorKind::Throttled,
            "",
            "ChangeResourceRecordSets: Throttling: Rate exceeded (throttled 2 times)",
        )
    };
    // Throttled once: the call of 30 becomes two of 15.
    let fx = default_fixture().await;
    let creates = fx.creates("t", 30);
    fx.aws
        .fail_next(Op::ChangeResourceRecordSets, DNS, 1, throttled());
    let answers = fx.batch(&creates).await;
    assert!(
        answers.iter().all(|a| a["Status"] == "SUCCESS"),
        "{answers:?}"
    );
    assert_eq!(fx.sizes_since(0), [30, 15, 15]);
    let written: Vec<String> = (0..30).map(|i| format!("t{i}.example.com.")).collect();
    assert_eq!(fx.aws.change_batches()[1..].concat(), written, "in order");
    assert_eq!(
        fx.count(Op::GetChange),
        2,
        "the throttled call is not waited for"
    );
    assert_eq!(fx.delegations().len(), 30);
    for (i, (create, answer)) in creates.iter().zip(&answers).enumerate() {
        let name = format!("t{i}.example.com");
        assert_delegated(&fx, create, answer, &name, &change_id(i / 15 + 1));
    }

    // Throttled twice: 30, then the first call of 15 again; every call after it holds at most
    // 7 Change elements (half of 15), and each request is written exactly once.
    let fx = default_fixture().await;
    let creates = fx.creates("t", 30);
    fx.aws
        .fail_next(Op::ChangeResourceRecordSets, DNS, 2, throttled());
    let answers = fx.batch(&creates).await;
    assert!(
        answers.iter().all(|a| a["Status"] == "SUCCESS"),
        "{answers:?}"
    );
    let sizes = fx.sizes_since(0);
    assert_eq!(sizes[..2], [30, 15], "{sizes:?}");
    assert!(
        sizes[2..].iter().all(|&n| (1..=7).contains(&n)),
        "{sizes:?}"
    );
    assert_eq!(fx.aws.change_batches()[2..].concat(), written, "in order");
    assert_eq!(fx.count(Op::GetChange), sizes.len() - 2);
    println!("change calls after two throttles: {sizes:?}");
    assert_eq!(fx.delegations().len(), 30);
}

/// "Lifecycle", Delete, and "Batches" 5 (docs/design.md): a Delete whose record someone changed
/// since it was read (Route 53: the values do not match, a concurrent edit) is read and planned
/// again, and deleted with the live values; one that keeps coming back stale fails after exactly
/// 3 attempts. The other requests of the batch are not affected either way.
#[tokio::test]
async fn stale_requests_are_read_and_planned_again_at_most_three_times() {
    let fx = default_fixture().await;
    let creates = fx.creates("s", 4);
    let ids = fx.created(&creates).await;
    let deletes: Vec<Value> = creates
        .iter()
        .zip(&ids)
        .map(|(c, id)| fx.delete_of(c, id))
        .collect();
    // Between the provider's read and its DELETE, someone lowers s1's TTL.
    let s1_zone = creates[1]["ResourceProperties"]["ChildHostedZoneId"]
        .as_str()
        .unwrap();
    let ns = fx.aws.name_servers(s1_zone);
    let values: Vec<&str> = ns.iter().map(String::as_str).collect();
    fx.aws
        .edit_before_next_change(&fx.parent, "s1.example.com", "NS", 60, &values);
    fx.aws.clear_calls();
    let sent = fx.aws.change_batches().len();
    let answers = fx.batch(&deletes).await;
    for (answer, id) in answers.iter().zip(&ids) {
        assert_eq!(answer["Status"], "SUCCESS", "{answer}");
        assert_eq!(answer["PhysicalResourceId"], *id);
    }
    assert!(fx.delegations().is_empty(), "{:?}", fx.delegations());
    // All 4 and 0..2 come back stale and are halved; 0 is written, 1 comes back stale alone,
    // 2..4 is written; then s1 is read again and its DELETE, with TTL 60, written.
    assert_eq!(fx.sizes_since(sent), [4, 2, 1, 1, 2, 1]);
    assert_eq!(
        fx.aws.change_batches().last().unwrap(),
        &["s1.example.com."]
    );
    assert_eq!(
        fx.count(Op::ListResourceRecordSets),
        2,
        "read, then s1 again"
    );

    // s1 comes back stale at every attempt: it fails after three; the others are deleted.
    let fx = default_fixture().await;
    let creates = fx.creates("s", 4);
    let ids = fx.created(&creates).await;
    let deletes: Vec<Value> = creates
        .iter()
        .zip(&ids)
        .map(|(c, id)| fx.delete_of(c, id))
        .collect();
    fx.aws.fail_changes_to(
        "s1.example.com",
        u32::MAX,
        AdapterError::new(ErrorKind::Stale, "", STALE),
    );
    fx.aws.clear_calls();
    let sent = fx.aws.change_batches().len();
    let answers = fx.batch(&deletes).await;
    assert_failed(
        &answers[1],
        "values provided do not match the current values",
    );
    assert!(reason(&answers[1]).starts_with("Delete failed: "));
    assert_eq!(answers[1]["PhysicalResourceId"], ids[1]);
    for i in [0, 2, 3] {
        assert_eq!(answers[i]["Status"], "SUCCESS", "{}", answers[i]);
        assert_eq!(answers[i]["PhysicalResourceId"], ids[i]);
    }
    assert_eq!(fx.delegations(), [fx.ns_of(&creates[1])], "only s1 is left");
    assert_eq!(fx.sizes_since(sent), [4, 2, 1, 1, 2, 1, 1]);
    let alone = fx.aws.change_batches()[sent..]
        .iter()
        .filter(|b| b.as_slice() == ["s1.example.com."])
        .count();
    assert_eq!(alone, 3, "three attempts of s1 alone");
    assert_eq!(
        fx.count(Op::ListResourceRecordSets),
        3,
        "the first read, then s1 before its second and third attempts"
    );
}

/// "Batches" 3 (docs/design.md): two requests for one name in one batch are planned in arrival
/// order against one evolving view, the second seeing what the first will write: another stack's
/// Create of the name with another zone conflicts (`OnConflict=fail`), one with the same zone
/// adopts it; a Delete and then a Create of the name make room for it, the other way round the
/// Create conflicts with the record the Delete then removes.
#[tokio::test]
async fn one_name_twice_in_a_batch_is_planned_in_arrival_order() {
    let fx = default_fixture().await;
    // Two stacks, two accounts, two zones named twin.example.com.
    let first = fx.genuine_create(CHILD, "twin.example.com", "Twin");
    let second = fx.genuine_create(OTHER, "twin.example.com", "Twin");
    let answers = fx.batch(&[first.clone(), second.clone()]).await;
    assert_delegated(
        &fx,
        &first,
        &answers[0],
        "twin.example.com",
        "C000001MEMORY",
    );
    assert_failed(
        &answers[1],
        "the parent zone already has NS records at twin.example.com with other values (",
    );
    let first_zone = first["ResourceProperties"]["ChildHostedZoneId"]
        .as_str()
        .unwrap();
    let first_ns = &fx.aws.name_servers(first_zone)[0];
    assert!(
        reason(&answers[1]).contains(first_ns.as_str()),
        "{}",
        answers[1]
    );
    assert!(
        reason(&answers[1]).contains("Remove them, or set OnConflict to replace"),
        "{}",
        answers[1]
    );
    assert_eq!(answers[1]["PhysicalResourceId"], marker(&second));
    assert_eq!(fx.aws.change_batches(), [["twin.example.com."]]);
    assert_eq!(fx.delegations(), [fx.ns_of(&first)]);

    // Two stacks delegating the same zone: the second adopts what the first writes.
    let zone = fx.aws.add_zone(CHILD, "same.example.com");
    let first = fx.create_for(&zone, CHILD, "Same");
    let second = fx.create_for(&zone, CHILD, "Same");
    let answers = fx.batch(&[first.clone(), second.clone()]).await;
    assert_delegated(
        &fx,
        &first,
        &answers[0],
        "same.example.com",
        "C000002MEMORY",
    );
    assert_delegated(&fx, &second, &answers[1], "same.example.com", "");
    assert_eq!(fx.sizes_since(1), [1], "one change, written once");
    assert!(
        fx.delegations()
            .contains(&fx.ns("same.example.com", &zone, DEFAULT_TTL))
    );

    // A Delete of move.example.com, then a Create of it for another zone: one call, both
    // succeed, and the name is delegated to the new zone.
    let old = fx.genuine_create(CHILD, "move.example.com", "Old");
    let old_id = fx.created(std::slice::from_ref(&old)).await.remove(0);
    let new_zone = fx.aws.add_zone(CHILD, "move.example.com");
    let sent = fx.aws.change_batches().len();
    let requests = [
        fx.delete_of(&old, &old_id),
        fx.create_for(&new_zone, CHILD, "New"),
    ];
    let answers = fx.batch(&requests).await;
    assert_eq!(answers[0]["Status"], "SUCCESS", "{}", answers[0]);
    assert_eq!(answers[0]["PhysicalResourceId"], old_id);
    assert_delegated(
        &fx,
        &requests[1],
        &answers[1],
        "move.example.com",
        "C000004MEMORY",
    );
    assert_eq!(
        fx.aws.change_batches()[sent..],
        [["move.example.com.", "move.example.com."]]
    );
    let moved = fx.ns("move.example.com", &new_zone, DEFAULT_TTL);
    assert!(fx.delegations().contains(&moved), "{:?}", fx.delegations());

    // The other way round: the Create sees the record the Delete is about to remove.
    let newer_zone = fx.aws.add_zone(CHILD, "move.example.com");
    let moved_id = fx.id("move.example.com");
    let requests = [
        fx.create_for(&newer_zone, CHILD, "Newer"),
        fx.delete_of(&requests[1], &moved_id),
    ];
    let sent = fx.aws.change_batches().len();
    let answers = fx.batch(&requests).await;
    assert_failed(
        &answers[0],
        "the parent zone already has NS records at move.example.com with other values (",
    );
    assert_eq!(answers[0]["PhysicalResourceId"], marker(&requests[0]));
    assert_eq!(answers[1]["Status"], "SUCCESS", "{}", answers[1]);
    assert_eq!(fx.aws.change_batches()[sent..], [["move.example.com."]]);
    assert!(
        !fx.delegations().iter().any(|r| r.0 == "move.example.com."),
        "{:?}",
        fx.delegations()
    );
}

/// "Batches" 7 and "Properties", `WaitForSync` (docs/design.md): one INSYNC wait per call, shared
/// by the requests in it that set `WaitForSync`, and none when no request in the call did.
#[tokio::test]
async fn each_call_waits_for_insync_only_when_a_request_in_it_asked_to() {
    let fx = fixture(5).await;
    let waiting = |mut r: Value, wait: bool| {
        r["ResourceProperties"]["WaitForSync"] = json!(wait.to_string());
        r
    };
    // Five requests that do not wait, in one call: no GetChange at all.
    let requests: Vec<Value> = fx
        .creates("w", 5)
        .into_iter()
        .map(|r| waiting(r, false))
        .collect();
    let answers = fx.batch(&requests).await;
    for (i, (r, a)) in requests.iter().zip(&answers).enumerate() {
        assert_delegated(&fx, r, a, &format!("w{i}.example.com"), "C000001MEMORY");
    }
    assert_eq!(fx.count(Op::ChangeResourceRecordSets), 1);
    assert_eq!(fx.count(Op::GetChange), 0);

    // Ten: a call of five that do not wait, and a call of five of which one waits.
    fx.aws.clear_calls();
    let requests: Vec<Value> = fx
        .creates("x", 10)
        .into_iter()
        .enumerate()
        .map(|(i, r)| waiting(r, i == 7))
        .collect();
    let answers = fx.batch(&requests).await;
    assert!(
        answers.iter().all(|a| a["Status"] == "SUCCESS"),
        "{answers:?}"
    );
    use Op::*;
    assert_eq!(
        fx.parent_ops(),
        [
            GetHostedZone,
            ListResourceRecordSets,
            ChangeResourceRecordSets,
            ChangeResourceRecordSets,
            GetChange
        ],
        "only the second call is waited for"
    );

    // Five in one call, four of which wait: one wait for them all.
    fx.aws.clear_calls();
    let requests: Vec<Value> = fx
        .creates("y", 5)
        .into_iter()
        .enumerate()
        .map(|(i, r)| waiting(r, i != 2))
        .collect();
    let answers = fx.batch(&requests).await;
    assert!(
        answers.iter().all(|a| a["Status"] == "SUCCESS"),
        "{answers:?}"
    );
    assert_eq!(fx.count(ChangeResourceRecordSets), 1);
    assert_eq!(fx.count(GetChange), 1);
    assert_eq!(fx.delegations().len(), 20);
}

/// "Batches" 1–2 and "Lifecycle", Delete (docs/design.md): requests are grouped by parent zone; a
/// group whose parent zone cannot be read fails only its own requests, naming the zone, while a
/// Delete in that group succeeds (the zone is gone: nothing is left to delete). The other group
/// is written as usual.
#[tokio::test]
async fn a_missing_parent_zone_fails_only_its_own_group() {
    let fx = default_fixture().await;
    let gone = "ZGONE";
    let elsewhere = |mut r: Value| {
        r["ResourceProperties"]["ParentHostedZoneId"] = json!(gone);
        r
    };
    let creates = fx.creates("p", 4);
    // The Delete of a delegation in the zone that is gone, from its own stack.
    let earlier = fx.genuine_create(CHILD, "q.example.com", "Q");
    let gone_id = format!("{gone}/q.example.com");
    let requests = vec![
        creates[0].clone(),
        elsewhere(creates[1].clone()),
        fx.delete_of(&elsewhere(earlier), &gone_id),
        creates[2].clone(),
        elsewhere(creates[3].clone()),
    ];
    let answers = fx.batch(&requests).await;
    assert_delegated(
        &fx,
        &requests[0],
        &answers[0],
        "p0.example.com",
        "C000001MEMORY",
    );
    assert_delegated(
        &fx,
        &requests[3],
        &answers[3],
        "p2.example.com",
        "C000001MEMORY",
    );
    for i in [1, 4] {
        assert_failed(
            &answers[i],
            &format!("{gone}: NoSuchHostedZone: No hosted zone found with ID: {gone}"),
        );
        assert!(
            reason(&answers[i]).contains("the parent zone property"),
            "{}",
            answers[i]
        );
        assert_eq!(answers[i]["PhysicalResourceId"], marker(&requests[i]));
    }
    assert_eq!(answers[2]["Status"], "SUCCESS", "{}", answers[2]);
    assert_eq!(answers[2]["PhysicalResourceId"], gone_id);
    assert_eq!(
        fx.aws.change_batches(),
        [["p0.example.com.", "p2.example.com."]]
    );
    assert_eq!(fx.count(Op::GetHostedZone), 2, "each parent zone read once");
    assert_eq!(
        fx.count(Op::ListResourceRecordSets),
        1,
        "only the one that exists"
    );
    let mut expected = vec![fx.ns_of(&creates[0]), fx.ns_of(&creates[2])];
    expected.sort();
    assert_eq!(fx.delegations(), expected);
}
