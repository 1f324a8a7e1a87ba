//! The provider end to end against moto in multi-account mode, answering a loopback receiver.

use crate::support::*;
use aws_sdk_route53::types::ChangeAction;
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

#[tokio::test]
async fn parent_by_name_picks_the_one_public_zone() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = w.moto.provider().await;
    create_private_zone(&w.parent, "example.com").await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    let mut props = w.props();
    props.as_object_mut().unwrap().remove("ParentHostedZoneId");
    props["ParentHostedZoneName"] = json!("Example.COM.");
    let answer = run(&provider, driver.create(&props), BUDGET).await.unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(
        answer["PhysicalResourceId"],
        format!("{}/dev.example.com", w.parent_zone)
    );

    // A second public zone of that name: ambiguous.
    let second = create_zone(&w.parent, "example.com").await;
    let answer = run(&provider, driver.create(&props), BUDGET).await.unwrap();
    assert_failed_with(&answer, "2 public hosted zones are named example.com");
    assert!(answer["Reason"].as_str().unwrap().contains(&second));
    assert_eq!(
        answer["PhysicalResourceId"],
        format!(
            "failed-create:{}",
            receiver.puts().last().unwrap().json()["RequestId"]
                .as_str()
                .unwrap()
        )
    );

    // No zone of that name.
    props["ParentHostedZoneName"] = json!("example.org");
    let answer = run(&provider, driver.create(&props), BUDGET).await.unwrap();
    assert_failed_with(&answer, "no public hosted zone is named example.org");
}

/// An answer without its change ID, which only a request that wrote something has.
fn without_change_id(answer: &Value) -> Value {
    let mut answer = answer.clone();
    answer["Data"]["ChangeId"].take();
    answer
}

#[tokio::test]
async fn the_same_create_twice_gives_one_record_and_the_same_answer() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = w.moto.provider().await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    let event = driver.create(&w.props());
    let first = run(&provider, event.clone(), BUDGET).await.unwrap();
    let after_first = w.parent_records().await;
    let second = run(&provider, event, BUDGET).await.unwrap();
    assert_eq!(first["Status"], "SUCCESS");
    // The same answer; the second found its record as desired and wrote nothing, so it has no
    // change ID.
    assert_eq!(second["Data"]["ChangeId"], "", "{second}");
    assert_eq!(without_change_id(&first), without_change_id(&second));
    assert_eq!(w.parent_records().await, after_first);
    assert_eq!(w.delegations().await.len(), 1);
}

#[tokio::test]
async fn an_existing_other_delegation_is_a_conflict_unless_replace() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = w.moto.provider().await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    change_record(
        &w.parent,
        &w.parent_zone,
        ChangeAction::Create,
        "dev.example.com",
        "NS",
        300,
        &["ns1.elsewhere.org."],
    )
    .await;
    let before = w.parent_records().await;

    let answer = run(&provider, driver.create(&w.props()), BUDGET)
        .await
        .unwrap();
    assert_failed_with(
        &answer,
        "already has NS records at dev.example.com with other values (ns1.elsewhere.org.)",
    );
    assert!(
        answer["PhysicalResourceId"]
            .as_str()
            .unwrap()
            .starts_with("failed-create:")
    );
    assert_eq!(
        w.parent_records().await,
        before,
        "a refused Create changes nothing"
    );

    let mut props = w.props();
    props["OnConflict"] = json!("replace");
    let answer = run(&provider, driver.create(&props), BUDGET).await.unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let child_ns = name_servers(&w.child, &w.child_zone).await;
    assert_eq!(
        w.delegations().await,
        vec![(
            "dev.example.com.".into(),
            "NS".into(),
            172800,
            fqdn_sorted(&child_ns)
        )]
    );
}

#[tokio::test]
async fn occluded_records_are_refused_unless_allowed() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = w.moto.provider().await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    change_record(
        &w.parent,
        &w.parent_zone,
        ChangeAction::Create,
        "api.dev.example.com",
        "A",
        60,
        &["192.0.2.10"],
    )
    .await;
    change_record(
        &w.parent,
        &w.parent_zone,
        ChangeAction::Create,
        "dev.example.com",
        "TXT",
        60,
        &["\"hello\""],
    )
    .await;
    // Not below dev.example.com by labels: must not count.
    change_record(
        &w.parent,
        &w.parent_zone,
        ChangeAction::Create,
        "xdev.example.com",
        "A",
        60,
        &["192.0.2.11"],
    )
    .await;
    let before = w.parent_records().await;

    let answer = run(&provider, driver.create(&w.props()), BUDGET)
        .await
        .unwrap();
    assert_failed_with(
        &answer,
        "records at or below dev.example.com that the delegation would hide",
    );
    let reason = answer["Reason"].as_str().unwrap();
    assert!(
        reason.contains("api.dev.example.com A") && reason.contains("dev.example.com TXT"),
        "{reason}"
    );
    assert!(!reason.contains("xdev"), "{reason}");
    assert_eq!(w.parent_records().await, before);

    let mut props = w.props();
    props["AllowOccludedRecords"] = json!("true");
    let answer = run(&provider, driver.create(&props), BUDGET).await.unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert!(
        w.parent_records()
            .await
            .iter()
            .any(|r| r.0 == "dev.example.com." && r.1 == "NS")
    );
}

#[tokio::test]
async fn every_refusal_names_the_problem_and_changes_nothing() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = w.moto.provider().await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    // Zones that make the name refusals (docs/design.md, "Lifecycle"): the apex itself, a name
    // outside, a private child. The first two are in the provider's own account, which needs no
    // allotment; in a child account the policy refuses them first, before any parent call.
    let apex_child = create_zone(&w.parent, "example.com").await;
    let outside_child = create_zone(&w.parent, "badexample.com").await;
    let private_child = create_private_zone(&w.child, "priv.example.com").await;
    let private_parent = create_private_zone(&w.parent, "internal.example.com").await;
    let before = w.parent_records().await;

    let with = |changes: Value| {
        let mut p = w.props();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                p.as_object_mut().unwrap().remove(k);
            } else {
                p[k] = v.clone();
            }
        }
        p
    };
    let own = |zone: &str| {
        with(json!({"ChildHostedZoneId": zone, "ChildRoleArn": null, "ChildExternalId": null}))
    };
    let own_driver = Driver::new(PARENT_ACCOUNT, "dns", "D", &receiver);
    for (props, needle) in [
        (
            own(&apex_child),
            "is the parent zone's own name; the provider never touches a zone apex",
        ),
        (
            own(&outside_child),
            "badexample.com is not below the parent zone example.com",
        ),
    ] {
        let answer = run(&provider, own_driver.create(&props), BUDGET)
            .await
            .unwrap();
        assert_failed_with(&answer, needle);
    }
    // From a child account, the policy refuses a name it does not allot before anything else.
    let child_apex = create_zone(&w.child, "example.com").await;
    let cases: Vec<(Value, &str)> = vec![
        (
            with(json!({"ChildHostedZoneId": child_apex})),
            "account 222222222222 may not delegate example.com",
        ),
        (
            with(json!({"ChildHostedZoneId": private_child})),
            "is a private hosted zone; delegate to a public hosted zone",
        ),
        (
            with(json!({"ParentHostedZoneId": private_parent})),
            "is a private hosted zone; delegations need a public parent zone",
        ),
        (
            with(json!({"DelegatedName": "test.example.com"})),
            "DelegatedName is test.example.com but the child zone",
        ),
        (
            with(json!({"TTL": "0"})),
            "property TTL is 0; use 1 to 604800",
        ),
        (with(json!({"TTL": "604801"})), "property TTL is 604801"),
        (with(json!({"TTL": "ten"})), "property TTL is \"ten\""),
        (with(json!({"Ttl": "300"})), "unknown property \"Ttl\""),
        (
            with(json!({"ChildHostedZoneId": null})),
            "property ChildHostedZoneId is required",
        ),
        (
            with(json!({"ParentHostedZoneId": null})),
            "ParentHostedZoneId or ParentHostedZoneName is required",
        ),
        (
            with(json!({"ParentHostedZoneName": "example.com"})),
            "exactly one of ParentHostedZoneId and ParentHostedZoneName",
        ),
        (
            with(json!({"WaitForSync": "maybe"})),
            "property WaitForSync is \"maybe\"",
        ),
        (
            with(json!({"OnConflict": "overwrite"})),
            "property OnConflict",
        ),
        (
            with(json!({"AllowOccludedRecords": "1"})),
            "property AllowOccludedRecords",
        ),
        (
            with(json!({"ChildRoleArn": "arn:aws:iam::12:role/x"})),
            "property ChildRoleArn",
        ),
        (
            with(json!({"ChildExternalId": "x"})),
            "property ChildExternalId must be 2 to 1224",
        ),
        (
            with(json!({"ChildHostedZoneId": "ZNOSUCHZONE"})),
            "NoSuchHostedZone",
        ),
        (
            with(json!({"ParentHostedZoneId": "ZNOSUCHPARENT"})),
            "NoSuchHostedZone",
        ),
        (
            with(json!({"DelegatedName": "dev..example.com"})),
            "property DelegatedName",
        ),
        (with(json!({"StsRegion": "nowhere"})), "property StsRegion"),
        (with(json!({"Dnssec": "maybe"})), "property Dnssec"),
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
async fn updates_converge_in_place_or_replace_with_cleanup_and_rollback() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = w.moto.provider().await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    let props = w.props();
    let created = run(&provider, driver.create(&props), BUDGET).await.unwrap();
    let id = created["PhysicalResourceId"].as_str().unwrap().to_string();

    // In place: TTL.
    let mut ttl_props = props.clone();
    ttl_props["TTL"] = json!("300");
    let answer = run(&provider, driver.update(&id, &ttl_props, &props), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id);
    assert_eq!(answer["Data"]["TTL"], "300");
    let child_ns = fqdn_sorted(&name_servers(&w.child, &w.child_zone).await);
    assert_eq!(
        w.delegations().await,
        vec![(
            "dev.example.com.".into(),
            "NS".into(),
            300,
            child_ns.clone()
        )]
    );

    // New identity: another child zone.
    let test_zone = create_zone(&w.child, "test.example.com").await;
    let mut new_props = ttl_props.clone();
    new_props["ChildHostedZoneId"] = json!(test_zone);
    let answer = run(
        &provider,
        driver.update(&id, &new_props, &ttl_props),
        BUDGET,
    )
    .await
    .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let new_id = format!("{}/test.example.com", w.parent_zone);
    assert_eq!(answer["PhysicalResourceId"], new_id);
    assert_eq!(w.delegations().await.len(), 2, "both names until cleanup");

    // Rollback: CloudFormation sends an Update back to the old properties with the new ID.
    let answer = run(
        &provider,
        driver.update(&new_id, &ttl_props, &new_props),
        BUDGET,
    )
    .await
    .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id);
    // …and then deletes the new ID during rollback cleanup.
    let answer = run(&provider, driver.delete(&new_id, &new_props), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(
        w.delegations().await,
        vec![(
            "dev.example.com.".into(),
            "NS".into(),
            300,
            child_ns.clone()
        )]
    );

    // Forward again, then the cleanup Delete of the old ID removes only the old record.
    let answer = run(
        &provider,
        driver.update(&id, &new_props, &ttl_props),
        BUDGET,
    )
    .await
    .unwrap();
    assert_eq!(answer["PhysicalResourceId"], new_id);
    let answer = run(&provider, driver.delete(&id, &ttl_props), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id);
    assert_eq!(
        w.delegations().await,
        vec![("test.example.com.".into(), "NS".into(), 300, child_ns)]
    );

    // A failed Update answers the existing ID and changes nothing.
    let before = w.parent_records().await;
    let mut bad = new_props.clone();
    bad["TTL"] = json!("-1");
    let answer = run(&provider, driver.update(&new_id, &bad, &new_props), BUDGET)
        .await
        .unwrap();
    assert_failed_with(&answer, "property TTL");
    assert_eq!(answer["PhysicalResourceId"], new_id);
    assert_eq!(w.parent_records().await, before);
}

#[tokio::test]
async fn delete_removes_exactly_what_is_ours() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = w.moto.provider().await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    let props = w.props();
    let id = run(&provider, driver.create(&props), BUDGET).await.unwrap()["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .to_string();
    let child_ns = name_servers(&w.child, &w.child_zone).await;
    let ns_refs: Vec<&str> = child_ns.iter().map(String::as_str).collect();

    // TTL changed by hand: still deleted (exact live TTL).
    change_record(
        &w.parent,
        &w.parent_zone,
        ChangeAction::Upsert,
        "dev.example.com",
        "NS",
        60,
        &ns_refs,
    )
    .await;
    let answer = run(&provider, driver.delete(&id, &props), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id);
    assert!(w.delegations().await.is_empty());

    // Absent: SUCCESS.
    let answer = run(&provider, driver.delete(&id, &props), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");

    // Now pointing elsewhere: left in place.
    change_record(
        &w.parent,
        &w.parent_zone,
        ChangeAction::Create,
        "dev.example.com",
        "NS",
        300,
        &["ns1.elsewhere.org."],
    )
    .await;
    let before = w.parent_records().await;
    let answer = run(&provider, driver.delete(&id, &props), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(w.parent_records().await, before);
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
async fn a_failed_create_answers_a_marker_and_its_delete_changes_nothing() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = w.moto.provider().await;
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    let mut props = w.props();
    props["DelegatedName"] = json!("wrong.example.com");
    let event = driver.create(&props);
    let answer = run(&provider, event.clone(), BUDGET).await.unwrap();
    assert_eq!(answer["Status"], "FAILED");
    let marker = format!("failed-create:{}", event["RequestId"].as_str().unwrap());
    assert_eq!(answer["PhysicalResourceId"], marker);
    let before = w.parent_records().await;
    let answer = run(&provider, driver.delete(&marker, &props), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "SUCCESS");
    assert_eq!(w.parent_records().await, before);
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
