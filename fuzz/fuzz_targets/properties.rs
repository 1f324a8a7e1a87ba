//! Arbitrary JSON as ResourceProperties: `Properties::from_json` never panics, what it accepts
//! is within the contract's ranges, and what it refuses is explained.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use subdomain_delegation::domain::name::DnsName;
use subdomain_delegation::domain::properties::{MAX_TTL, ParentZoneRef, Properties};

fn valid_name(n: &DnsName) {
    let again = DnsName::parse(n.as_str()).expect("an accepted name parses again");
    assert_eq!(&again, n);
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    match Properties::from_json(&value) {
        Ok(p) => {
            assert!((1..=MAX_TTL).contains(&p.ttl));
            if let Some(ParentZoneRef::Name(n)) = &p.parent {
                valid_name(n);
            }
            if let Some(n) = &p.delegated_name {
                valid_name(n);
            }
            for role in [&p.child_role, &p.parent_role].into_iter().flatten() {
                assert_eq!(role.account.len(), 12);
                assert!(role.arn.contains(&role.account));
            }
            assert!(value.is_object());
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
