//! The Security Hub import over the in-memory Security Hub (`crate::testkit`): pages, updates of
//! the same finding, archiving, and every kind of failure reported.
use super::*;
use crate::domain::finding::Severity;
use crate::domain::name::DnsName;
use crate::domain::properties::ZoneId;
use crate::domain::verdict::{Delegation, Evidence, Judgement, Verdict};
use crate::ports::{AdapterError, ErrorKind};
use crate::testkit::{Memory, Op};
use std::time::{Duration, UNIX_EPOCH};

const ACCOUNT: &str = "111111111111";

fn audited(name: &str, verdict: Verdict) -> Audited {
    Audited {
        delegation: Delegation {
            zone_id: ZoneId::parse("Z0PARENT").unwrap(),
            zone_name: DnsName::parse("example.com").unwrap(),
            name: DnsName::parse(name).unwrap(),
            ns_ttl: 300,
            ns: vec!["ns1.dns.test.".into()],
            ds_ttl: 0,
            ds: Vec::new(),
            glue: Vec::new(),
        },
        evidence: Evidence {
            servers: Vec::new(),
            apex_ns: None,
            dnskey: None,
            cds: Vec::new(),
        },
        judgement: Judgement {
            verdict,
            reason: verdict.to_string(),
            conclusive: false,
        },
        warnings: Vec::new(),
    }
}

/// `count` delegations, every third one ok, the rest dangling.
fn audit_of(count: usize, verdict_of: impl Fn(usize) -> Verdict) -> Vec<Audited> {
    (0..count)
        .map(|i| audited(&format!("d{i}.example.com"), verdict_of(i)))
        .collect()
}

fn scope() -> FindingScope {
    FindingScope::new("us-east-1", ACCOUNT)
}

#[tokio::test]
async fn findings_go_in_pages_of_a_hundred_and_a_later_run_updates_them() {
    let aws = Memory::new(ACCOUNT);
    let every_third_ok = |i: usize| {
        if i.is_multiple_of(3) {
            Verdict::Ok
        } else {
            Verdict::Dangling
        }
    };
    let first = findings(&scope(), &audit_of(250, every_third_ok), UNIX_EPOCH);
    let published = publish(&aws, &first).await;
    assert_eq!(published.calls, 3, "250 findings: 100 + 100 + 50");
    assert_eq!(aws.count(Op::BatchImportFindings, ACCOUNT), 3);
    assert_eq!((published.active, published.archived), (166, 84));
    assert!(published.complete());
    assert_eq!(aws.findings().len(), 250);
    // Every delegation fixed: the same 250 IDs, archived now, none added.
    let later = UNIX_EPOCH + Duration::from_secs(86_400);
    let fixed = findings(&scope(), &audit_of(250, |_| Verdict::Ok), later);
    let published = publish(&aws, &fixed).await;
    assert_eq!((published.active, published.archived), (0, 250));
    let held = aws.findings();
    assert_eq!(held.len(), 250, "updated, not duplicated");
    assert!(held.iter().all(|f| f.record_state == RecordState::Archived));
    assert!(held.iter().all(|f| f.severity == Severity::Informational));
    assert!(held.iter().all(|f| f.observed_at == later));
}

#[tokio::test]
async fn refused_findings_and_failed_calls_are_reported_and_the_rest_imported() {
    let aws = Memory::new(ACCOUNT);
    aws.refuse_findings(&["subdomain-delegation/Z0PARENT/d1.example.com"]);
    aws.fail_next(
        Op::BatchImportFindings,
        ACCOUNT,
        1,
        AdapterError::new(
            ErrorKind::AccessDenied,
            "BatchImportFindings",
            "AccessDeniedException: no",
        ),
    );
    let all = findings(&scope(), &audit_of(150, |_| Verdict::Lame), UNIX_EPOCH);
    let published = publish(&aws, &all).await;
    assert_eq!(published.calls, 2);
    assert_eq!(
        published.errors.len(),
        1,
        "the first page failed: {published:?}"
    );
    assert!(
        published.errors[0].contains("100 findings")
            && published.errors[0].contains("AccessDenied")
    );
    assert!(published.failed.is_empty(), "d1 was in the failed page");
    assert_eq!(published.active, 50);
    assert!(!published.complete());
    // Again: the refused finding is reported with Security Hub's code.
    let published = publish(&aws, &all).await;
    assert_eq!(published.active, 149);
    assert_eq!(published.failed.len(), 1);
    assert_eq!(published.failed[0].code, "InvalidInput");
    assert_eq!(aws.findings().len(), 149);
    // A finding of another account than the caller's is refused too.
    let other = FindingScope::new("us-east-1", "222222222222");
    let elsewhere = findings(&other, &audit_of(1, |_| Verdict::Lame), UNIX_EPOCH);
    let published = publish(&aws, &elsewhere).await;
    assert_eq!(published.failed[0].code, "AccessDeniedException");
    assert_eq!(
        Published::not_started("no region".into()).errors,
        ["no region"]
    );
}
