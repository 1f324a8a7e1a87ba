//! Unit tests of `domain::removal`, with plain values.
use super::*;
use crate::domain::model::RecordType;
use crate::domain::properties::ZoneId;

fn n(s: &str) -> DnsName {
    DnsName::parse(s).unwrap()
}

fn delegation(name: &str) -> Delegation {
    Delegation {
        zone_id: ZoneId::parse("Z0PARENT").unwrap(),
        zone_name: n("example.com"),
        name: DnsName::from_route53(name),
        ns_ttl: 300,
        ns: vec!["ns-1.awsdns-01.com.".into(), "ns-2.awsdns-02.net.".into()],
        ds_ttl: 0,
        ds: Vec::new(),
        glue: Vec::new(),
    }
}

fn judged(verdict: Verdict, conclusive: bool) -> Judgement {
    Judgement {
        verdict,
        reason: "because".into(),
        conclusive,
    }
}

fn live(name: &str, rtype: &str, ttl: i64, values: &[&str]) -> LiveRecord {
    LiveRecord {
        name: n(name),
        rtype: RecordType::parse(rtype),
        ttl: Some(ttl),
        values: values.iter().map(|v| v.to_string()).collect(),
        special: false,
    }
}

#[test]
fn only_conclusive_dangling_delegations_below_the_apex_and_allowed_are_candidates() {
    let allowed = vec!["*.example.com".to_owned()];
    let d = delegation("dev.example.com");
    assert_eq!(
        candidate(&d, &judged(Verdict::Dangling, true), &allowed),
        Ok(())
    );
    for (verdict, conclusive) in [
        (Verdict::Dangling, false),
        (Verdict::Ok, false),
        (Verdict::Unknown, false),
        (Verdict::Lame, false),
        (Verdict::Stale, false),
        (Verdict::DnssecBroken, false),
    ] {
        assert_eq!(
            candidate(&d, &judged(verdict, conclusive), &allowed),
            Err(Keep::Inconclusive),
            "{verdict:?}"
        );
    }
    let apex = delegation("example.com");
    assert!(matches!(
        candidate(&apex, &judged(Verdict::Dangling, true), &["*".into()]),
        Err(Keep::NotBelowApex(..))
    ));
    let outside = delegation("dev.example.org");
    assert!(matches!(
        candidate(&outside, &judged(Verdict::Dangling, true), &["*".into()]),
        Err(Keep::NotBelowApex(..))
    ));
    let narrow = vec![
        "*.accounts.example.com".to_owned(),
        "test.example.com".into(),
    ];
    let e = candidate(&d, &judged(Verdict::Dangling, true), &narrow).unwrap_err();
    assert!(
        e.to_string().contains("matches none of the allowed names"),
        "{e}"
    );
    let e = candidate(&d, &judged(Verdict::Dangling, true), &[]).unwrap_err();
    assert!(e.to_string().contains("none given"), "{e}");
}

#[test]
fn the_second_probe_must_agree() {
    assert_eq!(confirmed(&judged(Verdict::Dangling, true)), Ok(()));
    for j in [
        judged(Verdict::Dangling, false),
        judged(Verdict::Ok, false),
        judged(Verdict::Unknown, false),
        judged(Verdict::Lame, false),
    ] {
        assert!(matches!(confirmed(&j), Err(Keep::SecondProbeDisagrees(_))));
    }
}

#[test]
fn removal_deletes_the_exact_live_records_ds_first() {
    let d = delegation("dev.example.com");
    let records = vec![
        live(
            "dev.example.com",
            "NS",
            172800,
            &["NS-2.awsdns-02.net", "ns-1.awsdns-01.com."],
        ),
        live("dev.example.com", "DS", 3600, &["1 13 2 ab"]),
        live("a.dev.example.com", "NS", 60, &["x."]),
        live("dev.example.com", "TXT", 60, &["\"x\""]),
    ];
    let changes = removal_changes(&d, &records).unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!((changes[0].kind, changes[0].ttl), (RecordKind::Ds, 3600));
    assert_eq!(changes[0].values, vec!["1 13 2 ab"]);
    assert_eq!((changes[1].kind, changes[1].ttl), (RecordKind::Ns, 172800));
    assert_eq!(
        changes[1].values,
        vec!["NS-2.awsdns-02.net", "ns-1.awsdns-01.com."],
        "the live spelling, which a DELETE must repeat"
    );
    assert!(
        changes
            .iter()
            .all(|c| c.action == RecordAction::Delete && c.name == n("dev.example.com"))
    );
    let only_ns = removal_changes(&d, &records[..1]).unwrap();
    assert_eq!(only_ns.len(), 1);
    assert_eq!(removal_changes(&d, &records[2..]), Err(Keep::Gone));
    let repointed = vec![live("dev.example.com", "NS", 300, &["ns1.elsewhere.org."])];
    assert!(matches!(
        removal_changes(&d, &repointed),
        Err(Keep::Changed(_))
    ));
}

#[test]
fn allowed_names_match_like_iam_string_like() {
    for (pattern, name, want) in [
        ("*", "dev.example.com", true),
        ("*.example.com", "dev.example.com", true),
        ("*.example.com", "a.b.example.com", true),
        ("*.example.com", "example.com", false),
        ("*.example.com", "badexample.com", false),
        ("dev.example.com", "DEV.example.com", true),
        ("dev.example.com", "dev.example.co", false),
        ("dev?.example.com", "dev1.example.com", true),
        ("dev?.example.com", "dev.example.com", false),
        ("*.accounts.*.com", "1.accounts.example.com", true),
        ("**", "x", true),
        ("", "x", false),
    ] {
        assert_eq!(glob_matches(pattern, name), want, "{pattern} {name}");
    }
}
