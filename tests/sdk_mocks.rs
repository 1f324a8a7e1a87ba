//! Behaviour moto cannot show, with SDK clients answering like Route 53 does: DNSSEC signing and
//! key rollovers (moto never signs), and SDK error paths.

use crate::support::mocked::MockedSdk;
use crate::support::{Driver, Receiver, record_set};
use aws_sdk_route53::Client;
use aws_sdk_route53::operation::change_resource_record_sets::{
    ChangeResourceRecordSetsInput, ChangeResourceRecordSetsOutput,
};
use aws_sdk_route53::operation::get_dnssec::GetDnssecOutput;
use aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneOutput;
use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
use aws_sdk_route53::types::{
    ChangeInfo, ChangeStatus, DelegationSet, DnssecStatus, HostedZone, HostedZoneConfig,
    KeySigningKey, ResourceRecordSet, RrType,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use subdomain_delegation::aws::Route53;
use subdomain_delegation::aws::pace::{AccountPace, PaceHooks, ThrottleSchedule};
use subdomain_delegation::cfn::responder::Responder;
use subdomain_delegation::cfn::runner::Provider;
use subdomain_delegation::domain::model::LiveRecord;
use subdomain_delegation::domain::name::DnsName;
use subdomain_delegation::domain::properties::ZoneId;
use subdomain_delegation::ports::ParentZoneStore;
use subdomain_delegation::usecase::records;
use tokio::time::Instant;

const PARENT: &str = "Z0PARENT";
const CHILD: &str = "Z0CHILD";
const NS: [&str; 4] = [
    "ns-1.awsdns-01.org",
    "ns-2.awsdns-02.co.uk",
    "ns-3.awsdns-03.com",
    "ns-4.awsdns-04.net",
];
const DS_A: &str = "12345 13 2 4B7E3A2C1D0F9E8D7C6B5A49382716050F1E2D3C4B5A69788796A5B4C3D2E1F0";
const DS_B: &str = "54321 13 2 0F1E2D3C4B5A69788796A5B4C3D2E1F04B7E3A2C1D0F9E8D7C6B5A4938271605";

/// An error exactly as Route 53 sends it (REST-XML), so the SDK parses it as it would in AWS.
fn route53_error(status: u16, code: &str, message: &str) -> aws_smithy_runtime_api::http::Response {
    aws_smithy_runtime_api::http::Response::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(format!(
            r#"<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>5c3e4f1a-0000-4000-a000-000000000000</RequestId></ErrorResponse>"#
        )),
    )
}

/// A one-page ListResourceRecordSets answer.
fn listing(records: Vec<ResourceRecordSet>) -> ListResourceRecordSetsOutput {
    ListResourceRecordSetsOutput::builder()
        .set_resource_record_sets(Some(records))
        .is_truncated(false)
        .max_items(300)
        .build()
        .unwrap()
}

/// A ChangeResourceRecordSets answer that is already INSYNC.
fn insync_change(id: &str) -> ChangeResourceRecordSetsOutput {
    ChangeResourceRecordSetsOutput::builder()
        .change_info(
            ChangeInfo::builder()
                .id(id)
                .status(ChangeStatus::Insync)
                .submitted_at(aws_smithy_types::DateTime::from_secs(0))
                .build()
                .unwrap(),
        )
        .build()
}

fn zone(id: &str, name: &str) -> GetHostedZoneOutput {
    GetHostedZoneOutput::builder()
        .hosted_zone(
            HostedZone::builder()
                .id(format!("/hostedzone/{id}"))
                .name(format!("{name}."))
                .caller_reference("ref")
                .config(HostedZoneConfig::builder().private_zone(false).build())
                .build()
                .unwrap(),
        )
        .delegation_set(
            DelegationSet::builder()
                .set_name_servers(Some(NS.iter().map(|s| s.to_string()).collect()))
                .build()
                .unwrap(),
        )
        .build()
}

fn ksk(name: &str, status: &str, ds: &str) -> KeySigningKey {
    KeySigningKey::builder()
        .name(name)
        .status(status)
        .ds_record(ds)
        .key_tag(1)
        .flag(257)
        .build()
}

fn dnssec(status: &str, keys: Vec<KeySigningKey>) -> GetDnssecOutput {
    GetDnssecOutput::builder()
        .status(DnssecStatus::builder().serve_signature(status).build())
        .set_key_signing_keys(Some(keys))
        .build()
        .unwrap()
}

fn ns_fqdn() -> Vec<&'static str> {
    vec![
        "ns-1.awsdns-01.org.",
        "ns-2.awsdns-02.co.uk.",
        "ns-3.awsdns-03.com.",
        "ns-4.awsdns-04.net.",
    ]
}

/// One change as (action, type, ttl, sorted values).
type Seen = (String, String, i64, Vec<String>);

struct Setup {
    dnssec: GetDnssecOutput,
    live: Vec<ResourceRecordSet>,
}

struct Harness {
    provider: Provider<MockedSdk>,
    batches: Arc<Mutex<Vec<Vec<Seen>>>>,
    dnssec_rule: Rule,
    change_rule: Rule,
    driver: Driver,
    receiver: Receiver,
}

fn record_batch(batches: &Arc<Mutex<Vec<Vec<Seen>>>>, req: &ChangeResourceRecordSetsInput) {
    let batch = req
        .change_batch()
        .unwrap()
        .changes()
        .iter()
        .map(|c| {
            let set = c.resource_record_set().unwrap();
            let mut values: Vec<String> = set
                .resource_records()
                .iter()
                .map(|r| r.value().to_string())
                .collect();
            values.sort();
            (
                c.action().as_str().to_string(),
                set.r#type().as_str().to_string(),
                set.ttl().unwrap(),
                values,
            )
        })
        .collect();
    batches.lock().unwrap().push(batch);
}

async fn harness(setup: Setup) -> Harness {
    harness_with(setup, None).await
}

async fn harness_with(setup: Setup, change_rule: Option<Rule>) -> Harness {
    let batches: Arc<Mutex<Vec<Vec<Seen>>>> = Arc::default();
    let recorded = batches.clone();
    let parent_zone_rule =
        mock!(Client::get_hosted_zone).then_output(|| zone(PARENT, "example.com"));
    let child_zone_rule =
        mock!(Client::get_hosted_zone).then_output(|| zone(CHILD, "dev.example.com"));
    let live = setup.live.clone();
    let list_rule =
        mock!(Client::list_resource_record_sets).then_output(move || listing(live.clone()));
    let change_rule = change_rule.unwrap_or_else(|| {
        mock!(Client::change_resource_record_sets)
            .match_requests(move |req| {
                record_batch(&recorded, req);
                true
            })
            .then_output(|| insync_change("/change/C0MOCK"))
    });
    let d = setup.dnssec.clone();
    let dnssec_rule = mock!(Client::get_dnssec).then_output(move || d.clone());
    let parent = mock_client!(
        aws_sdk_route53,
        RuleMode::MatchAny,
        [&parent_zone_rule, &list_rule, &change_rule]
    );
    let child = mock_client!(
        aws_sdk_route53,
        RuleMode::MatchAny,
        [&child_zone_rule, &dnssec_rule]
    );
    let receiver = Receiver::start().await;
    let provider = Provider::new(
        MockedSdk::route53(child, parent),
        crate::support::test_config(),
        Responder::new(2, Duration::from_millis(50)),
    );
    let driver = Driver::new("111111111111", "dev-dns", "Delegation", &receiver);
    Harness {
        provider,
        batches,
        dnssec_rule,
        change_rule,
        driver,
        receiver,
    }
}

impl Harness {
    async fn run(&self, event: Value) -> Value {
        let body = self
            .provider
            .handle(
                event,
                Instant::now() + Duration::from_secs(60),
                "mock-stream",
            )
            .await
            .unwrap();
        serde_json::from_slice(&body).unwrap()
    }
    fn batches(&self) -> Vec<Vec<Seen>> {
        self.batches.lock().unwrap().clone()
    }
}

fn props(extra: Value) -> Value {
    let mut p = json!({"ParentHostedZoneId": PARENT, "ChildHostedZoneId": CHILD, "TTL": "3600"});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    p
}

fn seen(action: &str, rtype: &str, ttl: i64, values: &[&str]) -> Seen {
    let mut v: Vec<String> = values.iter().map(|s| s.to_string()).collect();
    v.sort();
    (action.into(), rtype.into(), ttl, v)
}

#[tokio::test]
async fn a_key_rollover_publishes_a_ds_for_each_active_key() {
    let h = harness(Setup {
        dnssec: dnssec(
            "SIGNING",
            vec![ksk("ksk-a", "ACTIVE", DS_A), ksk("ksk-b", "ACTIVE", DS_B)],
        ),
        live: vec![],
    })
    .await;
    let answer = h.run(h.driver.create(&props(json!({})))).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(
        h.batches(),
        vec![vec![
            seen("UPSERT", "NS", 3600, &ns_fqdn()),
            seen("UPSERT", "DS", 3600, &[DS_A, DS_B])
        ]]
    );
    let mut data: Vec<&str> = answer["Data"]["DsRecord"]
        .as_str()
        .unwrap()
        .split(',')
        .collect();
    data.sort_unstable();
    let mut expected = vec![DS_A, DS_B];
    expected.sort_unstable();
    assert_eq!(data, expected);
}

#[tokio::test]
async fn a_key_no_longer_active_loses_its_ds_on_update() {
    let live = vec![
        record_set("dev.example.com.", RrType::Ns, 3600, &ns_fqdn()),
        record_set("dev.example.com.", RrType::Ds, 3600, &[DS_A, DS_B]),
    ];
    let h = harness(Setup {
        dnssec: dnssec(
            "SIGNING",
            vec![ksk("ksk-a", "INACTIVE", DS_A), ksk("ksk-b", "ACTIVE", DS_B)],
        ),
        live,
    })
    .await;
    let id = format!("{PARENT}/dev.example.com");
    let answer = h
        .run(h.driver.update(&id, &props(json!({})), &props(json!({}))))
        .await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    // The NS is already as desired: only the DS set changes.
    assert_eq!(h.batches(), vec![vec![seen("UPSERT", "DS", 3600, &[DS_B])]]);
}

#[tokio::test]
async fn signing_turned_off_removes_the_ds_on_update() {
    for status in ["NOT_SIGNING", "DELETING"] {
        let live = vec![
            record_set("dev.example.com.", RrType::Ns, 3600, &ns_fqdn()),
            record_set("dev.example.com.", RrType::Ds, 7200, &[DS_A]),
        ];
        let h = harness(Setup {
            dnssec: dnssec(status, vec![ksk("ksk-a", "ACTIVE", DS_A)]),
            live,
        })
        .await;
        let id = format!("{PARENT}/dev.example.com");
        let answer = h
            .run(h.driver.update(&id, &props(json!({})), &props(json!({}))))
            .await;
        assert_eq!(answer["Status"], "SUCCESS", "{answer}");
        assert_eq!(answer["PhysicalResourceId"], id);
        assert_eq!(answer["Data"]["DsRecord"], "");
        // The stale DS goes with its exact live TTL and values; the NS is already as desired.
        assert_eq!(
            h.batches(),
            vec![vec![seen("DELETE", "DS", 7200, &[DS_A])]],
            "{status}"
        );
    }
}

#[tokio::test]
async fn off_never_reads_or_writes_ds() {
    let live = vec![
        record_set("dev.example.com.", RrType::Ds, 3600, &[DS_A]),
        // Another TTL, so that the NS is written.
        record_set("dev.example.com.", RrType::Ns, 900, &ns_fqdn()),
    ];
    let h = harness(Setup {
        dnssec: dnssec("SIGNING", vec![ksk("ksk-a", "ACTIVE", DS_B)]),
        live,
    })
    .await;
    let answer = h
        .run(h.driver.create(&props(json!({"Dnssec": "off"}))))
        .await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(h.dnssec_rule.num_calls(), 0);
    assert_eq!(
        h.batches(),
        vec![vec![seen("UPSERT", "NS", 3600, &ns_fqdn())]]
    );
}

#[tokio::test]
async fn delete_removes_ds_and_ns_together_ds_first() {
    let live = vec![
        record_set("dev.example.com.", RrType::Ds, 600, &[DS_A, DS_B]),
        record_set("dev.example.com.", RrType::Ns, 900, &ns_fqdn()),
    ];
    let h = harness(Setup {
        dnssec: dnssec("SIGNING", vec![]),
        live,
    })
    .await;
    let id = format!("{PARENT}/dev.example.com");
    let answer = h.run(h.driver.delete(&id, &props(json!({})))).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(
        h.batches(),
        vec![vec![
            seen("DELETE", "DS", 600, &[DS_A, DS_B]),
            seen("DELETE", "NS", 900, &ns_fqdn())
        ]]
    );
}

#[tokio::test]
async fn a_child_role_without_getdnssec_is_told_what_to_grant() {
    let h = harness(Setup {
        dnssec: dnssec("SIGNING", vec![]),
        live: vec![],
    })
    .await;
    // Swap in a child whose GetDNSSEC is denied.
    let child_zone_rule =
        mock!(Client::get_hosted_zone).then_output(|| zone(CHILD, "dev.example.com"));
    let denied = mock!(Client::get_dnssec).then_http_response(|| route53_error(403, "AccessDenied", "User: arn:aws:sts::222222222222:assumed-role/Reader/s is not authorized to perform: route53:GetDNSSEC"));
    let child = mock_client!(
        aws_sdk_route53,
        RuleMode::MatchAny,
        [&child_zone_rule, &denied]
    );
    let parent_zone_rule =
        mock!(Client::get_hosted_zone).then_output(|| zone(PARENT, "example.com"));
    let list_rule = mock!(Client::list_resource_record_sets).then_output(|| listing(vec![]));
    let no_change = mock!(Client::change_resource_record_sets)
        .then_output(|| ChangeResourceRecordSetsOutput::builder().build());
    let parent = mock_client!(
        aws_sdk_route53,
        RuleMode::MatchAny,
        [&parent_zone_rule, &list_rule, &no_change]
    );
    let provider = Provider::new(
        MockedSdk::route53(child, parent),
        crate::support::test_config(),
        Responder::new(2, Duration::from_millis(50)),
    );
    let body = provider
        .handle(
            h.driver.create(&props(json!({}))),
            Instant::now() + Duration::from_secs(60),
            "s",
        )
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(
        answer["Reason"].as_str().unwrap().contains(
            "grant route53:GetDNSSEC on the child zone to the reader role, or set Dnssec to off"
        ),
        "{answer}"
    );
    assert_eq!(
        no_change.num_calls(),
        0,
        "nothing is written when DNSSEC cannot be read"
    );
}

#[tokio::test]
async fn a_delete_that_races_a_hand_edit_reads_again_and_deletes_the_new_values() {
    // The first DELETE names values that changed meanwhile; Route 53 refuses it, the provider
    // reads the record again and deletes what is there now.
    let batches: Arc<Mutex<Vec<Vec<Seen>>>> = Arc::default();
    let recorded = batches.clone();
    let change_rule = mock!(Client::change_resource_record_sets)
        .match_requests(move |req| {
            record_batch(&recorded, req);
            true
        })
        .sequence()
        .http_response(|| route53_error(400, "InvalidChangeBatch", "Tried to delete resource record set [name='dev.example.com.', type='NS'] but the values provided do not match the current values"))
        .output(|| insync_change("/change/C1"))
        .build();
    let live = vec![record_set("dev.example.com.", RrType::Ns, 900, &ns_fqdn())];
    let h = harness_with(
        Setup {
            dnssec: dnssec("NOT_SIGNING", vec![]),
            live,
        },
        Some(change_rule),
    )
    .await;
    let id = format!("{PARENT}/dev.example.com");
    let answer = h.run(h.driver.delete(&id, &props(json!({})))).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(h.change_rule.num_calls(), 2);
    assert_eq!(batches.lock().unwrap().len(), 2);
    assert!(
        batches
            .lock()
            .unwrap()
            .iter()
            .all(|b| b == &vec![seen("DELETE", "NS", 900, &ns_fqdn())])
    );
}

#[tokio::test]
async fn a_refused_change_batch_on_create_answers_the_marker() {
    let change_rule = mock!(Client::change_resource_record_sets).then_http_response(|| {
        route53_error(
            400,
            "InvalidChangeBatch",
            "RRSet of type NS with DNS name dev.example.com. is not permitted in zone example.com.",
        )
    });
    let h = harness_with(
        Setup {
            dnssec: dnssec("NOT_SIGNING", vec![]),
            live: vec![],
        },
        Some(change_rule),
    )
    .await;
    let event = h.driver.create(&props(json!({})));
    let answer = h.run(event.clone()).await;
    assert_eq!(answer["Status"], "FAILED");
    assert!(
        answer["Reason"]
            .as_str()
            .unwrap()
            .contains("InvalidChangeBatch"),
        "{answer}"
    );
    assert_eq!(
        answer["PhysicalResourceId"],
        format!("failed-create:{}", event["RequestId"].as_str().unwrap())
    );
    assert_eq!(h.receiver.puts().len(), 1);
}

/// The parent adapter as `SdkConnector` builds it (retry settings, pace hooks), over a mock. The
/// tests run on tokio's paused clock, so the SDK's retry sleeps and the pacing pass at once and
/// the time they asked for is what `Instant::elapsed` reports.
fn paced_parent(rules: &[&Rule], pace: &Arc<AccountPace>) -> Route53 {
    let hooks = PaceHooks(pace.clone());
    let client = mock_client!(aws_sdk_route53, RuleMode::Sequential, rules, move |b| b
        .retry_config(subdomain_delegation::aws::retry_config())
        .retry_classifier(hooks.clone())
        .interceptor(hooks.clone()));
    Route53::new(client, "parent").with_pace(pace.clone())
}

/// The parent's records at and below dev.example.com.
async fn read_dev(parent: &Route53, zone_id: &ZoneId) -> Vec<LiveRecord> {
    records::at_and_below(
        parent,
        zone_id,
        vec![DnsName::parse("dev.example.com").unwrap()],
    )
    .await
    .unwrap()
}

const TEST_SCHEDULE: ThrottleSchedule = ThrottleSchedule {
    base: Duration::from_secs(4),
    cap: Duration::from_secs(10),
    spacing: Duration::from_millis(205),
    memory: Duration::from_secs(60),
};

#[tokio::test(start_paused = true)]
async fn throttled_calls_back_off_with_equal_jitter_then_space_the_next_call() {
    let throttled_twice = mock!(Client::get_hosted_zone)
        .sequence()
        .http_response(|| route53_error(400, "Throttling", "Rate exceeded"))
        .times(2)
        .output(|| zone(PARENT, "example.com."))
        .build();
    let list = mock!(Client::list_resource_record_sets).then_output(|| listing(vec![]));
    let pace = AccountPace::new(TEST_SCHEDULE);
    let parent = paced_parent(&[&throttled_twice, &list], &pace);
    let zone_id = ZoneId::parse(PARENT).unwrap();

    let start = Instant::now();
    ParentZoneStore::hosted_zone(&parent, &zone_id)
        .await
        .unwrap();
    assert_eq!(throttled_twice.num_calls(), 3);
    // Equal jitter: [m/2, m] with m = 4 s, then 8 s; never an immediate retry.
    let waited = start.elapsed();
    assert!(
        (Duration::from_secs(6)..=Duration::from_secs(12)).contains(&waited),
        "{waited:?}"
    );

    // The account has throttled this process: the next call waits one token's worth of time.
    let before = Instant::now();
    read_dev(&parent, &zone_id).await;
    assert_eq!(list.num_calls(), 1);
    let spaced = before.elapsed();
    assert!(
        (TEST_SCHEDULE.spacing..Duration::from_secs(1)).contains(&spaced),
        "{spaced:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn unthrottled_calls_go_back_to_back() {
    let zone_rule = mock!(Client::get_hosted_zone).then_output(|| zone(PARENT, "example.com."));
    let list = mock!(Client::list_resource_record_sets).then_output(|| listing(vec![]));
    let pace = AccountPace::new(TEST_SCHEDULE);
    let parent = paced_parent(&[&zone_rule, &list], &pace);
    let zone_id = ZoneId::parse(PARENT).unwrap();
    let start = Instant::now();
    ParentZoneStore::hosted_zone(&parent, &zone_id)
        .await
        .unwrap();
    read_dev(&parent, &zone_id).await;
    assert_eq!((zone_rule.num_calls(), list.num_calls()), (1, 1));
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn other_retryable_errors_keep_the_sdk_backoff() {
    let unavailable_once = mock!(Client::get_hosted_zone)
        .sequence()
        .http_response(|| route53_error(503, "ServiceUnavailable", "try again"))
        .output(|| zone(PARENT, "example.com."))
        .build();
    let pace = AccountPace::new(TEST_SCHEDULE);
    let parent = paced_parent(&[&unavailable_once], &pace);
    let start = Instant::now();
    ParentZoneStore::hosted_zone(&parent, &ZoneId::parse(PARENT).unwrap())
        .await
        .unwrap();
    assert_eq!(unavailable_once.num_calls(), 2);
    // Full jitter from the 1 s base: at most 1 s, and no spacing afterwards (not a throttle).
    assert!(
        start.elapsed() <= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(pace.wait_at(Instant::now()), Duration::ZERO);
}

/// A page Route 53 cuts inside a name goes on at the type it names, and the read stops once
/// past the name's records (docs/design.md, "Batches").
#[tokio::test]
async fn a_page_cut_inside_a_name_goes_on_at_the_next_type() {
    let first = mock!(Client::list_resource_record_sets)
        .match_requests(|r| {
            r.start_record_name() == Some("dev.example.com.") && r.start_record_type().is_none()
        })
        .then_output(|| {
            ListResourceRecordSetsOutput::builder()
                .resource_record_sets(record_set(
                    "dev.example.com.",
                    RrType::Ns,
                    300,
                    &["ns-1.example.net."],
                ))
                .is_truncated(true)
                .next_record_name("dev.example.com.")
                .next_record_type(RrType::Ds)
                .max_items(1)
                .build()
                .unwrap()
        });
    let second = mock!(Client::list_resource_record_sets)
        .match_requests(|r| {
            r.start_record_name() == Some("dev.example.com.")
                && r.start_record_type() == Some(&RrType::Ds)
        })
        .then_output(|| {
            ListResourceRecordSetsOutput::builder()
                .resource_record_sets(record_set(
                    "dev.example.com.",
                    RrType::Ds,
                    300,
                    &["1 13 2 AB"],
                ))
                .is_truncated(true)
                .next_record_name("www.example.com.")
                .next_record_type(RrType::A)
                .max_items(1)
                .build()
                .unwrap()
        });
    let client = mock_client!(aws_sdk_route53, RuleMode::MatchAny, [&first, &second]);
    let parent = Route53::new(client, "parent");
    let live = read_dev(&parent, &ZoneId::parse(PARENT).unwrap()).await;
    let read: Vec<String> = live.iter().map(|r| r.describe()).collect();
    assert_eq!(read, ["dev.example.com NS", "dev.example.com DS"]);
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}
