//! Unit tests of `domain::finding`, with plain values: the ASFF fields per verdict.
use super::*;
use crate::domain::name::DnsName;
use crate::domain::probe::{DnsAnswer, Reply};
use crate::domain::verdict::ServerProbe;
use crate::domain::warning::WarningKind;
use std::time::{Duration, UNIX_EPOCH};

fn delegation() -> Delegation {
    Delegation {
        zone_id: ZoneId::parse("Z0PARENT").unwrap(),
        zone_name: DnsName::parse("example.com").unwrap(),
        name: DnsName::parse("dev.example.com").unwrap(),
        ns_ttl: 300,
        ns: vec!["ns1.dns.test.".into()],
        ds_ttl: 0,
        ds: Vec::new(),
        glue: Vec::new(),
    }
}

fn judged(verdict: Verdict) -> Judgement {
    Judgement {
        verdict,
        reason: format!("it is {verdict}"),
        conclusive: verdict == Verdict::Dangling,
    }
}

fn evidence() -> Evidence {
    Evidence {
        servers: vec![ServerProbe {
            host: "ns1.dns.test".into(),
            address: Some("127.0.0.1:53".into()),
            soa: Reply::Answered(DnsAnswer::refused()),
        }],
        apex_ns: None,
        dnskey: None,
        cds: Vec::new(),
    }
}

fn warning() -> Warning {
    Warning {
        kind: WarningKind::TooFewServers,
        evidence: "one server".into(),
        action: "add one".into(),
    }
}

#[test]
fn severities_follow_the_verdicts() {
    let expected = [
        (Verdict::Dangling, "CRITICAL"),
        (Verdict::Lame, "HIGH"),
        (Verdict::DnssecBroken, "HIGH"),
        (Verdict::Stale, "MEDIUM"),
        (Verdict::Unknown, "INFORMATIONAL"),
        (Verdict::Ok, "INFORMATIONAL"),
    ];
    for (verdict, label) in expected {
        assert_eq!(Severity::of(verdict).as_str(), label, "{verdict}");
    }
}

#[test]
fn a_finding_carries_the_asff_fields_and_the_evidence() {
    let scope = FindingScope::new("eu-west-1", "111111111111");
    let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let f = finding(
        &scope,
        &delegation(),
        &judged(Verdict::Dangling),
        &[warning()],
        &evidence(),
        at,
    );
    assert_eq!(f.id, "subdomain-delegation/Z0PARENT/dev.example.com");
    assert_eq!(
        f.product_arn,
        "arn:aws:securityhub:eu-west-1:111111111111:product/111111111111/default"
    );
    assert_eq!(f.account, "111111111111");
    assert_eq!(f.resource_arn, "arn:aws:route53:::hostedzone/Z0PARENT");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(
        f.types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        [
            "Software and Configuration Checks/AWS Security Best Practices",
            "Effects/Data Exposure"
        ]
    );
    assert_eq!(
        (f.record_state, f.compliance),
        (RecordState::Active, Compliance::Failed)
    );
    assert_eq!(f.title, "Delegation dev.example.com is dangling");
    assert_eq!(f.description, "it is dangling");
    assert!(f.remediation.starts_with("Delete the NS"));
    assert_eq!(f.observed_at, at);
    assert_eq!(f.product_fields["subdomain-delegation/Verdict"], "dangling");
    assert_eq!(
        f.product_fields["subdomain-delegation/Warnings"],
        "too-few-servers"
    );
    assert_eq!(f.product_fields["subdomain-delegation/Conclusive"], "true");
    assert_eq!(f.details["Server ns1.dns.test"], "127.0.0.1:53: REFUSED");
    assert_eq!(
        f.details["Warning too-few-servers"],
        "one server What to do: add one"
    );
}

#[test]
fn an_ok_delegation_is_an_archived_passed_finding_of_the_same_id() {
    let scope = FindingScope::new("us-east-1", "111111111111");
    let now = UNIX_EPOCH;
    let found = finding(
        &scope,
        &delegation(),
        &judged(Verdict::Lame),
        &[],
        &evidence(),
        now,
    );
    let fixed = finding(
        &scope,
        &delegation(),
        &judged(Verdict::Ok),
        &[],
        &evidence(),
        now,
    );
    assert_eq!(found.id, fixed.id);
    assert_eq!(fixed.record_state, RecordState::Archived);
    assert_eq!(fixed.compliance, Compliance::Passed);
    assert_eq!(fixed.severity, Severity::Informational);
    assert_eq!(found.types.len(), 2, "lame: denial of service too");
    assert_eq!(fixed.record_state.to_string(), "ARCHIVED");
}

#[test]
fn partitions_and_limits() {
    for (region, partition) in [
        ("us-east-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
    ] {
        assert_eq!(
            FindingScope::new(region, "1").partition,
            partition,
            "{region}"
        );
    }
    let scope = FindingScope::new("cn-north-1", "111111111111");
    let mut d = delegation();
    d.ns = (0..80).map(|i| format!("ns{i}.dns.test.")).collect();
    let servers = (0..80)
        .map(|i| ServerProbe {
            host: format!("ns{i}.dns.test"),
            address: None,
            soa: Reply::NoAnswer("x".repeat(5_000)),
        })
        .collect();
    let e = Evidence {
        servers,
        ..evidence()
    };
    let long = Judgement {
        reason: "r".repeat(5_000),
        ..judged(Verdict::Unknown)
    };
    let f = finding(&scope, &d, &long, &[], &e, UNIX_EPOCH);
    assert!(f.resource_arn.starts_with("arn:aws-cn:route53:::"));
    assert_eq!(f.description.chars().count(), 1024);
    assert_eq!(f.details.len(), 50);
    assert!(f.details.values().all(|v| v.chars().count() <= 1024));
}
