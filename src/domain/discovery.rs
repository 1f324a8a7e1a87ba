//! Parent discovery (docs/design.md, "Parent discovery"): a request that names no parent zone is
//! delegated in the public zone, among those the provider may write, whose name is the longest
//! proper suffix of the delegated name, label-wise.

use super::model::Zone;
use super::name::DnsName;
use super::plan::the_public_zone;
use super::properties::ZoneId;
use super::refusal::Refusal;

/// The zones the provider may write (`DELEGATION_PARENT_ZONE_IDS`, the template's
/// `ParentHostedZoneIds`): every zone of the account, or these.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ParentScope {
    #[default]
    Any,
    Only(Vec<ZoneId>),
}

impl ParentScope {
    /// `*`, empty or unset: every zone; else comma-separated zone IDs (with or without
    /// `/hostedzone/`).
    pub fn parse(text: Option<&str>) -> Result<Self, String> {
        let entries: Vec<&str> = text
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        if entries.is_empty() || entries == ["*"] {
            return Ok(ParentScope::Any);
        }
        entries
            .iter()
            .map(|e| {
                ZoneId::parse(e).ok_or_else(|| {
                    format!("{e:?} is not a hosted zone ID (and \"*\" must stand alone)")
                })
            })
            .collect::<Result<_, _>>()
            .map(ParentScope::Only)
    }

    fn allows(&self, zone: &ZoneId) -> bool {
        match self {
            ParentScope::Any => true,
            ParentScope::Only(ids) => ids.contains(zone),
        }
    }

    fn describe(&self) -> String {
        match self {
            ParentScope::Any => "every zone of the account".into(),
            ParentScope::Only(ids) => {
                let ids: Vec<&str> = ids.iter().map(ZoneId::as_str).collect();
                ids.join(", ")
            }
        }
    }
}

/// The names a parent could have, longest first: every proper suffix, down to one label.
pub fn candidate_names(name: &DnsName) -> Vec<DnsName> {
    name.as_str()
        .match_indices('.')
        .map(|(at, _)| DnsName::from_route53(&name.as_str()[at + 1..]))
        .collect()
}

/// What the zones of one candidate name decide: `Ok(None)` when none is public and writable
/// (look at the next, shorter name), the one zone, or a refusal when there are several.
pub fn choose(
    name: &DnsName,
    zones: Vec<Zone>,
    scope: &ParentScope,
) -> Result<Option<Zone>, Refusal> {
    let writable: Vec<Zone> = zones
        .into_iter()
        .filter(|z| z.name == *name && scope.allows(&z.id))
        .collect();
    if writable.iter().all(|z| z.private) {
        return Ok(None);
    }
    the_public_zone(name, writable).map(Some)
}

/// The refusal when no candidate name has a writable public zone.
pub fn none_found(name: &DnsName, scope: &ParentScope) -> Refusal {
    let searched: Vec<String> = candidate_names(name)
        .iter()
        .map(DnsName::to_string)
        .collect();
    Refusal::NoParentFound {
        name: name.clone(),
        searched: searched.join(", "),
        scope: scope.describe(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> DnsName {
        DnsName::parse(s).unwrap()
    }

    fn zone(id: &str, name: &str, private: bool) -> Zone {
        Zone {
            id: ZoneId::parse(id).unwrap(),
            name: n(name),
            private,
            name_servers: Vec::new(),
        }
    }

    #[test]
    fn candidates_are_the_proper_suffixes_longest_first() {
        assert_eq!(
            candidate_names(&n("svc.eng.corp.test")),
            [n("eng.corp.test"), n("corp.test"), n("test")]
        );
        assert!(candidate_names(&n("test")).is_empty());
    }

    #[test]
    fn one_public_writable_zone_is_chosen_and_the_rest_do_not_count() {
        let name = n("eng.corp.test");
        let only = ParentScope::Only(vec![ZoneId::parse("ZA").unwrap()]);
        let zones = vec![
            zone("ZA", "eng.corp.test", false),
            zone("ZP", "eng.corp.test", true),
            zone("ZB", "eng.corp.test", false),
        ];
        assert_eq!(
            choose(&name, zones.clone(), &only)
                .unwrap()
                .unwrap()
                .id
                .as_str(),
            "ZA"
        );
        let refused = choose(&name, zones.clone(), &ParentScope::Any).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "2 public hosted zones are named eng.corp.test (ZA, ZB); give ParentHostedZoneId to choose one"
        );
        let private_only = vec![zone("ZP", "eng.corp.test", true)];
        assert_eq!(
            choose(&name, private_only, &ParentScope::Any).unwrap(),
            None
        );
        let outside = ParentScope::Only(vec![ZoneId::parse("ZC").unwrap()]);
        assert_eq!(choose(&name, zones, &outside).unwrap(), None);
    }

    #[test]
    fn the_scope_reads_the_templates_parameter() {
        assert_eq!(ParentScope::parse(None).unwrap(), ParentScope::Any);
        assert_eq!(ParentScope::parse(Some("*")).unwrap(), ParentScope::Any);
        assert_eq!(
            ParentScope::parse(Some("Z1, /hostedzone/Z2")).unwrap(),
            ParentScope::Only(vec![
                ZoneId::parse("Z1").unwrap(),
                ZoneId::parse("Z2").unwrap()
            ])
        );
        assert!(ParentScope::parse(Some("Z1,*")).is_err());
        assert!(ParentScope::parse(Some("not a zone")).is_err());
    }

    #[test]
    fn nothing_found_says_what_was_searched() {
        let why = none_found(
            &n("svc.eng.corp.test"),
            &ParentScope::Only(vec![ZoneId::parse("Z1").unwrap()]),
        );
        assert_eq!(
            why.to_string(),
            "no parent zone found for svc.eng.corp.test: searched eng.corp.test, corp.test, test among the public zones the provider may write (ParentHostedZoneIds: Z1); create the parent zone, add it to the provider's ParentHostedZoneIds, or give ParentHostedZoneId or ParentHostedZoneName"
        );
    }
}
