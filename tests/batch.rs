//! The batched mode against moto behind the fault proxy (docs/design.md, "Batches"): SQS events
//! of CloudFormation requests planned per parent zone against one view, written in few change
//! batches, with a refused change isolated and every request answered on its own.

use crate::support::rig::Rig;
use crate::support::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::ops::Deref;
use std::time::Duration;
use subdomain_delegation::aws::SdkConnector;
use subdomain_delegation::cfn::responder::Responder;
use subdomain_delegation::cfn::runner::Provider;
use tokio::time::Instant;

const BUDGET: Duration = Duration::from_secs(120);

/// The [`Rig`] (moto behind the fault proxy, a receiver for the answers) and the in-process
/// provider over it.
struct Batch {
    rig: Rig,
    provider: Provider<SdkConnector>,
}

impl Deref for Batch {
    type Target = Rig;
    fn deref(&self) -> &Rig {
        &self.rig
    }
}

impl Batch {
    async fn new() -> Batch {
        let rig = Rig::new().await;
        let provider = rig
            .provider(Responder::new(2, Duration::from_millis(20)))
            .await;
        Batch { rig, provider }
    }

    /// Child zones `<name>` in the child account, and the properties delegating each.
    async fn children(&self, names: &[String]) -> Vec<Value> {
        let mut props = Vec::new();
        for name in names {
            let zone = create_zone(&self.w.child, name).await;
            let mut p = self.w.props();
            p["ChildHostedZoneId"] = json!(zone);
            props.push(p);
        }
        props
    }

    /// Runs one SQS event of these requests (each wrapped in an SNS notification, as
    /// CloudFormation → SNS → SQS delivers them); returns the batch item failures.
    async fn batch(&self, requests: &[Value]) -> Vec<String> {
        let event = sqs_event(requests);
        let answer = self
            .provider
            .handle_queue(&event, Instant::now() + BUDGET, "test-log-stream")
            .await;
        answer
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect()
    }

    /// The latest answer per RequestId.
    fn answers(&self) -> BTreeMap<String, Value> {
        self.receiver
            .puts()
            .iter()
            .map(|p| {
                let v = p.json();
                (v["RequestId"].as_str().unwrap().to_owned(), v)
            })
            .collect()
    }
}

fn sqs_event(requests: &[Value]) -> Value {
    let records: Vec<Value> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let notification = json!({
                "Type": "Notification",
                "MessageId": uuid(),
                "TopicArn": format!("arn:aws:sns:us-east-1:{PARENT_ACCOUNT}:subdomain-delegation"),
                "Message": r.to_string(),
            });
            json!({
                "messageId": format!("m{i}"),
                "receiptHandle": format!("rh{i}"),
                "body": notification.to_string(),
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:us-east-1:{PARENT_ACCOUNT}:subdomain-delegation"),
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    json!({ "Records": records })
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}.example.com")).collect()
}

fn request_id(event: &Value) -> String {
    event["RequestId"].as_str().unwrap().to_owned()
}

/// How many of the parent account's `calls` were `operation`.
fn calls_to(calls: &[String], operation: &str) -> usize {
    calls.iter().filter(|c| *c == operation).count()
}

/// Asserts that every request succeeded but the one at `failed`; that one's answer.
fn only_one_failed(answers: &BTreeMap<String, Value>, requests: &[Value], failed: usize) -> Value {
    for (i, r) in requests.iter().enumerate() {
        let a = &answers[&request_id(r)];
        let status = if i == failed { "FAILED" } else { "SUCCESS" };
        assert_eq!(a["Status"], status, "{a}");
    }
    answers[&request_id(&requests[failed])].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_plans_every_request_against_one_view_in_one_change_batch() {
    let rig = Batch::new().await;
    let props = rig.children(&names("a", 10)).await;
    let mut requests: Vec<Value> = props.iter().map(|p| rig.driver.create(p)).collect();
    // The same name twice: the second sees the first and adopts it.
    requests.push(rig.driver.create(&props[0]));
    rig.proxy.reset().await;
    let failures = rig.batch(&requests).await;
    assert!(failures.is_empty(), "{failures:?}");
    let answers = rig.answers();
    assert_eq!(answers.len(), 11);
    for r in &requests {
        let a = &answers[&request_id(r)];
        assert_eq!(a["Status"], "SUCCESS", "{a}");
        assert!(a.get("Reason").is_none(), "{a}");
    }
    assert_eq!(
        answers[&request_id(&requests[0])]["PhysicalResourceId"],
        answers[&request_id(&requests[10])]["PhysicalResourceId"]
    );
    let delegations = rig.w.delegations().await;
    assert_eq!(delegations.len(), 10, "{delegations:?}");
    // One zone read, one record read, one change batch (moto answers INSYNC at once).
    assert_eq!(
        rig.parent_calls().await,
        [
            "GetHostedZone",
            "ListResourceRecordSets",
            "ChangeResourceRecordSets"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_and_deletes_of_different_names_share_a_batch_and_redelivery_writes_nothing_new() {
    let rig = Batch::new().await;
    let props = rig.children(&names("b", 4)).await;
    let first: Vec<Value> = props[..2].iter().map(|p| rig.driver.create(p)).collect();
    assert!(rig.batch(&first).await.is_empty());
    let answers = rig.answers();
    let id0 = answers[&request_id(&first[0])]["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    // Delete b0, create b2 and b3, in one batch.
    let second = vec![
        rig.driver.delete(&id0, &props[0]),
        rig.driver.create(&props[2]),
        rig.driver.create(&props[3]),
    ];
    assert!(rig.batch(&second).await.is_empty());
    let answers = rig.answers();
    for r in &second {
        assert_eq!(answers[&request_id(r)]["Status"], "SUCCESS");
    }
    let names_now: Vec<String> = rig.w.delegations().await.into_iter().map(|r| r.0).collect();
    assert_eq!(
        names_now,
        ["b1.example.com.", "b2.example.com.", "b3.example.com."]
    );
    // The same batch delivered again: the Delete finds nothing, the Creates adopt their records,
    // and nothing is written: no change call at all.
    let before = rig.w.parent_records().await;
    rig.proxy.reset().await;
    assert!(rig.batch(&second).await.is_empty());
    assert_eq!(rig.w.parent_records().await, before);
    let calls = rig.parent_calls().await;
    assert!(
        !calls.iter().any(|c| c == "ChangeResourceRecordSets"),
        "{calls:?}"
    );
    let answers = rig.answers();
    for r in &second {
        assert_eq!(answers[&request_id(r)]["Status"], "SUCCESS");
    }
    assert_eq!(answers[&request_id(&second[1])]["Data"]["ChangeId"], "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_batch_is_split_by_route53s_limits() {
    let rig = Batch::new().await;
    let props = rig.children(&names("c", 150)).await;
    let requests: Vec<Value> = props.iter().map(|p| rig.driver.create(p)).collect();
    rig.proxy.reset().await;
    assert!(rig.batch(&requests).await.is_empty());
    let answers = rig.answers();
    assert_eq!(
        answers
            .values()
            .filter(|a| a["Status"] == "SUCCESS")
            .count(),
        150
    );
    assert_eq!(rig.w.delegations().await.len(), 150);
    let calls = rig.parent_calls().await;
    let changes = calls_to(&calls, "ChangeResourceRecordSets");
    assert_eq!(changes, 2, "100 + 50 Change elements: {calls:?}");
    assert!(calls.len() <= 5, "{calls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_larger_than_the_change_bucket_is_made_smaller_instead_of_waiting_for_the_deadline()
{
    let rig = Batch::new().await;
    let props = rig.children(&names("t", 100)).await;
    let requests: Vec<Value> = props.iter().map(|p| rig.driver.create(p)).collect();
    rig.proxy.reset().await;
    // A change-throughput bucket of 40 changes: a call of 100 (Route 53's limit, the default
    // budget) can never pass, nor one of 50.
    rig.proxy.change_bucket(40, 40).await;
    let started = Instant::now();
    assert!(rig.batch(&requests).await.is_empty());
    let took = started.elapsed();
    let answers = rig.answers();
    for r in &requests {
        let a = &answers[&request_id(r)];
        assert_eq!(a["Status"], "SUCCESS", "{a}");
    }
    assert_eq!(rig.w.delegations().await.len(), 100);
    let changes = rig.proxy.calls("ChangeResourceRecordSets").await;
    let throttled = changes.iter().filter(|c| c["bucket"] == "changes").count();
    let written = changes.iter().filter(|c| c["status"] == 200).count();
    // 100 and then 50 refused twice each; then calls of 25, some retried once while the
    // bucket refills.
    assert!(throttled >= 4, "{changes:?}");
    assert!(
        (4..=6).contains(&written),
        "{written} calls written: {changes:?}"
    );
    assert!(changes.len() <= 16, "{changes:?}");
    assert!(
        took < BUDGET / 2,
        "took {took:?}: a call the bucket cannot hold must not wait for the deadline"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_route53_refuses_is_isolated_and_every_other_request_succeeds() {
    let rig = Batch::new().await;
    let props = rig.children(&names("d", 10)).await;
    let requests: Vec<Value> = props.iter().map(|p| rig.driver.create(p)).collect();
    rig.proxy.reset().await;
    rig.proxy
        .rules(json!([{
            "service": "route53",
            "operation": "ChangeResourceRecordSets",
            "fault": "guardrail",
            "guardrail": "NS_DELEGATION_AUTHORITY_CHECK",
            "record_name": "d3.example.com",
        }]))
        .await;
    assert!(rig.batch(&requests).await.is_empty());
    let a = only_one_failed(&rig.answers(), &requests, 3);
    let reason = a["Reason"].as_str().unwrap();
    assert!(reason.contains("NS_DELEGATION_AUTHORITY_CHECK"), "{reason}");
    assert!(reason.contains("check the child zone"), "{reason}");
    assert!(reason.contains("d3.example.com"), "{reason}");
    assert!(
        a["PhysicalResourceId"]
            .as_str()
            .unwrap()
            .starts_with("failed-create:"),
        "a refused Create that changed nothing answers the marker: {a}"
    );
    let delegations: Vec<String> = rig.w.delegations().await.into_iter().map(|r| r.0).collect();
    assert_eq!(delegations.len(), 9);
    assert!(!delegations.contains(&"d3.example.com.".to_owned()));
    let changes = calls_to(&rig.parent_calls().await, "ChangeResourceRecordSets");
    // The whole call, then both halves at each level down to the one request:
    // 1 + 2 × ⌈log2 10⌉ = 9 at most.
    assert!((5..=9).contains(&changes), "{changes} change calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_answer_cannot_be_put_is_delivered_again() {
    let rig = Batch::new().await;
    let props = rig.children(&names("e", 2)).await;
    let broken = Receiver::start().await;
    broken.program(&[500; 10]);
    let lost = Driver::new(CHILD_ACCOUNT, "dev-dns", "Other", &broken);
    let requests = vec![rig.driver.create(&props[0]), lost.create(&props[1])];
    let failures = rig.batch(&requests).await;
    assert_eq!(failures, ["m1"]);
    // The write happened; the redelivery answers the same.
    assert_eq!(rig.w.delegations().await.len(), 2);
    let answer = &rig.answers()[&request_id(&requests[0])];
    assert_eq!(answer["Status"], "SUCCESS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_reads_the_pages_that_hold_its_names_not_the_whole_zone() {
    use aws_sdk_route53::types::RrType;
    let rig = Batch::new().await;
    let props = rig.children(&names("g", 10)).await;
    // A zone of 1,351 record sets (5 pages): 1,000 delegations of others after the batch's
    // names, and below g5 a record that a delegation would hide, 350 names away in moto's
    // order (`g5`, `g5-0` … `g5-349`, `www.g5`), before g5 in Route 53's.
    let mut sets: Vec<_> = (0..1000)
        .map(|i| {
            record_set(
                &format!("z{i:04}.example.com"),
                RrType::Ns,
                300,
                &["ns1.other.example.net"],
            )
        })
        .collect();
    sets.extend((0..350).map(|i| {
        record_set(
            &format!("g5-{i}.example.com"),
            RrType::A,
            300,
            &["192.0.2.1"],
        )
    }));
    sets.push(record_set(
        "www.g5.example.com",
        RrType::A,
        300,
        &["192.0.2.5"],
    ));
    create_record_sets(&rig.w.parent, &rig.w.parent_zone, sets).await;
    let requests: Vec<Value> = props.iter().map(|p| rig.driver.create(p)).collect();
    rig.proxy.reset().await;
    assert!(rig.batch(&requests).await.is_empty());
    let a = only_one_failed(&rig.answers(), &requests, 5);
    let reason = a["Reason"].as_str().unwrap();
    assert!(reason.contains("www.g5.example.com"), "{reason}");
    let reads = calls_to(&rig.parent_calls().await, "ListResourceRecordSets");
    // From g0 on: the 350 records in g5's run, then on into the others' until past g9.
    assert_eq!(reads, 2, "the whole zone would take 5");
}
