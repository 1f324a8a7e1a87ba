//! Property tests of the name rules (proptest): parsing never panics, is idempotent on its own
//! output and blind to case and one trailing dot; "below" is decided by whole labels; a physical
//! ID is exactly the text the provider writes. The coverage-guided counterpart is scripts/fuzz.

use proptest::prelude::*;
use subdomain_delegation::domain::name::{DnsName, same_values};
use subdomain_delegation::domain::plan::Identity;
use subdomain_delegation::domain::properties::ZoneId;

/// An LDH label (no "--", which IDNA reserves for A-labels such as xn--…).
fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9_-]{0,12}[a-z0-9])?".prop_filter("not an A-label", |l| !l.contains("--"))
}

fn labels() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(label(), 1..5)
}

/// The reference: `a` has more labels than `b` and ends with all of `b`'s labels.
fn reference_below(a: &DnsName, b: &DnsName) -> bool {
    let a: Vec<&str> = a.as_str().split('.').collect();
    let b: Vec<&str> = b.as_str().split('.').collect();
    a.len() > b.len() && a[a.len() - b.len()..] == b[..]
}

fn name(labels: &[String]) -> DnsName {
    DnsName::parse(&labels.join(".")).expect("generated names are valid")
}

/// Text that looks like names: letters of both cases, digits, dots (ASCII and the ideographic
/// full stop IDNA maps to a dot), hyphens, and a few characters that must be refused.
const NAMEISH: &str = "[a-zA-Z0-9.\\-_*@/ \\\\äöüßéÉ\u{3002}\u{ff0e}\u{200d}\u{00ad}]{0,70}";

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_any_text(s in any::<String>()) {
        let _ = DnsName::parse(&s);
        let _ = Identity::parse(&s);
        let _ = ZoneId::parse(&s);
        let _ = DnsName::from_route53(&s);
    }

    #[test]
    fn parse_is_idempotent_on_its_output(s in NAMEISH) {
        if let Ok(n) = DnsName::parse(&s) {
            prop_assert_eq!(DnsName::parse(n.as_str()), Ok(n.clone()));
            prop_assert_eq!(DnsName::parse(&n.fqdn()), Ok(n.clone()));
            prop_assert!(n.as_str().is_ascii());
            prop_assert_eq!(n.as_str(), n.as_str().to_ascii_lowercase());
            prop_assert!(n.as_str().len() <= 253);
            prop_assert!(n.as_str().split('.').all(|l| (1..=63).contains(&l.len())));
            prop_assert_eq!(DnsName::from_route53(&n.fqdn()), n);
        }
    }

    #[test]
    fn case_and_one_trailing_dot_do_not_matter(labels in labels()) {
        let text = labels.join(".");
        let n = name(&labels);
        prop_assert_eq!(DnsName::parse(&text.to_ascii_uppercase()), Ok(n.clone()));
        prop_assert_eq!(DnsName::parse(&format!("{text}.")), Ok(n.clone()));
        let (two_dots, leading_dot) = (format!("{text}.."), format!(".{text}"));
        prop_assert!(DnsName::parse(&two_dots).is_err());
        prop_assert!(DnsName::parse(&leading_dot).is_err());
    }

    #[test]
    fn below_is_decided_by_whole_labels(
        parent in labels(),
        extra in prop::collection::vec(label(), 0..3),
        other in labels(),
    ) {
        let p = name(&parent);
        let child = name(&[extra.clone(), parent.clone()].concat());
        prop_assert_eq!(child.is_strictly_below(&p), !extra.is_empty());
        prop_assert!(child.is_at_or_below(&p));
        prop_assert!(!p.is_strictly_below(&p));
        let o = name(&other);
        prop_assert_eq!(o.is_strictly_below(&p), reference_below(&o, &p));
        prop_assert_eq!(o.is_at_or_below(&p), o == p || reference_below(&o, &p));
        if o.is_strictly_below(&p) {
            prop_assert!(!p.is_strictly_below(&o));
            // Transitive: anything below `o` is below `p` too.
            let deeper = name(&[vec!["x".to_string()], other.clone()].concat());
            prop_assert!(deeper.is_strictly_below(&p));
        }
    }

    #[test]
    fn a_label_glued_to_the_parent_is_not_below_it(prefix in label(), parent in labels()) {
        let p = name(&parent);
        if let Ok(glued) = DnsName::parse(&format!("{prefix}{}", parent.join("."))) {
            prop_assert!(!glued.is_strictly_below(&p), "{} is not below {}", glued, p);
        }
    }

    #[test]
    fn a_physical_id_is_exactly_its_text(zone in "[A-Z0-9]{1,32}", labels in labels()) {
        let n = name(&labels);
        let id = format!("{zone}/{n}");
        let identity = Identity::parse(&id).expect("the provider's own form parses");
        prop_assert_eq!(identity.to_string(), id.clone());
        prop_assert_eq!(&identity.name, &n);
        // Other spellings of the same thing are not IDs this provider wrote.
        let dotted = format!("{id}.");
        let prefixed = format!("/hostedzone/{id}");
        prop_assert!(Identity::parse(&dotted).is_none());
        prop_assert!(Identity::parse(&prefixed).is_none());
        let lower_zone = zone.to_ascii_lowercase();
        if lower_zone != zone {
            let lowered = format!("{lower_zone}/{n}");
            prop_assert!(Identity::parse(&lowered).is_none());
        }
        let upper = n.as_str().to_ascii_uppercase();
        if upper != n.as_str() {
            let uppered = format!("{zone}/{upper}");
            prop_assert!(Identity::parse(&uppered).is_none());
        }
    }

    #[test]
    fn zone_ids_take_an_optional_prefix(zone in "[A-Z0-9]{1,32}") {
        let bare = ZoneId::parse(&zone).expect("upper-case letters and digits");
        prop_assert_eq!(ZoneId::parse(&format!("/hostedzone/{zone}")), Some(bare.clone()));
        prop_assert_eq!(bare.as_str(), zone.as_str());
    }

    #[test]
    fn unicode_names_are_kept_as_punycode(s in "[a-zäöüéß]{1,12}", parent in labels()) {
        if let Ok(n) = DnsName::parse(&format!("{s}.{}", parent.join("."))) {
            prop_assert!(n.as_str().is_ascii());
            prop_assert!(n.is_strictly_below(&name(&parent)));
        }
    }

    #[test]
    fn name_server_lists_compare_as_sets(values in prop::collection::vec("[a-z0-9-]{1,10}(\\.[a-z]{2,5}){1,2}", 1..5)) {
        let mut shuffled: Vec<String> = values
            .iter()
            .rev()
            .map(|v| format!("{}.", v.to_ascii_uppercase()))
            .collect();
        prop_assert!(same_values(&values, &shuffled));
        shuffled.push("ns-extra.example.invalid".into());
        prop_assert!(!same_values(&values, &shuffled));
    }
}
