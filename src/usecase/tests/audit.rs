//! The audit use case over the in-memory Route 53 and name servers (`crate::testkit`): which
//! questions it asks, which zones it reads, and when it removes.
use super::*;
use crate::domain::guardrail::Guardrail;
use crate::domain::probe::{DnsKey, DsValue, Question};
use crate::domain::properties::ZoneId;
use crate::ports::ZoneLister;
use crate::testkit::{Memory, Op};

const ACCOUNT: &str = "111111111111";
const SERVERS: [&str; 2] = ["ns1.dns.test", "ns2.dns.test"];

fn n(s: &str) -> DnsName {
    DnsName::parse(s).unwrap()
}

/// The parent zone example.com (its ID returned) with five delegations below the apex: `ok` served
/// by both its servers, `back` served from the second probe on (see [`Rounds`]), `gone` (with DS)
/// and `outside` served by none, `half` with one server that has no address.
fn scene() -> (Memory, String) {
    let aws = Memory::new(ACCOUNT);
    let zone = aws.add_zone(ACCOUNT, "example.com");
    let ns = ["ns1.dns.test.", "ns2.dns.test."];
    for name in ["ok", "gone", "back", "outside"] {
        aws.put_record(&zone, &format!("{name}.example.com"), "NS", 300, &ns);
    }
    aws.put_record(&zone, "gone.example.com", "DS", 300, &["1 13 2 ab"]);
    let half = ["ns1.dns.test.", "nowhere.test."];
    aws.put_record(&zone, "half.example.com", "NS", 300, &half);
    for host in SERVERS {
        aws.serve(host, &["ok.example.com"]);
    }
    (aws, zone)
}

/// From the second probe on, both servers serve back.example.com too.
struct Rounds<'a>(&'a Memory);
impl Observer for Rounds<'_> {
    fn rechecking(&self, _count: usize, _after: Duration) {
        for host in SERVERS {
            self.0.serve(host, &["back.example.com"]);
        }
    }
}

fn request(removal: bool) -> AuditRequest {
    AuditRequest {
        zones: vec![ParentZoneRef::Name(n("example.com"))],
        concurrency: 4,
        removal: removal.then(|| RemovalRequest {
            allowed_names: vec![
                "gone.example.com".into(),
                "back.example.com".into(),
                "half.*".into(),
            ],
            recheck_after: Duration::ZERO,
            comment: "test".into(),
        }),
    }
}

fn removals(report: &AuditReport) -> Vec<(&str, &Removal)> {
    let outcomes = report.removals.iter();
    outcomes.map(|r| (r.name.as_str(), &r.result)).collect()
}

fn removal<'a>(outcomes: &[(&str, &'a Removal)], name: &str) -> &'a Removal {
    outcomes.iter().find(|(n, _)| *n == name).unwrap().1
}

#[tokio::test]
async fn every_delegation_below_the_apex_is_judged_with_few_questions() {
    let (aws, _) = scene();
    let report = audit(&aws.route53(ACCOUNT), &aws, &request(false), &Quiet).await;
    let verdicts: Vec<(&str, Verdict)> = report
        .audited
        .iter()
        .map(|a| (a.delegation.name.as_str(), a.judgement.verdict))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("back.example.com", Verdict::Dangling),
            ("gone.example.com", Verdict::Dangling),
            ("half.example.com", Verdict::Dangling),
            ("ok.example.com", Verdict::Ok),
            ("outside.example.com", Verdict::Dangling),
        ]
    );
    assert!(
        !report.audited[2].judgement.conclusive,
        "one server had no address"
    );
    // Two SOA questions per delegation (one per reachable server); for the served one, one NS and
    // one DNSKEY question (its child is unsigned: no CDS or CDNSKEY question).
    let asked = aws.questions();
    let soa = asked.iter().filter(|q| q.question == Question::Soa);
    assert_eq!(soa.count(), 9);
    assert_eq!(asked.len(), 11);
    assert!(
        asked
            .iter()
            .all(|q| !matches!(q.question, Question::Cds | Question::Cdnskey))
    );
    assert_eq!(
        asked
            .iter()
            .filter(|q| q.question != Question::Soa)
            .map(|q| q.question)
            .collect::<Vec<_>>(),
        [Question::Ns, Question::Dnskey]
    );

    // The zone's records in one page.
    assert_eq!(aws.count(Op::ListResourceRecordSets, ACCOUNT), 1);
    assert!(report.removals.is_empty() && aws.changes_sent().is_empty());
}

#[tokio::test]
async fn a_signed_child_is_asked_for_cds_at_every_server_and_warned_about() {
    let (aws, _) = scene();
    let ksk = DnsKey {
        flags: 257,
        protocol: 3,
        algorithm: 13,
        public_key: vec![9; 64],
    };
    aws.set_dnskeys("ok.example.com", vec![ksk.clone()]);
    aws.set_signed("ok.example.com", true);
    aws.set_apex_ns_ttl("ok.example.com", 3600);
    let cds = DsValue {
        key_tag: ksk.key_tag(),
        algorithm: 13,
        digest_type: 2,
        digest: ksk.sha256_digest(&n("ok.example.com")),
    };
    aws.publish_cds("ns1.dns.test", "ok.example.com", vec![cds], Vec::new());
    let report = audit(&aws.route53(ACCOUNT), &aws, &request(false), &Quiet).await;
    let ok = report
        .audited
        .iter()
        .find(|a| a.delegation.name.as_str() == "ok.example.com")
        .unwrap();
    assert_eq!(ok.judgement.verdict, Verdict::Ok);
    let kinds: Vec<&str> = ok.warnings.iter().map(|w| w.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "insecure",
            "cds-inconsistent",
            "ttl-mismatch",
            "single-provider"
        ]
    );
    let asked = aws.questions();
    let cds_asked: Vec<&str> = asked
        .iter()
        .filter(|q| q.question == Question::Cds)
        .map(|q| q.host.as_str())
        .collect();
    assert_eq!(cds_asked.len(), 2, "both serving servers: {cds_asked:?}");
    assert_eq!(ok.evidence.cds.len(), 2);
    // Glue is kept only at the NS targets of a delegation.
    let glued = aws.add_zone(ACCOUNT, "dns.test");
    aws.put_record(
        &glued,
        "sub.dns.test",
        "NS",
        300,
        &["ns1.dns.test.", "ns9.dns.test."],
    );
    aws.put_record(&glued, "ns1.dns.test", "A", 300, &["192.0.2.53"]);
    aws.put_record(&glued, "www.dns.test", "A", 300, &["192.0.2.80"]);
    let records = aws
        .route53(ACCOUNT)
        .delegation_records(&ZoneId::parse(&glued).unwrap())
        .await;
    let kept: Vec<String> = records
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r.name, r.rtype))
        .collect();
    assert!(kept.contains(&"sub.dns.test NS".to_owned()), "{kept:?}");
    assert!(kept.contains(&"ns1.dns.test A".to_owned()), "{kept:?}");
    assert!(!kept.iter().any(|k| k.starts_with("www.")), "{kept:?}");
    let report = audit(
        &aws.route53(ACCOUNT),
        &aws,
        &AuditRequest {
            zones: vec![ParentZoneRef::Name(n("dns.test"))],
            ..request(false)
        },
        &Quiet,
    )
    .await;
    let glue = &report.audited[0].delegation.glue;
    assert_eq!(glue.len(), 1);
    assert_eq!(
        glue[0].addresses,
        ["192.0.2.53".parse::<std::net::IpAddr>().unwrap()]
    );
}

#[tokio::test]
async fn removal_deletes_only_what_two_probes_and_the_allowed_names_agree_on() {
    let (aws, zone) = scene();
    let report = audit(&aws.route53(ACCOUNT), &aws, &request(true), &Rounds(&aws)).await;
    let outcomes = removals(&report);
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
    let of = |name: &str| removal(&outcomes, name);
    assert_eq!(
        of("gone.example.com"),
        &Removal::Removed("C000001MEMORY".into())
    );
    assert!(
        matches!(of("back.example.com"), Removal::Kept(why) if why.contains("second probe disagrees"))
    );
    assert!(
        matches!(of("half.example.com"), Removal::Kept(why) if why.contains("not every delegated name server"))
    );
    assert!(
        matches!(of("outside.example.com"), Removal::Kept(why) if why.contains("allowed names"))
    );
    let changes = aws.changes_sent();
    assert_eq!(changes.len(), 1);
    let kinds: Vec<String> = changes[0]
        .iter()
        .map(|c| format!("{:?} {} {}", c.action, c.kind, c.name))
        .collect();
    assert_eq!(
        kinds,
        ["Delete DS gone.example.com", "Delete NS gone.example.com"]
    );
    let left = aws.below_apex(&zone);
    assert_eq!(
        left.len(),
        4,
        "only gone.example.com's NS and DS went: {left:?}"
    );
    assert!(left.iter().all(|r| r.0 != "gone.example.com."));
}

#[tokio::test]
async fn a_deletion_route53_refuses_is_reported_and_changes_nothing() {
    let (aws, zone) = scene();
    aws.refuse_changes("gone.example.com", Guardrail::ActiveDelegation, 1);
    let report = audit(&aws.route53(ACCOUNT), &aws, &request(true), &Rounds(&aws)).await;
    let outcomes = removals(&report);
    assert!(
        matches!(removal(&outcomes, "gone.example.com"), Removal::Failed(why) if why.contains("ACTIVE_DELEGATION_CHECK")),
        "{outcomes:?}"
    );
    assert_eq!(aws.below_apex(&zone).len(), 6);
}

#[tokio::test]
async fn unknown_zones_are_errors_and_the_rest_is_audited() {
    let (aws, zone) = scene();
    let request = AuditRequest {
        zones: vec![
            ParentZoneRef::Id(ZoneId::parse("Z0NOSUCH").unwrap()),
            ParentZoneRef::Name(n("example.org")),
            ParentZoneRef::Id(ZoneId::parse(&zone).unwrap()),
            ParentZoneRef::Name(n("example.com")),
        ],
        concurrency: 1,
        removal: None,
    };
    let report = audit(&aws.route53(ACCOUNT), &aws, &request, &Quiet).await;
    assert_eq!(report.errors.len(), 2);
    assert_eq!(
        report.zones.len(),
        1,
        "the same zone by ID and name is audited once"
    );
    assert_eq!(report.audited.len(), 5);
}

#[tokio::test]
async fn with_no_zone_named_every_public_zone_of_the_account_is_audited() {
    let (aws, _) = scene();
    let org = aws.add_zone(ACCOUNT, "example.org");
    aws.put_record(&org, "dev.example.org", "NS", 300, &["ns1.dns.test."]);
    let private = aws.add_private_zone(ACCOUNT, "internal.example.com");
    aws.put_record(
        &private,
        "x.internal.example.com",
        "NS",
        300,
        &["ns1.dns.test."],
    );
    let theirs = aws.add_zone("222222222222", "example.net");
    aws.put_record(&theirs, "y.example.net", "NS", 300, &["ns1.dns.test."]);
    let every = AuditRequest {
        zones: Vec::new(),
        ..request(false)
    };
    let report = audit(&aws.route53(ACCOUNT), &aws, &every, &Quiet).await;
    let zones: Vec<&str> = report.zones.iter().map(|z| z.name.as_str()).collect();
    assert_eq!(zones, ["example.com", "example.org"]);
    assert_eq!(report.audited.len(), 6);
    assert!(report.errors.is_empty());
    assert_eq!(aws.count(Op::ListHostedZones, ACCOUNT), 1);
}
