//! DNS names as the provider compares them: lower case, punycode, no trailing dot.

use std::fmt;

/// A normalised DNS name (`dev.example.com`). Two names are equal exactly when they are the same
/// name in DNS, so comparisons need no further care.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DnsName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("is empty")]
    Empty,
    #[error("is not a valid DNS name ({0})")]
    Invalid(String),
    #[error("is longer than 253 characters")]
    TooLong,
    #[error("has a label longer than 63 characters")]
    LabelTooLong,
    #[error("has an empty label")]
    EmptyLabel,
    #[error("contains {0:?}, which is not allowed in a delegated name")]
    BadCharacter(char),
}

impl DnsName {
    /// Parses a name a user wrote: any case, one optional trailing dot, Unicode allowed (IDNA).
    pub fn parse(input: &str) -> Result<Self, NameError> {
        if input.is_empty() || input == "." {
            return Err(NameError::Empty);
        }
        let trimmed = input.strip_suffix('.').unwrap_or(input);
        if trimmed.is_empty() {
            return Err(NameError::Empty);
        }
        if trimmed.split('.').any(str::is_empty) {
            return Err(NameError::EmptyLabel);
        }
        if let Some(c) = trimmed
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '*' | '\\' | '/' | '@'))
        {
            return Err(NameError::BadCharacter(c));
        }
        let ascii =
            idna::domain_to_ascii(trimmed).map_err(|e| NameError::Invalid(e.to_string()))?;
        Self::check_ascii(ascii)
    }

    /// Reads a name as Route 53 returns it (trailing dot, `\052` for `*`, other octal escapes kept),
    /// for comparison only; never fails.
    pub fn from_route53(name: &str) -> Self {
        let name = name.strip_suffix('.').unwrap_or(name);
        DnsName(name.replace("\\052", "*").to_ascii_lowercase())
    }

    fn check_ascii(ascii: String) -> Result<Self, NameError> {
        if ascii.len() > 253 {
            return Err(NameError::TooLong);
        }
        for label in ascii.split('.') {
            if label.is_empty() {
                return Err(NameError::EmptyLabel);
            }
            if label.len() > 63 {
                return Err(NameError::LabelTooLong);
            }
            if let Some(c) = label
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
            {
                return Err(NameError::BadCharacter(c));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(NameError::Invalid(format!(
                    "label {label:?} starts or ends with a hyphen"
                )));
            }
        }
        Ok(DnsName(ascii.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name with its trailing dot, as Route 53 change batches spell it.
    pub fn fqdn(&self) -> String {
        format!("{}.", self.0)
    }

    /// True when `self` is `other` or a name below it, compared by whole labels
    /// (`badexample.com` is not below `example.com`).
    pub fn is_at_or_below(&self, other: &DnsName) -> bool {
        self == other || self.is_strictly_below(other)
    }

    pub fn is_strictly_below(&self, other: &DnsName) -> bool {
        self.0.len() > other.0.len()
            && self.0.ends_with(other.as_str())
            && self.0.as_bytes()[self.0.len() - other.0.len() - 1] == b'.'
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Compares two name-server or DS value lists as sets: order, case and trailing dots ignored.
pub fn same_values(a: &[String], b: &[String]) -> bool {
    let norm = |v: &[String]| {
        let mut v: Vec<String> = v.iter().map(|s| normalize_value(s)).collect();
        v.sort();
        v.dedup();
        v
    };
    norm(a) == norm(b)
}

/// A record value in the form used for comparison: lower case, no trailing dot, single spaces.
pub fn normalize_value(value: &str) -> String {
    let v = value.trim();
    let v = v.strip_suffix('.').unwrap_or(v);
    v.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> DnsName {
        DnsName::parse(s).unwrap()
    }

    #[test]
    fn normalises_case_trailing_dot_and_unicode() {
        assert_eq!(n("Dev.Example.COM.").as_str(), "dev.example.com");
        assert_eq!(
            n("bücher.example.com").as_str(),
            "xn--bcher-kva.example.com"
        );
        assert_eq!(n("XN--BCHER-KVA.example.com"), n("bücher.example.com"));
        assert_eq!(n("dev.example.com").fqdn(), "dev.example.com.");
    }

    #[test]
    fn rejects_malformed_names() {
        assert_eq!(DnsName::parse(""), Err(NameError::Empty));
        assert_eq!(DnsName::parse("."), Err(NameError::Empty));
        assert_eq!(
            DnsName::parse("dev..example.com"),
            Err(NameError::EmptyLabel)
        );
        assert_eq!(
            DnsName::parse("dev.example.com.."),
            Err(NameError::EmptyLabel)
        );
        assert_eq!(
            DnsName::parse("*.example.com"),
            Err(NameError::BadCharacter('*'))
        );
        assert_eq!(
            DnsName::parse("dev example.com"),
            Err(NameError::BadCharacter(' '))
        );
        assert_eq!(
            DnsName::parse(&format!("{}.com", "a".repeat(64))),
            Err(NameError::LabelTooLong)
        );
        assert_eq!(
            DnsName::parse(&format!("{}com", "abcdefghi.".repeat(26))),
            Err(NameError::TooLong)
        );
        assert!(DnsName::parse("-dev.example.com").is_err());
        assert!(DnsName::parse("dev;rm -rf.example.com").is_err());
        assert!(DnsName::parse("dev.example.com/x").is_err());
    }

    #[test]
    fn below_is_by_labels() {
        let parent = n("example.com");
        assert!(n("dev.example.com").is_strictly_below(&parent));
        assert!(n("a.b.dev.example.com").is_strictly_below(&parent));
        assert!(!n("badexample.com").is_strictly_below(&parent));
        assert!(!n("example.com").is_strictly_below(&parent));
        assert!(n("example.com").is_at_or_below(&parent));
        assert!(!n("com").is_at_or_below(&parent));
        assert!(!n("example.org").is_at_or_below(&parent));
    }

    #[test]
    fn route53_names_are_read_leniently() {
        assert_eq!(
            DnsName::from_route53("\\052.Dev.example.com."),
            DnsName("*.dev.example.com".into())
        );
        assert!(
            DnsName::from_route53("\\052.dev.example.com.")
                .is_strictly_below(&n("dev.example.com"))
        );
    }

    #[test]
    fn values_compare_as_sets() {
        let a = vec![
            "NS-1.awsdns-1.com.".to_string(),
            "ns-2.awsdns-2.net".to_string(),
        ];
        let b = vec![
            "ns-2.awsdns-2.net.".to_string(),
            "ns-1.awsdns-1.com".to_string(),
        ];
        assert!(same_values(&a, &b));
        assert!(!same_values(&a, &b[..1]));
        assert_eq!(normalize_value(" 123  13 2 ABCD "), "123 13 2 abcd");
    }
}
