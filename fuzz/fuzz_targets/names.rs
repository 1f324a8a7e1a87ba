//! DNS names and physical IDs: `DnsName::parse` never panics, is idempotent on its output, agrees
//! with a label-wise reference for "below", and `Identity` is exactly its text.
//! Input: `<name>|<other name>` (UTF-8; anything else is read lossily).
#![no_main]

use libfuzzer_sys::fuzz_target;
use subdomain_delegation::domain::name::{DnsName, normalize_value, same_values};
use subdomain_delegation::domain::plan::Identity;
use subdomain_delegation::domain::properties::ZoneId;

/// Below by whole labels: `a` has more labels than `b` and ends with all of `b`'s.
fn reference_below(a: &DnsName, b: &DnsName) -> bool {
    let a: Vec<&str> = a.as_str().split('.').collect();
    let b: Vec<&str> = b.as_str().split('.').collect();
    a.len() > b.len() && a[a.len() - b.len()..] == b[..]
}

fn check_name(n: &DnsName) {
    let s = n.as_str();
    assert!(!s.is_empty() && s.len() <= 253, "{s:?}");
    for label in s.split('.') {
        assert!((1..=63).contains(&label.len()), "{s:?}");
        assert!(
            label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'),
            "{s:?}"
        );
    }
    assert_eq!(DnsName::parse(s).as_ref(), Ok(n), "parse is idempotent");
    assert_eq!(
        DnsName::parse(&n.fqdn()).as_ref(),
        Ok(n),
        "the trailing dot"
    );
    assert_eq!(
        DnsName::parse(&s.to_ascii_uppercase()).as_ref(),
        Ok(n),
        "case"
    );
    assert_eq!(&DnsName::from_route53(&n.fqdn()), n);
    assert!(!n.is_strictly_below(n));
    assert!(n.is_at_or_below(n));
    let id = format!("Z0FUZZ/{s}");
    let identity = Identity::parse(&id).expect("a zone and a normalised name are an ID");
    assert_eq!(identity.to_string(), id);
    assert_eq!(identity.name, *n);
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('|').unwrap_or((&text, ""));
    let na = DnsName::parse(a);
    let nb = DnsName::parse(b);
    if let Ok(n) = &na {
        check_name(n);
    }
    if let Ok(n) = &nb {
        check_name(n);
    }
    if let (Ok(x), Ok(y)) = (&na, &nb) {
        assert_eq!(
            x.is_strictly_below(y),
            reference_below(x, y),
            "{x} below {y}"
        );
        assert_eq!(x.is_at_or_below(y), x == y || reference_below(x, y));
        if x.is_strictly_below(y) {
            assert!(!y.is_strictly_below(x));
        }
    }
    // Any text as a physical ID: an Identity only for the exact form the provider writes.
    if let Some(identity) = Identity::parse(&text) {
        assert_eq!(identity.to_string(), *text);
    }
    if let Some(zone) = ZoneId::parse(&text) {
        assert_eq!(ZoneId::parse(zone.as_str()).as_ref(), Some(&zone));
    }
    // Record values: comparison is symmetric, order-free, and blind to case.
    let va: Vec<String> = a.split(',').map(str::to_owned).collect();
    let vb: Vec<String> = b.split(',').map(str::to_owned).collect();
    for v in va.iter().chain(&vb) {
        assert_eq!(normalize_value(&v.to_ascii_uppercase()), normalize_value(v));
    }
    assert_eq!(same_values(&va, &vb), same_values(&vb, &va));
    let mut reversed = va.clone();
    reversed.reverse();
    assert!(same_values(&va, &reversed));
});
