//! Unit tests of `domain::referral`: sizes counted by hand from RFC 1035's wire format, and a
//! referral that no longer fits.
use super::*;
use crate::domain::name::DnsName;
use crate::domain::properties::ZoneId;
use crate::domain::verdict::Glue;

fn n(s: &str) -> DnsName {
    DnsName::parse(s).unwrap()
}

fn delegation(ns: &[&str], ds: &[&str], glue: Vec<Glue>) -> Delegation {
    Delegation {
        zone_id: ZoneId::parse("Z0PARENT").unwrap(),
        zone_name: n("example.com"),
        name: n("dev.example.com"),
        ns_ttl: 172_800,
        ns: ns.iter().map(|s| s.to_string()).collect(),
        ds_ttl: 3600,
        ds: ds.iter().map(|s| s.to_string()).collect(),
        glue,
    }
}

/// Header 12; question 17 (dev.example.com) + 4; OPT 11.
const FIXED: usize = 12 + 17 + 4 + 11;
/// An RR's type, class, TTL and RDLENGTH.
const RR: usize = 10;
/// A compression pointer to a name already in the message.
const POINTER: usize = 2;

#[test]
fn a_referral_is_measured_as_the_wire_message_with_compression() {
    // NS ns1.dns.test: owner pointer, RR, the target in full (1+3+1+3+1+4+1 = 14).
    let one = delegation(&["ns1.dns.test."], &[], Vec::new());
    assert_eq!(referral_size(&one), Some(FIXED + POINTER + RR + 14));
    // A second target under the same domain: "ns2" and a pointer to dns.test.
    let two = delegation(&["ns1.dns.test.", "ns2.dns.test"], &[], Vec::new());
    assert_eq!(
        referral_size(&two),
        Some(FIXED + 2 * (POINTER + RR) + 14 + 4 + POINTER)
    );
    // A SHA-256 DS: tag, algorithm, digest type and 32 bytes of digest.
    let digest = "ab".repeat(32);
    let ds = format!("12345 13 2 {digest}");
    let signed = delegation(&["ns1.dns.test."], &[&ds], Vec::new());
    assert_eq!(
        referral_size(&signed),
        Some(FIXED + POINTER + RR + 14 + POINTER + RR + 4 + 32)
    );
}

#[test]
fn glue_goes_in_the_additional_section() {
    let glue = vec![Glue {
        name: n("ns1.dev.example.com"),
        ttl: 300,
        addresses: vec!["192.0.2.1".parse().unwrap(), "2001:db8::1".parse().unwrap()],
    }];
    let d = delegation(&["ns1.dev.example.com."], &[], glue);
    // The NS target: "ns1" and a pointer to dev.example.com; each glue record's owner a pointer
    // to that target; A 4 bytes, AAAA 16.
    let ns = POINTER + RR + 4 + POINTER;
    let a = POINTER + RR + 4;
    let aaaa = POINTER + RR + 16;
    assert_eq!(referral_size(&d), Some(FIXED + ns + a + aaaa));
}

#[test]
fn many_servers_with_glue_overflow_the_udp_payload() {
    let hosts: Vec<String> = (0..8)
        .map(|i| format!("ns{i}-{}.dev.example.com", "x".repeat(56)))
        .collect();
    let glue: Vec<Glue> = hosts
        .iter()
        .map(|h| Glue {
            name: n(h),
            ttl: 300,
            addresses: vec![
                "192.0.2.1".parse().unwrap(),
                "192.0.2.2".parse().unwrap(),
                "2001:db8::1".parse().unwrap(),
                "2001:db8::2".parse().unwrap(),
            ],
        })
        .collect();
    let ns: Vec<&str> = hosts.iter().map(String::as_str).collect();
    let big = delegation(&ns, &[], glue.clone());
    assert!(referral_size(&big).unwrap() > MAX_UDP_PAYLOAD, "{big:?}");
    let fewer = delegation(&ns[..4], &[], glue[..4].to_vec());
    assert!(referral_size(&fewer).unwrap() <= MAX_UDP_PAYLOAD);
    let not_a_host = delegation(&["not a host name"], &[], Vec::new());
    assert_eq!(referral_size(&not_a_host), None);
}
