//! The fake's own promises, at the ports: the faults answer as the SDK adapters would (a refusal
//! names its guardrail, a stale batch is `Stale`, throttling is waited out or given up on), and
//! nothing a refused batch carried is applied.

use super::*;
use crate::domain::guardrail::Guardrail;
use crate::domain::model::{LiveRecord, RecordAction, RecordKind};
use crate::ports::{ErrorKind, ParentZoneStore, ZoneLister};
use std::time::Duration;
use tokio::time::Instant;

const ACCOUNT: &str = "111111111111";

fn upsert(name: &str) -> Vec<Change> {
    vec![Change {
        action: RecordAction::Upsert,
        name: DnsName::parse(name).unwrap(),
        kind: RecordKind::Ns,
        ttl: 300,
        values: vec!["ns1.dns.test.".into()],
    }]
}

fn world() -> (Memory, ZoneId) {
    let aws = Memory::new(ACCOUNT);
    let zone = aws.add_zone(ACCOUNT, "example.com");
    (aws, ZoneId::parse(&zone).unwrap())
}

#[tokio::test]
async fn refused_and_stale_batches_change_nothing_until_the_fault_is_spent() {
    let (aws, zone) = world();
    let before = aws.records(zone.as_str());
    let r53 = aws.route53(ACCOUNT);
    aws.refuse_changes("dev.example.com", Guardrail::ActiveDelegation, 1);
    aws.stale("dev.example.com", 1);
    let refused = r53.change(&zone, &upsert("dev.example.com"), "").await;
    let ErrorKind::Refused(refusal) = refused.unwrap_err().kind else {
        panic!("a refusal")
    };
    assert_eq!(refusal.guardrail, Some(Guardrail::ActiveDelegation));
    assert!(
        refusal
            .message
            .contains("[RRSet with DNS name dev.example.com., type NS]")
    );
    let stale = r53.change(&zone, &upsert("dev.example.com"), "").await;
    assert!(stale.unwrap_err().is(&ErrorKind::Stale));
    // A batch that does not touch the name is not refused.
    r53.change(&zone, &upsert("other.example.com"), "")
        .await
        .unwrap();
    assert_eq!(aws.records(zone.as_str()).len(), before.len() + 1);
    r53.change(&zone, &upsert("dev.example.com"), "")
        .await
        .unwrap();
    assert_eq!(aws.changes_sent().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_call_is_waited_out_unless_the_caller_gives_up() {
    let (aws, zone) = world();
    let r53 = aws.route53(ACCOUNT);
    let started = Instant::now();
    aws.throttle(Op::ChangeResourceRecordSets, ACCOUNT, 2);
    r53.change(&zone, &upsert("a.example.com"), "")
        .await
        .unwrap();
    assert_eq!(started.elapsed(), 2 * THROTTLE_BACKOFF);
    assert_eq!(aws.count(Op::ChangeResourceRecordSets, ACCOUNT), 3);

    aws.throttle(Op::ChangeResourceRecordSets, ACCOUNT, 5);
    let gave_up = r53
        .change_unless_throttled(&zone, &upsert("b.example.com"), "", 3)
        .await;
    assert!(gave_up.unwrap_err().is(&ErrorKind::Throttled));
    assert_eq!(aws.count(Op::ChangeResourceRecordSets, ACCOUNT), 6);
    assert!(
        !aws.records(zone.as_str())
            .iter()
            .any(|r| r.0 == "b.example.com.")
    );
    // Two throttles are left: the next call waits them out.
    r53.change_unless_throttled(&zone, &upsert("b.example.com"), "", 3)
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_slow_operation_answers_late_in_every_account() {
    let (aws, zone) = world();
    aws.slow(Op::GetHostedZone, Duration::from_secs(7));
    let started = Instant::now();
    ParentZoneStore::hosted_zone(&aws.route53(ACCOUNT), &zone)
        .await
        .unwrap();
    let other = ParentZoneStore::hosted_zone(&aws.route53("222222222222"), &zone).await;
    assert!(other.unwrap_err().is(&ErrorKind::AccessDenied));
    assert_eq!(started.elapsed(), Duration::from_secs(14));
    aws.slow(Op::GetHostedZone, Duration::ZERO);
    ParentZoneStore::hosted_zone(&aws.route53(ACCOUNT), &zone)
        .await
        .unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(14));
}

#[tokio::test]
async fn the_lister_reads_every_public_zone_and_every_delegation_page() {
    let (aws, zone) = world();
    for i in 0..150 {
        aws.add_zone(ACCOUNT, &format!("z{i}.example.org"));
    }
    aws.add_private_zone(ACCOUNT, "internal.example.com");
    aws.add_zone("222222222222", "example.net");
    let r53 = aws.route53(ACCOUNT);
    let zones = r53.public_zones().await.unwrap();
    assert_eq!(zones.len(), 151);
    assert!(zones.iter().all(|z| !z.private));
    assert_eq!(aws.count(Op::ListHostedZones, ACCOUNT), 2);

    aws.put_record(
        zone.as_str(),
        "a.example.com",
        "NS",
        300,
        &["ns1.dns.test."],
    );
    aws.put_record(zone.as_str(), "a.example.com", "DS", 300, &["1 13 2 ab"]);
    aws.put_record(zone.as_str(), "b.example.com", "A", 300, &["192.0.2.1"]);
    aws.put_record(
        zone.as_str(),
        "c.example.com",
        "NS",
        300,
        &["ns1.dns.test."],
    );
    aws.set_record_page_size(2);
    let records = r53.delegation_records(&zone).await.unwrap();
    let names: Vec<String> = records.iter().map(LiveRecord::describe).collect();
    // The apex SOA and the A record are dropped; six record sets are three pages.
    assert_eq!(
        names,
        [
            "example.com NS",
            "a.example.com DS",
            "a.example.com NS",
            "c.example.com NS"
        ]
    );
    assert_eq!(aws.count(Op::ListResourceRecordSets, ACCOUNT), 3);
}
