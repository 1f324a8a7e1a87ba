//! The DNSSEC warnings (docs/design.md, "Audit"): a signed child without a DS in the parent
//! (`insecure`), and the child's CDS/CDNSKEY records (RFC 7344, RFC 8078) asking for another DS
//! set than the parent's (`ds-update-pending`) or differing across its servers
//! (`cds-inconsistent`).

use super::{Warning, WarningKind};
use crate::domain::name::DnsName;
use crate::domain::probe::{DnsKey, DsValue, KSK_FLAGS, Reply};
use crate::domain::verdict::{CdsProbe, Delegation, Evidence};
use std::collections::BTreeSet;

pub(super) fn warnings(delegation: &Delegation, evidence: &Evidence) -> Vec<Warning> {
    let mut found: Vec<Warning> = insecure(delegation, evidence.dnskey.as_ref())
        .into_iter()
        .collect();
    found.extend(cds(delegation, &evidence.cds));
    found
}

/// A signed DNSKEY set with a key-signing key at the child apex, and no DS in the parent.
fn insecure(delegation: &Delegation, dnskey: Option<&Reply>) -> Option<Warning> {
    if !delegation.ds.is_empty() {
        return None;
    }
    let Some(Reply::Answered(answer)) = dnskey else {
        return None;
    };
    if !answer.is_authoritative_data() || !answer.signed {
        return None;
    }
    let ksks: Vec<String> = answer
        .dnskeys
        .iter()
        .filter(|k| k.flags == KSK_FLAGS)
        .map(DnsKey::describe)
        .collect();
    if ksks.is_empty() {
        return None;
    }
    Some(Warning::new(
        WarningKind::Insecure,
        format!(
            "{} serves a signed DNSKEY set with a key-signing key ({}), but the parent holds no DS: the chain of trust is not established, so validating resolvers treat the zone as unsigned",
            delegation.name,
            ksks.join(", ")
        ),
        "publish the DS of the child's key-signing key in the parent (an Update of the delegation's stack with Dnssec: auto does it), or stop signing the child zone",
    ))
}

/// What one server publishes at the child apex: its CDS and CDNSKEY sets.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Published {
    cds: BTreeSet<DsValue>,
    cdnskey: BTreeSet<DnsKey>,
}

impl Published {
    fn is_empty(&self) -> bool {
        self.cds.is_empty() && self.cdnskey.is_empty()
    }

    fn deletes(&self) -> bool {
        self.cds.iter().any(DsValue::is_delete) || self.cdnskey.iter().any(DnsKey::is_delete)
    }

    fn describe(&self) -> String {
        if self.is_empty() {
            return "no CDS or CDNSKEY".into();
        }
        let cds: Vec<String> = self.cds.iter().map(|d| format!("CDS {d}")).collect();
        let keys = self.cdnskey.iter().map(|k| format!("C{}", k.describe()));
        cds.into_iter().chain(keys).collect::<Vec<_>>().join(", ")
    }
}

/// The sets one server published, when it answered both questions authoritatively (an empty
/// answer publishes nothing); `None` when it did not, which says nothing of what it publishes.
fn published(probe: &CdsProbe) -> Option<Published> {
    let answered = |reply: &Reply| match reply {
        Reply::Answered(a) if a.is_authoritative_data() => Some(a.clone()),
        _ => None,
    };
    let (cds, cdnskey) = (answered(&probe.cds)?, answered(&probe.cdnskey)?);
    Some(Published {
        cds: cds.cds.into_iter().collect(),
        cdnskey: cdnskey.dnskeys.into_iter().collect(),
    })
}

fn cds(delegation: &Delegation, probes: &[CdsProbe]) -> Option<Warning> {
    let sets: Vec<(&str, Published)> = probes
        .iter()
        .filter_map(|p| published(p).map(|s| (p.host.as_str(), s)))
        .collect();
    let first = &sets.first()?.1;
    if sets.iter().any(|(_, s)| s != first) {
        let each: Vec<String> = sets
            .iter()
            .map(|(host, s)| format!("{host}: {}", s.describe()))
            .collect();
        return Some(Warning::new(
            WarningKind::CdsInconsistent,
            format!(
                "the name servers of {} publish different CDS/CDNSKEY sets ({}): a parent acts only on a set every server agrees on (RFC 7344, 4.1)",
                delegation.name,
                each.join("; ")
            ),
            "make every name server of the child serve the same CDS and CDNSKEY records (a secondary that lags behind, or servers that sign on their own, each with its keys)",
        ));
    }
    if first.is_empty() {
        return None;
    }
    pending(delegation, first)
}

/// The consistent CDS/CDNSKEY sets against the parent's DS set.
fn pending(delegation: &Delegation, published: &Published) -> Option<Warning> {
    let parent: BTreeSet<DsValue> = delegation
        .ds
        .iter()
        .filter_map(|v| DsValue::parse(v))
        .collect();
    let held = if parent.is_empty() {
        "no DS".to_owned()
    } else {
        let ds: Vec<String> = parent.iter().map(DsValue::to_string).collect();
        format!("DS {}", ds.join(", "))
    };
    if published.deletes() {
        return (!parent.is_empty()).then(|| {
            Warning::new(
                WarningKind::DsUpdatePending,
                format!(
                    "every name server of {} publishes CDS/CDNSKEY delete records (algorithm 0, RFC 8078: {}), asking the parent to remove its {held}",
                    delegation.name,
                    published.describe()
                ),
                "remove the DS from the parent if the child is going unsigned (an Update of the delegation's stack with Dnssec: off); otherwise remove the delete records from the child",
            )
        });
    }
    let cds_differs = !published.cds.is_empty() && published.cds != parent;
    let keys_differ =
        !published.cdnskey.is_empty() && !same_keys(&published.cdnskey, &parent, &delegation.name);
    (cds_differs || keys_differ).then(|| {
        Warning::new(
            WarningKind::DsUpdatePending,
            format!(
                "every name server of {} publishes {}, the parent holds {held}: a key rollover (or the first DS) waits for the parent",
                delegation.name,
                published.describe()
            ),
            "publish in the parent the DS set the child's CDS names (an Update of the delegation's stack with Dnssec: auto publishes the child's current key), and remove the DS the child no longer asks for",
        )
    })
}

/// Whether the DS set designates exactly these keys: each key by some DS, each DS some key.
fn same_keys(keys: &BTreeSet<DnsKey>, ds: &BTreeSet<DsValue>, owner: &DnsName) -> bool {
    keys.iter().all(|k| ds.iter().any(|d| d.matches(k, owner)))
        && ds.iter().all(|d| keys.iter().any(|k| d.matches(k, owner)))
}
