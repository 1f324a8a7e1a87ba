//! The provider end to end against moto in multi-account mode, answering a loopback receiver: what
//! the SDK adapters add to the rules (cross-account reads, moto's zone flags and errors, stalls,
//! the answer's retries, SNS wrapping). The rules themselves run in memory through every door
//! (tests/rules.rs).

use crate::support::*;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::Instant;

const BUDGET: Duration = Duration::from_secs(60);

fn assert_failed_with(answer: &Value, needle: &str) {
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    let reason = answer["Reason"].as_str().unwrap();
    assert!(
        reason.contains(needle),
        "reason {reason:?} does not contain {needle:?}"
    );
    assert!(reason.ends_with("Log stream: test-log-stream"), "{reason}");
}

#[tokio::test]
async fn create_across_accounts_writes_the_child_name_servers() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = w.moto.provider().await;
    let driver = Driver::new(CHILD_ACCOUNT, "dev-dns", "Delegation", &receiver);

    let event = driver.create(&w.props());
    let answer = run(&provider, event.clone(), BUDGET).await.unwrap();

    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let expected_id = format!("{}/dev.example.com", w.parent_zone);
    assert_eq!(answer["PhysicalResourceId"], expected_id);
    assert_eq!(answer["RequestId"], event["RequestId"]);
    assert_eq!(answer["StackId"], event["StackId"]);
    assert_eq!(answer["LogicalResourceId"], "Delegation");
    let child_ns = name_servers(&w.child, &w.child_zone).await;
    let data = answer["Data"].as_object().unwrap();
    let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, DATA_KEYS);
    assert_eq!(data["DelegatedName"], "dev.example.com");
    assert_eq!(data["NameServers"], child_ns.join(","));
    assert_eq!(data["ParentHostedZoneId"], w.parent_zone.as_str());
    assert_eq!(data["ChildHostedZoneId"], w.child_zone.as_str());
    assert_eq!(data["TTL"], "172800");
    assert!(!data["ChangeId"].as_str().unwrap().is_empty());
    assert_eq!(data["DsRecord"], "");

    assert_eq!(
        w.delegations().await,
        vec![(
            "dev.example.com.".to_string(),
            "NS".to_string(),
            172800,
            fqdn_sorted(&child_ns)
        )]
    );

    let puts = receiver.puts();
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0].method, "PUT");
    assert_eq!(
        puts[0].content_type.as_deref(),
        Some(""),
        "Content-Type must be present and empty"
    );
    assert_eq!(puts[0].content_length, Some(puts[0].body.len()));
    assert!(
        puts[0].target.contains("X-Amz-Signature="),
        "the pre-signed query string is kept on the PUT"
    );
    assert_eq!(puts[0].json(), answer);
}

/// An answer without its change ID, which only a request that wrote something has.
fn without_change_id(answer: &Value) -> Value {
    let mut answer = answer.clone();
    answer["Data"]["ChangeId"].take();
    answer
}

#[tokio::test]
async fn refusals_that_depend_on_route53s_answers_name_the_problem_and_change_nothing() {
    // What only moto's answers show: a private zone's flag and a zone that does not exist, on
    // either side. The name, policy and property refusals are proven in memory (tests/rules.rs,
    // src/domain/tests/properties.rs) and against the binary (tests/corpus.rs).
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = w.moto.provider().await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    let private_child = create_private_zone(&w.child, "priv.example.com").await;
    let private_parent = create_private_zone(&w.parent, "internal.example.com").await;
    let before = w.parent_records().await;
    let with = |key: &str, value: &str| {
        let mut p = w.props();
        p[key] = json!(value);
        p
    };
    let cases = [
        (
            with("ChildHostedZoneId", &private_child),
            "is a private hosted zone; delegate to a public hosted zone",
        ),
        (
            with("ParentHostedZoneId", &private_parent),
            "is a private hosted zone; delegations need a public parent zone",
        ),
        (with("ChildHostedZoneId", "ZNOSUCHZONE"), "NoSuchHostedZone"),
        (
            with("ParentHostedZoneId", "ZNOSUCHPARENT"),
            "NoSuchHostedZone",
        ),
    ];
    for (props, needle) in cases {
        let answer = run(&provider, driver.create(&props), BUDGET).await.unwrap();
        assert_failed_with(&answer, needle);
        assert!(
            answer["PhysicalResourceId"]
                .as_str()
                .unwrap()
                .starts_with("failed-create:"),
            "{answer}"
        );
        assert_eq!(
            w.parent_records().await,
            before,
            "parent zone changed after {needle}"
        );
    }
}

#[tokio::test]
async fn unparseable_ids_are_deleted_without_any_aws_call() {
    // No moto at all: any AWS call would fail, so SUCCESS proves none was made.
    let receiver = Receiver::start().await;
    let dead = free_port();
    let provider = provider_at(&format!("http://127.0.0.1:{dead}")).await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    let props = json!({"ParentHostedZoneId": "ZP", "ChildHostedZoneId": "ZC"});
    for id in [
        "failed-create:5b0c",
        "s-D-1A2B3C4D5E6F",
        "2026/11/27/[$LATEST]abc",
        "ZP/Example.com.",
    ] {
        let started = Instant::now();
        let answer = run(&provider, driver.delete(id, &props), BUDGET)
            .await
            .unwrap();
        assert_eq!(answer["Status"], "SUCCESS", "{answer}");
        assert_eq!(answer["PhysicalResourceId"], id);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}

#[tokio::test]
async fn a_stalled_route53_gets_failed_before_the_deadline() {
    // A socket that accepts and never answers.
    let stall = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = stall.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = stall.accept().await {
            held.push(sock);
        }
    });
    let receiver = Receiver::start().await;
    let provider = provider_at(&format!("http://127.0.0.1:{port}")).await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    let budget = Duration::from_secs(14);
    let deadline = Instant::now() + budget;
    let answer = run(
        &provider,
        driver.create(&json!({"ParentHostedZoneId": "ZP", "ChildHostedZoneId": "ZC"})),
        budget,
    )
    .await
    .unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(
        answer["Reason"]
            .as_str()
            .unwrap()
            .contains("did not finish before the Lambda deadline"),
        "{answer}"
    );
    let put = receiver.puts().pop().expect("the guard answered");
    let margin = deadline.duration_since(put.at);
    assert!(
        margin >= Duration::from_secs(5),
        "answered only {margin:?} before the deadline"
    );
}

#[tokio::test]
async fn the_answer_is_retried_on_5xx_but_not_on_4xx() {
    let receiver = Receiver::start().await;
    let dead = free_port();
    let provider = provider_at(&format!("http://127.0.0.1:{dead}")).await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    let props = json!({"ParentHostedZoneId": "ZP", "ChildHostedZoneId": "ZC"});

    receiver.program(&[500, 500, 200]);
    run(&provider, driver.delete("failed-create:x", &props), BUDGET)
        .await
        .unwrap();
    let puts = receiver.puts();
    assert_eq!(puts.len(), 3);
    assert!(puts.iter().all(|p| p.body == puts[0].body));

    receiver.clear();
    receiver.program(&[403, 200]);
    run(&provider, driver.delete("failed-create:x", &props), BUDGET)
        .await
        .unwrap();
    assert_eq!(receiver.puts().len(), 1, "a 403 is final");
}

#[tokio::test]
async fn sns_wrapped_requests_work_and_foreign_urls_get_nothing() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = w.moto.provider().await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    let direct = driver.create(&w.props());
    let sns = json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": {"Type": "Notification", "Message": direct.to_string()}}]});
    let via_sns = run(&provider, sns, BUDGET).await.unwrap();
    let via_direct = run(&provider, direct, BUDGET).await.unwrap();
    assert_eq!(via_sns["Status"], "SUCCESS", "{via_sns}");
    assert_eq!(without_change_id(&via_sns), without_change_id(&via_direct));
    assert_eq!(receiver.puts().len(), 2);

    // Loopback is allowed only by the explicit setting; a foreign host never.
    receiver.clear();
    let strict = subdomain_delegation::cfn::runner::Provider::new(
        subdomain_delegation::aws::SdkConnector::new(
            w.moto.sdk_config().await,
            subdomain_delegation::aws::retry_config(),
        ),
        subdomain_delegation::config::Config {
            allow_loopback_response_url: false,
            ..test_config()
        },
        subdomain_delegation::cfn::responder::Responder::default(),
    );
    let before = w.parent_records().await;
    let mut event = driver.create(&w.props());
    event["ResourceProperties"]["TTL"] = json!("60");
    assert!(run(&strict, event.clone(), BUDGET).await.is_none());
    event["ResponseURL"] = json!("https://attacker.example.com/collect?x=1");
    assert!(run(&provider, event, BUDGET).await.is_none());
    assert!(receiver.puts().is_empty());
    assert_eq!(
        w.parent_records().await,
        before,
        "an unanswerable request changes nothing"
    );
}

#[tokio::test]
async fn dnssec_auto_on_an_unsigned_child_reads_once_and_writes_no_ds() {
    // Counted on the emulator's side: the fault proxy logs every call moto receives.
    let w = World::new().await;
    let proxy = FaultProxy::start(&w.moto.endpoint);
    let receiver = Receiver::start().await;
    let provider = provider_at(&proxy.endpoint).await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    let answer = run(&provider, driver.create(&w.props()), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["Data"]["DsRecord"], "");
    let dnssec = proxy.calls("GetDNSSEC").await;
    assert_eq!(dnssec.len(), 1, "{dnssec:?}");
    assert_eq!(
        dnssec[0]["account"], CHILD_ACCOUNT,
        "read in the child account"
    );
    assert!(w.delegations().await.iter().all(|r| r.1 != "DS"));
    assert_eq!(w.delegations().await.len(), 1);

    let mut off = w.props();
    off["Dnssec"] = json!("off");
    run(&provider, driver.create(&off), BUDGET).await.unwrap();
    assert_eq!(
        proxy.calls("GetDNSSEC").await.len(),
        1,
        "Dnssec=off never reads DNSSEC"
    );
}
