//! Unit tests of `domain::authority::policy`, with plain values.
use super::*;

/// A policy that allots dev.example.com to account 222222222222 and every account its own
/// subtree; the accounts tests use it too.
pub(in crate::domain::authority) fn policy() -> Policy {
    Policy::parse(r#"{"allow":[{"accounts":["222222222222"],"names":["dev.example.com"]},
        {"accounts":["*"],"names":["{account}.accounts.example.com","*.{account}.accounts.example.com"]}]}"#)
    .unwrap()
}

#[test]
fn invalid_policies_are_refused_at_start() {
    for bad in [
        "not json",
        "{}",
        r#"{"allow":[{"accounts":["1234"],"names":["a.example.com"]}]}"#,
        r#"{"allow":[{"accounts":["*"],"names":["a..example.com"]}]}"#,
        r#"{"allow":[{"accounts":["*"],"names":["{acct}.example.com"]}]}"#,
        r#"{"allow":[{"accounts":[],"names":["a.example.com"]}]}"#,
        r#"{"allow":[{"accounts":["*"],"names":["a.example.com"],"deny":true}]}"#,
    ] {
        assert!(Policy::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(policy().allow.len(), 2);
    assert_eq!(Policy::parse(r#"{"allow":[]}"#).unwrap().allow.len(), 0);
}
