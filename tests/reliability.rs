//! The packaged binary against a misbehaving Route 53, STS and ResponseURL: the fault proxy
//! (tests/faultproxy/faultproxy.py) stands between the binary and moto and injects Route 53's
//! Throttling and PriorRequestNotComplete, 5xx, connection resets, stalls, and STS AccessDenied
//! while a role propagates (CDK issue #29391) or for ever. Every request must end in an answer,
//! before the deadline, with nothing orphaned or wrongly deleted in the parent zone.

use crate::support::rig::{Rig, faults_of};
use crate::support::*;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_prior_request_not_complete_are_ridden_out() {
    // One fault of each kind per call: the production backoff (5 s base, equal jitter) makes each
    // retry take seconds, and the schedule's arithmetic is unit-tested (aws::pace).
    let rig = Rig::new().await;
    rig.proxy
        .rules(json!([
            {"service": "route53", "operation": "ChangeResourceRecordSets", "fault": "throttle", "count": 1},
            {"service": "route53", "operation": "ChangeResourceRecordSets", "fault": "prior_request_not_complete", "count": 1},
            {"service": "route53", "operation": "GetHostedZone", "fault": "throttle", "count": 1},
            {"service": "route53", "operation": "ListResourceRecordSets", "fault": "prior_request_not_complete", "count": 1},
        ]))
        .await;
    let props = rig.w.props();
    let created = rig.invoke(&rig.driver.create(&props), Some(120)).await;
    assert_eq!(created.status(), "SUCCESS", "{}", created.logs);
    let log = rig.proxy.log().await;
    assert_eq!(
        faults_of(&log, "ChangeResourceRecordSets"),
        vec![
            json!("throttle"),
            json!("prior_request_not_complete"),
            Value::Null
        ]
    );
    let summary = &created.summaries()[0];
    assert!(
        summary["route53_calls"].as_u64().unwrap() >= 5,
        "the summary counts retried calls (4 refused, then the write): {summary}"
    );
    assert_eq!(
        summary["route53_throttles"], 4,
        "Throttling and PriorRequestNotComplete are both throttles: {summary}"
    );
    assert_eq!(
        rig.w.delegations().await,
        vec![rig.expected_ns("dev.example.com", 172800).await]
    );

    // The Delete rides out the same weather.
    rig.proxy.reset().await;
    rig.proxy
        .rules(json!([
            {"operation": "ChangeResourceRecordSets", "fault": "prior_request_not_complete", "count": 1},
            {"operation": "ListResourceRecordSets", "fault": "throttle", "count": 1},
        ]))
        .await;
    let deleted = rig
        .invoke(&rig.driver.delete(created.physical_id(), &props), Some(120))
        .await;
    assert_eq!(deleted.status(), "SUCCESS", "{}", deleted.logs);
    assert!(rig.w.delegations().await.is_empty());
    assert_eq!(rig.receiver.puts().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_connection_resets_are_retried() {
    let rig = Rig::new().await;
    rig.proxy
        .rules(json!([
            {"operation": "ChangeResourceRecordSets", "fault": "http500", "count": 2},
            {"operation": "GetHostedZone", "fault": "reset", "count": 2},
            {"service": "sts", "operation": "AssumeRole", "fault": "http500", "count": 1},
        ]))
        .await;
    let created = rig
        .invoke(&rig.driver.create(&rig.w.props()), Some(120))
        .await;
    assert_eq!(created.status(), "SUCCESS", "{}", created.logs);
    let log = rig.proxy.log().await;
    assert_eq!(
        faults_of(&log, "ChangeResourceRecordSets"),
        vec![json!("http500"), json!("http500"), Value::Null]
    );
    assert!(faults_of(&log, "GetHostedZone").contains(&json!("reset")));
    assert_eq!(
        rig.w.delegations().await,
        vec![rig.expected_ns("dev.example.com", 172800).await]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_stacks_under_the_strict_five_per_second_limit_all_complete() {
    // The older documented limit (5 requests/s per account, no burst) with four stacks in the
    // same parent account at once: every one is answered SUCCESS, and deletes leave nothing.
    let rig = Rig::with_proxy_args(&["--mode", "strict"]).await;
    let names: Vec<String> = (1..=4).map(|i| format!("team{i}.example.com")).collect();
    let mut stacks = Vec::new();
    for name in &names {
        let zone = create_zone(&rig.w.child, name).await;
        let mut props = rig.w.props();
        props["ChildHostedZoneId"] = json!(zone);
        let driver = Driver::new(
            CHILD_ACCOUNT,
            &format!("s-{zone}"),
            "Delegation",
            &rig.receiver,
        );
        stacks.push((driver, props));
    }
    let started = Instant::now();
    let runs = futures_join(
        stacks
            .iter()
            .map(|(d, p)| invoke_packaged(&d.create(p), &rig.env, Some(300)))
            .collect(),
    )
    .await;
    for run in &runs {
        run.assert_clean("concurrent create");
        assert_eq!(run.status(), "SUCCESS", "{}", run.logs);
    }
    let log = rig.proxy.log().await;
    let limited = log.iter().filter(|e| e["fault"] == "throttle_rate").count();
    assert!(
        limited > 0,
        "four stacks at once must have met the limit: {log:?}"
    );
    let got: Vec<String> = rig.w.delegations().await.into_iter().map(|r| r.0).collect();
    let mut want: Vec<String> = names.iter().map(|n| format!("{n}.")).collect();
    want.sort();
    assert_eq!(got, want);
    eprintln!(
        "four creates under 5 req/s: {:?}, {limited} calls throttled",
        started.elapsed()
    );

    let runs = futures_join(
        stacks
            .iter()
            .zip(&runs)
            .map(|((d, p), r)| invoke_packaged(&d.delete(r.physical_id(), p), &rig.env, Some(300)))
            .collect(),
    )
    .await;
    for run in &runs {
        run.assert_clean("concurrent delete");
        assert_eq!(run.status(), "SUCCESS", "{}", run.logs);
    }
    assert!(rig.w.delegations().await.is_empty());
}

/// Awaits every future (concurrently), keeping their order.
async fn futures_join<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_while_the_role_propagates_then_success() {
    let rig = Rig::new().await;
    rig.proxy
        .rules(json!([
            {"service": "sts", "operation": "AssumeRole", "fault": "access_denied", "for_seconds": 20},
        ]))
        .await;
    let run = rig
        .invoke(&rig.driver.create(&rig.w.props()), Some(300))
        .await;
    assert_eq!(run.status(), "SUCCESS", "{}", run.logs);
    assert!(run.elapsed >= Duration::from_secs(20), "{:?}", run.elapsed);
    let calls = rig.proxy.calls("AssumeRole").await;
    let denied: Vec<&Value> = calls.iter().filter(|e| e["status"] == 403).collect();
    assert!(denied.len() >= 3, "AssumeRole was retried: {calls:?}");
    let first = denied[0]["t"].as_f64().unwrap();
    let last = denied.last().unwrap()["t"].as_f64().unwrap();
    // Pauses grow to 4 s with ±50% jitter, so the last refusal falls up to 6 s before the window
    // closes, and the first comes after the process has started.
    assert!(
        last - first > 10.0,
        "refusals kept being retried across the 20 s window: {calls:?}"
    );
    assert_eq!(calls.last().unwrap()["status"], 200);
    assert!(
        run.logs.contains("still propagating"),
        "each refusal is logged as a warning"
    );
    assert_eq!(
        rig.w.delegations().await,
        vec![rig.expected_ns("dev.example.com", 172800).await]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_for_ever_fails_naming_the_role_well_before_the_deadline() {
    let rig = Rig::new().await;
    rig.proxy
        .rules(json!([{"service": "sts", "operation": "AssumeRole", "fault": "access_denied"}]))
        .await;
    let event = rig.driver.create(&rig.w.props());
    let run = rig.invoke(&event, Some(300)).await;
    assert_eq!(run.status(), "FAILED", "{}", run.logs);
    let reason = run.reason();
    let role = role_arn(CHILD_ACCOUNT);
    assert!(
        reason.contains(&role),
        "the reason names the role: {reason}"
    );
    assert!(
        reason.contains("trust policy") && reason.contains("ExternalId"),
        "the reason names the likely causes: {reason}"
    );
    assert!(
        run.elapsed < Duration::from_secs(60),
        "gave up after {:?}, with 300 s left",
        run.elapsed
    );
    assert!(run.elapsed >= Duration::from_secs(25), "{:?}", run.elapsed);
    assert_eq!(
        run.physical_id(),
        format!("failed-create:{}", event["RequestId"].as_str().unwrap())
    );
    assert_eq!(rig.receiver.puts().len(), 1);
    assert!(rig.writes().await.is_empty());
    assert!(rig.w.delegations().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_route53_fails_before_the_deadline() {
    let rig = Rig::new().await;
    rig.proxy
        .rules(json!([{"service": "route53", "fault": "stall"}]))
        .await;
    let event = rig.driver.create(&rig.w.props());
    let started = Instant::now();
    let timeout = 20;
    let run = rig.invoke(&event, Some(timeout)).await;
    assert_eq!(run.status(), "FAILED", "{}", run.logs);
    assert!(
        run.reason()
            .contains("did not finish before the Lambda deadline"),
        "{}",
        run.reason()
    );
    let puts = rig.receiver.puts();
    assert_eq!(puts.len(), 1);
    let answered_after = puts[0].at.duration_since(started);
    assert!(
        answered_after <= Duration::from_secs(timeout - 5),
        "answered {answered_after:?} after the start of a {timeout} s invocation: less than 5 s before the deadline"
    );
    assert!(
        run.elapsed < Duration::from_secs(timeout),
        "{:?}",
        run.elapsed
    );
    assert_eq!(
        run.physical_id(),
        format!("failed-create:{}", event["RequestId"].as_str().unwrap())
    );
    assert!(rig.w.delegations().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_write_fails_with_the_real_id_so_the_rollback_delete_cleans_up() {
    // The change batch may or may not have reached Route 53 when the guard fires: the answer
    // carries the real ID, so CloudFormation's rollback Delete removes whatever was written.
    let rig = Rig::new().await;
    rig.proxy
        .rules(json!([{"operation": "ChangeResourceRecordSets", "fault": "stall", "count": 1}]))
        .await;
    let props = rig.w.props();
    let run = rig.invoke(&rig.driver.create(&props), Some(20)).await;
    assert_eq!(run.status(), "FAILED", "{}", run.logs);
    let id = format!("{}/dev.example.com", rig.w.parent_zone);
    assert_eq!(run.physical_id(), id);
    let rollback = rig.invoke(&rig.driver.delete(&id, &props), Some(60)).await;
    assert_eq!(rollback.status(), "SUCCESS", "{}", rollback.logs);
    assert!(rig.w.delegations().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_sts_fails_before_the_deadline() {
    let rig = Rig::new().await;
    rig.proxy
        .rules(json!([{"service": "sts", "fault": "stall"}]))
        .await;
    let started = Instant::now();
    let run = rig
        .invoke(&rig.driver.create(&rig.w.props()), Some(18))
        .await;
    assert_eq!(run.status(), "FAILED", "{}", run.logs);
    let puts = rig.receiver.puts();
    assert_eq!(puts.len(), 1);
    assert!(puts[0].at.duration_since(started) <= Duration::from_secs(13));
    assert!(rig.writes().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_never_syncs_fails_with_the_real_id_and_the_rollback_cleans_up() {
    let rig = Rig::new().await;
    rig.proxy
        .rules(json!([
            {"operation": "ChangeResourceRecordSets", "fault": "pending"},
            {"operation": "GetChange", "fault": "pending"},
        ]))
        .await;
    let props = rig.w.props();
    let run = rig.invoke(&rig.driver.create(&props), Some(22)).await;
    assert_eq!(run.status(), "FAILED", "{}", run.logs);
    assert!(run.reason().contains("INSYNC"), "{}", run.reason());
    let id = format!("{}/dev.example.com", rig.w.parent_zone);
    assert_eq!(
        run.physical_id(),
        id,
        "a Create that wrote answers its real ID"
    );
    assert_eq!(rig.w.delegations().await.len(), 1, "the record was written");
    // Route 53 catches up; CloudFormation's rollback deletes what the failed Create wrote.
    rig.proxy.reset().await;
    let rollback = rig.invoke(&rig.driver.delete(&id, &props), Some(60)).await;
    assert_eq!(rollback.status(), "SUCCESS", "{}", rollback.logs);
    assert!(rig.w.delegations().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_response_url_failing_twice_with_5xx_still_gets_the_answer() {
    let rig = Rig::new().await;
    rig.receiver.program(&[500, 503]);
    let run = rig.run(&rig.driver.create(&rig.w.props()), Some(60)).await;
    assert_eq!(run.status(), "SUCCESS", "{}", run.logs);
    let puts = rig.receiver.puts();
    assert_eq!(puts.len(), 3, "two 5xx, then delivered");
    assert!(
        puts.iter()
            .all(|p| p.body == puts[2].body && p.method == "PUT")
    );
    assert_eq!(puts[2].json(), run.answer);
    let summary = &run.summaries()[0];
    assert_eq!(summary["answer"], "delivered (HTTP 200)", "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4xx_from_the_response_url_is_final_and_logged() {
    let rig = Rig::new().await;
    rig.receiver.program(&[403]);
    let run = rig.run(&rig.driver.create(&rig.w.props()), Some(60)).await;
    assert_eq!(rig.receiver.puts().len(), 1, "a 4xx is not retried");
    let summary = &run.summaries()[0];
    assert!(
        summary["answer"].as_str().unwrap().contains("HTTP 403"),
        "{summary}"
    );
    assert!(!run.logs.contains("SECRETSIGNATURE"));
}
