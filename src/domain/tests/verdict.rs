//! Unit tests of `domain::verdict`, with plain values: every combination of up to three servers'
//! answers, the child's NS set and DNSKEY answer, against the rules as docs/design.md states them.
use super::*;
use crate::domain::probe::DnsKey;

fn n(s: &str) -> DnsName {
    DnsName::parse(s).unwrap()
}

const NAME: &str = "dev.example.com";
const NS: [&str; 3] = [
    "ns-1.awsdns-01.com.",
    "ns-2.awsdns-02.net.",
    "ns-3.awsdns-03.org.",
];

fn key() -> DnsKey {
    DnsKey {
        flags: 257,
        protocol: 3,
        algorithm: 13,
        public_key: vec![7; 64],
    }
}

fn ds_of(k: &DnsKey) -> String {
    format!(
        "{} {} 2 {}",
        k.key_tag(),
        k.algorithm,
        k.sha256_digest(&n(NAME))
    )
}

fn delegation(servers: usize, ds: Vec<String>) -> Delegation {
    Delegation {
        zone_id: ZoneId::parse("Z0PARENT").unwrap(),
        zone_name: n("example.com"),
        name: n(NAME),
        ns_ttl: 172_800,
        ns: NS[..servers].iter().map(|s| s.to_string()).collect(),
        ds_ttl: 3600,
        ds,
        glue: Vec::new(),
    }
}

fn answer(rcode: Rcode, aa: bool) -> DnsAnswer {
    DnsAnswer::empty(rcode, aa)
}

/// The kinds of answer a server can give to the SOA question, and whether each means "serves",
/// "does not serve" or "unreachable" by the rules' words.
#[derive(Clone, Copy, Debug)]
enum Soa {
    Serves,
    Refused,
    ServFail,
    NxDomain,
    NxDomainAa,
    NotAuth,
    NoErrorNotAa,
    Referral,
    AaNoSoaRecord,
    NoAnswer,
}

const SOAS: [Soa; 10] = [
    Soa::Serves,
    Soa::Refused,
    Soa::ServFail,
    Soa::NxDomain,
    Soa::NxDomainAa,
    Soa::NotAuth,
    Soa::NoErrorNotAa,
    Soa::Referral,
    Soa::AaNoSoaRecord,
    Soa::NoAnswer,
];

fn soa_reply(kind: Soa) -> Reply {
    let a = match kind {
        Soa::Serves => DnsAnswer {
            soa_at_name: true,
            ..answer(Rcode::NoError, true)
        },
        Soa::Refused => answer(Rcode::Refused, false),
        Soa::ServFail => answer(Rcode::ServFail, false),
        Soa::NxDomain => answer(Rcode::NxDomain, false),
        Soa::NxDomainAa => answer(Rcode::NxDomain, true),
        Soa::NotAuth => answer(Rcode::NotAuth, false),
        Soa::NoErrorNotAa => DnsAnswer {
            soa_at_name: true,
            ..answer(Rcode::NoError, false)
        },
        Soa::Referral => DnsAnswer {
            referral: true,
            ..answer(Rcode::NoError, false)
        },
        Soa::AaNoSoaRecord => answer(Rcode::NoError, true),
        Soa::NoAnswer => return Reply::NoAnswer("timed out after 2 tries".into()),
    };
    Reply::Answered(a)
}

#[derive(Clone, Copy, Debug)]
enum ApexNs {
    NotAsked,
    Same,
    SameOtherCase,
    Differs,
    DiffersNotAa,
    NoAnswer,
}

fn apex_reply(kind: ApexNs, servers: usize) -> Option<Reply> {
    let ns = |v: &[&str]| DnsAnswer {
        ns: v.iter().map(|s| s.to_string()).collect(),
        ..answer(Rcode::NoError, true)
    };
    match kind {
        ApexNs::NotAsked => None,
        ApexNs::Same => Some(Reply::Answered(ns(&NS[..servers]))),
        ApexNs::SameOtherCase => Some(Reply::Answered(ns(&NS[..servers]
            .iter()
            .rev()
            .map(|s| s.trim_end_matches('.'))
            .map(|s| s.to_uppercase())
            .map(|s| Box::leak(s.into_boxed_str()) as &str)
            .collect::<Vec<_>>()))),
        ApexNs::Differs => Some(Reply::Answered(ns(&["ns1.elsewhere.org"]))),
        ApexNs::DiffersNotAa => Some(Reply::Answered(DnsAnswer {
            authoritative: false,
            ..ns(&["ns1.elsewhere.org"])
        })),
        ApexNs::NoAnswer => Some(Reply::NoAnswer("timed out".into())),
    }
}

#[derive(Clone, Copy, Debug)]
enum Dnssec {
    NoDs,
    Matching,
    WrongTag,
    WrongDigest,
    ChildUnsigned,
    DnskeyNotAnswered,
    DnskeyRefused,
    GarbageDs,
}

/// (DS values in the parent, the DNSKEY reply)
fn dnssec(kind: Dnssec) -> (Vec<String>, Option<Reply>) {
    let k = key();
    let keys = |keys: Vec<DnsKey>| {
        Some(Reply::Answered(DnsAnswer {
            dnskeys: keys,
            ..answer(Rcode::NoError, true)
        }))
    };
    match kind {
        Dnssec::NoDs => (Vec::new(), None),
        Dnssec::Matching => (vec![ds_of(&k), "1 8 2 00".into()], keys(vec![k])),
        Dnssec::WrongTag => (
            vec![format!("{} 13 2 00", k.key_tag().wrapping_add(1))],
            keys(vec![k]),
        ),
        Dnssec::WrongDigest => (
            vec![format!("{} 13 2 {}", k.key_tag(), "ab".repeat(32))],
            keys(vec![k]),
        ),
        Dnssec::ChildUnsigned => (vec![ds_of(&k)], keys(Vec::new())),
        Dnssec::DnskeyNotAnswered => (vec![ds_of(&k)], Some(Reply::NoAnswer("timed out".into()))),
        Dnssec::DnskeyRefused => (
            vec![ds_of(&k)],
            Some(Reply::Answered(answer(Rcode::Refused, false))),
        ),
        Dnssec::GarbageDs => (vec!["not a ds".into()], keys(vec![k])),
    }
}

/// The rules, stated once more, case by case, the way docs/design.md words them.
fn expected(soas: &[Soa], apex: ApexNs, sec: Dnssec) -> (Verdict, bool) {
    use Soa::*;
    let serving = soas.iter().filter(|s| matches!(s, Serves)).count();
    let unreachable = soas.iter().filter(|s| matches!(s, NoAnswer)).count();
    let answered_no = soas.len() - serving - unreachable;
    if serving == 0 {
        return if answered_no == 0 {
            (Verdict::Unknown, false)
        } else {
            (Verdict::Dangling, unreachable == 0)
        };
    }
    let broken = matches!(
        sec,
        Dnssec::WrongTag | Dnssec::WrongDigest | Dnssec::ChildUnsigned | Dnssec::GarbageDs
    );
    if broken {
        return (Verdict::DnssecBroken, false);
    }
    if serving < soas.len() {
        return (Verdict::Lame, false);
    }
    if matches!(apex, ApexNs::Differs) {
        return (Verdict::Stale, false);
    }
    (Verdict::Ok, false)
}

fn combos(servers: usize) -> Vec<Vec<Soa>> {
    let mut out = vec![Vec::new()];
    for _ in 0..servers {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                SOAS.iter().map(move |s| {
                    let mut v = prefix.clone();
                    v.push(*s);
                    v
                })
            })
            .collect();
    }
    out
}

#[test]
fn every_combination_gets_the_verdict_the_rules_give() {
    let apexes = [
        ApexNs::NotAsked,
        ApexNs::Same,
        ApexNs::SameOtherCase,
        ApexNs::Differs,
        ApexNs::DiffersNotAa,
        ApexNs::NoAnswer,
    ];
    let secs = [
        Dnssec::NoDs,
        Dnssec::Matching,
        Dnssec::WrongTag,
        Dnssec::WrongDigest,
        Dnssec::ChildUnsigned,
        Dnssec::DnskeyNotAnswered,
        Dnssec::DnskeyRefused,
        Dnssec::GarbageDs,
    ];
    let mut checked = 0;
    for servers in 1..=3 {
        for soas in combos(servers) {
            for apex in apexes {
                for sec in secs {
                    let (ds, dnskey) = dnssec(sec);
                    let d = delegation(servers, ds);
                    let evidence = Evidence {
                        servers: soas
                            .iter()
                            .zip(NS)
                            .map(|(s, host)| ServerProbe {
                                host: host.trim_end_matches('.').into(),
                                address: Some("192.0.2.1:53".into()),
                                soa: soa_reply(*s),
                            })
                            .collect(),
                        apex_ns: apex_reply(apex, servers),
                        dnskey,
                        cds: Vec::new(),
                    };
                    let j = judge(&d, &evidence);
                    let (verdict, conclusive) = expected(&soas, apex, sec);
                    assert_eq!(
                        (j.verdict, j.conclusive),
                        (verdict, conclusive),
                        "{soas:?} {apex:?} {sec:?}: {}",
                        j.reason
                    );
                    assert!(!j.reason.is_empty());
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, (10 + 100 + 1000) * 6 * 8);
}

#[test]
fn reasons_name_what_was_found() {
    let d = delegation(2, Vec::new());
    let probe = |host: &str, soa| ServerProbe {
        host: host.into(),
        address: None,
        soa: soa_reply(soa),
    };
    let j = judge(
        &d,
        &Evidence {
            servers: vec![probe("a", Soa::Serves), probe("b", Soa::Refused)],
            apex_ns: None,
            dnskey: None,
            cds: Vec::new(),
        },
    );
    assert_eq!(j.verdict, Verdict::Lame);
    assert!(
        j.reason.contains("1 of 2") && j.reason.ends_with(": b"),
        "{}",
        j.reason
    );
    let j = judge(
        &d,
        &Evidence {
            servers: vec![probe("a", Soa::Refused), probe("b", Soa::NoAnswer)],
            apex_ns: None,
            dnskey: None,
            cds: Vec::new(),
        },
    );
    assert_eq!((j.verdict, j.conclusive), (Verdict::Dangling, false));
    assert!(j.reason.contains("1 could not be reached"), "{}", j.reason);
    let j = judge(
        &d,
        &Evidence {
            servers: vec![probe("a", Soa::Serves), probe("b", Soa::Serves)],
            apex_ns: apex_reply(ApexNs::Differs, 2),
            dnskey: None,
            cds: Vec::new(),
        },
    );
    assert!(j.reason.contains("ns1.elsewhere.org"), "{}", j.reason);
    let no_servers = judge(
        &d,
        &Evidence {
            servers: Vec::new(),
            apex_ns: None,
            dnskey: None,
            cds: Vec::new(),
        },
    );
    assert_eq!(no_servers.verdict, Verdict::Unknown);
}

#[test]
fn verdicts_print_as_documented() {
    let names: Vec<&str> = Verdict::ALL.iter().map(|v| v.as_str()).collect();
    assert_eq!(
        names,
        [
            "ok",
            "dangling",
            "lame",
            "stale",
            "dnssec-broken",
            "unknown"
        ]
    );
}

#[test]
fn delegations_are_the_ns_sets_below_the_apex_with_their_ds() {
    use crate::domain::model::{LiveRecord, RecordType, Zone};
    let zone = Zone {
        id: ZoneId::parse("Z0PARENT").unwrap(),
        name: n("example.com"),
        private: false,
        name_servers: Vec::new(),
    };
    let rec = |name: &str, rtype: &str, special: bool| LiveRecord {
        name: DnsName::from_route53(name),
        rtype: RecordType::parse(rtype),
        ttl: Some(300),
        values: vec![format!("{rtype} value")],
        special,
    };
    let records = vec![
        rec("example.com.", "NS", false),
        rec("example.com.", "DS", false),
        rec("b.example.com.", "NS", false),
        rec("a.example.com.", "NS", false),
        rec("a.example.com.", "DS", false),
        rec("c.example.com.", "DS", false),
        rec("d.example.com.", "NS", true),
        rec("other.org.", "NS", false),
    ];
    let found = delegations(&zone, &records);
    let names: Vec<&str> = found.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["a.example.com", "b.example.com"]);
    assert_eq!(found[0].ds, vec!["DS value"]);
    assert!(found[1].ds.is_empty());
    assert_eq!(found[0].zone_name, n("example.com"));
}
