//! Unit tests of `domain::warning`, with plain values: each rule against its control case.
use super::*;
use crate::domain::name::DnsName;
use crate::domain::probe::{DnsAnswer, DnsKey, DsValue, Rcode};
use crate::domain::properties::ZoneId;
use crate::domain::verdict::{CdsProbe, Glue, ServerProbe};

const NAME: &str = "dev.example.com";
const TWO_PROVIDERS: [&str; 2] = ["ns-1.awsdns-01.com.", "ns-2.awsdns-02.net."];

fn n(s: &str) -> DnsName {
    DnsName::parse(s).unwrap()
}

fn delegation(ns: &[&str], ds: &[String]) -> Delegation {
    Delegation {
        zone_id: ZoneId::parse("Z0PARENT").unwrap(),
        zone_name: n("example.com"),
        name: n(NAME),
        ns_ttl: 172_800,
        ns: ns.iter().map(|s| s.to_string()).collect(),
        ds_ttl: 3600,
        ds: ds.to_vec(),
        glue: Vec::new(),
    }
}

fn ok() -> DnsAnswer {
    DnsAnswer::empty(Rcode::NoError, true)
}

fn key(flags: u16, tag_seed: u8) -> DnsKey {
    DnsKey {
        flags,
        protocol: 3,
        algorithm: 13,
        public_key: vec![tag_seed; 64],
    }
}

fn ds_of(k: &DnsKey) -> DsValue {
    DsValue {
        key_tag: k.key_tag(),
        algorithm: k.algorithm,
        digest_type: 2,
        digest: k.sha256_digest(&n(NAME)),
    }
}

/// Two serving servers; the apex NS answer with `ns_ttl`; the DNSKEY answer.
fn evidence(ns_ttl: Option<u32>, dnskey: Option<DnsAnswer>, cds: Vec<CdsProbe>) -> Evidence {
    let served = DnsAnswer {
        soa_at_name: true,
        ..ok()
    };
    Evidence {
        servers: TWO_PROVIDERS
            .iter()
            .map(|h| ServerProbe {
                host: h.trim_end_matches('.').into(),
                address: Some("192.0.2.1:53".into()),
                soa: Reply::Answered(served.clone()),
            })
            .collect(),
        apex_ns: Some(Reply::Answered(DnsAnswer {
            ns: TWO_PROVIDERS.iter().map(|s| s.to_string()).collect(),
            ns_ttl,
            ..ok()
        })),
        dnskey: dnskey.map(Reply::Answered),
        cds,
    }
}

fn kinds(found: &[Warning]) -> Vec<WarningKind> {
    found.iter().map(|w| w.kind).collect()
}

fn signed_keys(signed: bool) -> DnsAnswer {
    DnsAnswer {
        dnskeys: vec![key(256, 1), key(257, 2)],
        signed,
        ..ok()
    }
}

fn cds_probe(host: &str, cds: Vec<DsValue>, cdnskey: Vec<DnsKey>) -> CdsProbe {
    CdsProbe {
        host: host.into(),
        cds: Reply::Answered(DnsAnswer { cds, ..ok() }),
        cdnskey: Reply::Answered(DnsAnswer {
            dnskeys: cdnskey,
            ..ok()
        }),
    }
}

#[test]
fn a_healthy_delegation_has_no_warning() {
    let d = delegation(&TWO_PROVIDERS, &[]);
    assert!(warnings(&d, &evidence(Some(172_800), Some(ok()), Vec::new())).is_empty());
    // Nothing answered beyond the parent's records: only the parent's own rules can fire.
    assert!(warnings(&d, &evidence(None, None, Vec::new())).is_empty());
    assert_eq!(WarningKind::ALL.len(), 7);
    let names: Vec<&str> = WarningKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "insecure",
            "ds-update-pending",
            "cds-inconsistent",
            "ttl-mismatch",
            "referral-too-large",
            "single-provider",
            "too-few-servers"
        ]
    );
}

#[test]
fn a_signed_child_without_ds_is_insecure() {
    let d = delegation(&TWO_PROVIDERS, &[]);
    let found = warnings(&d, &evidence(None, Some(signed_keys(true)), Vec::new()));
    assert_eq!(kinds(&found), [WarningKind::Insecure]);
    assert!(found[0].evidence.contains("flags 257"), "{found:?}");
    assert!(found[0].action.contains("DS"));
    // Controls: a DS in the parent; keys without a signature; only a zone-signing key.
    let with_ds = delegation(&TWO_PROVIDERS, &[ds_of(&key(257, 2)).to_string()]);
    let e = evidence(None, Some(signed_keys(true)), Vec::new());
    assert!(!kinds(&warnings(&with_ds, &e)).contains(&WarningKind::Insecure));
    let unsigned = evidence(None, Some(signed_keys(false)), Vec::new());
    assert!(warnings(&d, &unsigned).is_empty());
    let zsk_only = DnsAnswer {
        dnskeys: vec![key(256, 1)],
        signed: true,
        ..ok()
    };
    assert!(warnings(&d, &evidence(None, Some(zsk_only), Vec::new())).is_empty());
    let not_aa = DnsAnswer {
        authoritative: false,
        ..signed_keys(true)
    };
    assert!(warnings(&d, &evidence(None, Some(not_aa), Vec::new())).is_empty());
}

#[test]
fn cds_that_differ_from_the_parents_ds_wait_for_the_parent() {
    let (old, new) = (key(257, 2), key(257, 3));
    let parent = delegation(&TWO_PROVIDERS, &[ds_of(&old).to_string()]);
    let both = |cds: Vec<DsValue>, keys: Vec<DnsKey>| {
        TWO_PROVIDERS
            .iter()
            .map(|h| cds_probe(h, cds.clone(), keys.clone()))
            .collect::<Vec<_>>()
    };
    // Control: the child asks for the DS the parent holds, by CDS and by CDNSKEY.
    let same = evidence(None, None, both(vec![ds_of(&old)], vec![old.clone()]));
    assert!(warnings(&parent, &same).is_empty());
    // Control: no CDS or CDNSKEY at all.
    assert!(warnings(&parent, &evidence(None, None, both(vec![], vec![]))).is_empty());
    // A rollover: the CDS names the new key.
    let rollover = evidence(None, None, both(vec![ds_of(&new)], vec![]));
    let found = warnings(&parent, &rollover);
    assert_eq!(kinds(&found), [WarningKind::DsUpdatePending]);
    assert!(
        found[0].evidence.contains(&ds_of(&new).to_string()),
        "{found:?}"
    );
    assert!(found[0].evidence.contains(&ds_of(&old).to_string()));
    // By CDNSKEY alone.
    let by_key = evidence(None, None, both(vec![], vec![new.clone()]));
    assert_eq!(
        kinds(&warnings(&parent, &by_key)),
        [WarningKind::DsUpdatePending]
    );
    // The parent holds one DS more than the child asks for.
    let extra = delegation(
        &TWO_PROVIDERS,
        &[ds_of(&old).to_string(), ds_of(&new).to_string()],
    );
    assert_eq!(
        kinds(&warnings(&extra, &same)),
        [WarningKind::DsUpdatePending]
    );
}

#[test]
fn a_delete_cds_is_a_difference_only_while_the_parent_holds_ds() {
    let delete_cds = DsValue::parse("0 0 0 00").unwrap();
    let delete_key = DnsKey {
        flags: 0,
        protocol: 3,
        algorithm: 0,
        public_key: vec![0],
    };
    let probes: Vec<CdsProbe> = TWO_PROVIDERS
        .iter()
        .map(|h| cds_probe(h, vec![delete_cds.clone()], vec![delete_key.clone()]))
        .collect();
    let held = delegation(&TWO_PROVIDERS, &[ds_of(&key(257, 2)).to_string()]);
    let found = warnings(&held, &evidence(None, None, probes.clone()));
    assert_eq!(kinds(&found), [WarningKind::DsUpdatePending]);
    assert!(found[0].evidence.contains("delete"), "{found:?}");
    assert!(found[0].action.contains("remove the DS"), "{found:?}");
    let none_held = delegation(&TWO_PROVIDERS, &[]);
    assert!(warnings(&none_held, &evidence(None, None, probes)).is_empty());
}

#[test]
fn cds_that_differ_across_servers_are_inconsistent() {
    let k = key(257, 2);
    let d = delegation(&TWO_PROVIDERS, &[ds_of(&k).to_string()]);
    let probes = vec![
        cds_probe("ns-1.awsdns-01.com", vec![ds_of(&k)], vec![]),
        cds_probe("ns-2.awsdns-02.net", vec![], vec![]),
    ];
    let found = warnings(&d, &evidence(None, None, probes));
    assert_eq!(kinds(&found), [WarningKind::CdsInconsistent]);
    assert!(
        found[0]
            .evidence
            .contains("ns-2.awsdns-02.net: no CDS or CDNSKEY"),
        "{found:?}"
    );
    // A server that did not answer says nothing: the other one's set stands alone.
    let silent = CdsProbe {
        host: "ns-2.awsdns-02.net".into(),
        cds: Reply::NoAnswer("timed out".into()),
        cdnskey: Reply::NoAnswer("timed out".into()),
    };
    let probes = vec![
        cds_probe("ns-1.awsdns-01.com", vec![ds_of(&k)], vec![]),
        silent,
    ];
    assert!(warnings(&d, &evidence(None, None, probes)).is_empty());
}

#[test]
fn ttls_of_the_two_ns_sets_must_agree() {
    let d = delegation(&TWO_PROVIDERS, &[]);
    let found = warnings(&d, &evidence(Some(300), None, Vec::new()));
    assert_eq!(kinds(&found), [WarningKind::TtlMismatch]);
    assert!(found[0].evidence.contains("172800") && found[0].evidence.contains("300"));
    assert!(warnings(&d, &evidence(Some(172_800), None, Vec::new())).is_empty());
    // A non-authoritative answer is no child's TTL.
    let mut e = evidence(Some(300), None, Vec::new());
    if let Some(Reply::Answered(a)) = &mut e.apex_ns {
        a.authoritative = false;
    }
    assert!(warnings(&d, &e).is_empty());
}

#[test]
fn a_referral_over_the_udp_payload_is_too_large() {
    let hosts: Vec<String> = (0..8)
        .map(|i| format!("ns{i}-{}.dev.example.com.", "x".repeat(56)))
        .chain(["ns.other-provider.net.".to_owned()])
        .collect();
    let ns: Vec<&str> = hosts.iter().map(String::as_str).collect();
    let mut d = delegation(&ns, &[]);
    let e = evidence(None, None, Vec::new());
    assert!(warnings(&d, &e).is_empty(), "no glue: it fits");
    d.glue = hosts[..8]
        .iter()
        .map(|h| Glue {
            name: DnsName::from_route53(h),
            ttl: 300,
            addresses: ["192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::2"]
                .iter()
                .map(|a| a.parse().unwrap())
                .collect(),
        })
        .collect();
    let found = warnings(&d, &e);
    assert_eq!(kinds(&found), [WarningKind::ReferralTooLarge]);
    assert!(
        found[0].evidence.contains("9 NS, 0 DS, 32 glue records"),
        "{found:?}"
    );
}

#[test]
fn name_servers_need_two_and_two_providers() {
    let e = evidence(None, None, Vec::new());
    let one = warnings(&delegation(&["ns1.dns.test."], &[]), &e);
    assert_eq!(kinds(&one), [WarningKind::TooFewServers]);
    // The same server twice, in another case, is still one.
    let twice = warnings(&delegation(&["ns1.dns.test.", "NS1.DNS.TEST"], &[]), &e);
    assert_eq!(kinds(&twice), [WarningKind::TooFewServers]);
    let one_domain = warnings(&delegation(&["ns1.dns.test", "ns2.dns.test"], &[]), &e);
    assert_eq!(kinds(&one_domain), [WarningKind::SingleProvider]);
    assert!(one_domain[0].evidence.contains("under dns.test"));
    let two = warnings(&delegation(&["ns1.dns.test", "ns1.other.test"], &[]), &e);
    assert!(two.is_empty(), "{two:?}");
    // Route 53's four delegation-set servers: four registrable domains.
    let route53 = [
        "ns-1.awsdns-01.com",
        "ns-2.awsdns-02.net",
        "ns-3.awsdns-03.org",
        "ns-4.awsdns-04.co.uk",
    ];
    assert!(warnings(&delegation(&route53, &[]), &e).is_empty());
}
