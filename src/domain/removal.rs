//! When the audit may remove a dangling delegation, and what it deletes (docs/design.md, "Audit",
//! removal). Pure: the two probes' judgements, the allowed names and the live records in; a
//! decision and a change batch out.

use super::model::{Change, LiveRecord, RecordAction, RecordKind};
use super::name::{DnsName, same_values};
use super::verdict::{Delegation, Judgement, Verdict};

/// Why a dangling delegation is not removed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Keep {
    #[error("not every delegated name server answered that it does not serve the name")]
    Inconclusive,
    #[error("the second probe disagrees: {0}")]
    SecondProbeDisagrees(String),
    #[error("{0} is not strictly below the parent zone's apex {1}")]
    NotBelowApex(DnsName, DnsName),
    #[error("{0} matches none of the allowed names ({1})")]
    NotAllowed(DnsName, String),
    #[error("the NS record changed since it was audited (now {0})")]
    Changed(String),
    #[error("the NS record is gone already")]
    Gone,
}

/// The checks made before the second probe: a conclusive dangling verdict, a name strictly below
/// the apex, and a name the provider may write.
pub fn candidate(
    delegation: &Delegation,
    first: &Judgement,
    allowed: &[String],
) -> Result<(), Keep> {
    if first.verdict != Verdict::Dangling || !first.conclusive {
        return Err(Keep::Inconclusive);
    }
    if !delegation.name.is_strictly_below(&delegation.zone_name) {
        return Err(Keep::NotBelowApex(
            delegation.name.clone(),
            delegation.zone_name.clone(),
        ));
    }
    if !allowed
        .iter()
        .any(|p| glob_matches(p, delegation.name.as_str()))
    {
        return Err(Keep::NotAllowed(
            delegation.name.clone(),
            if allowed.is_empty() {
                "none given".to_owned()
            } else {
                allowed.join(", ")
            },
        ));
    }
    Ok(())
}

/// The second probe must agree: conclusive dangling again.
pub fn confirmed(second: &Judgement) -> Result<(), Keep> {
    if second.verdict == Verdict::Dangling && second.conclusive {
        Ok(())
    } else {
        Err(Keep::SecondProbeDisagrees(format!(
            "{}: {}",
            second.verdict, second.reason
        )))
    }
}

/// The DELETEs for a confirmed dangling delegation, with the exact live TTLs and values read just
/// before: DS first (a DS without NS is refused), then NS. Refused when the NS values are not the
/// ones audited (someone re-pointed it meanwhile).
pub fn removal_changes(delegation: &Delegation, live: &[LiveRecord]) -> Result<Vec<Change>, Keep> {
    let at_name = |kind| {
        live.iter()
            .find(|r| r.is(kind) && r.name == delegation.name && !r.special)
    };
    let Some(ns) = at_name(RecordKind::Ns) else {
        return Err(Keep::Gone);
    };
    if !same_values(&ns.values, &delegation.ns) {
        return Err(Keep::Changed(ns.values.join(" ")));
    }
    let delete = |r: &LiveRecord, kind| Change {
        action: RecordAction::Delete,
        name: delegation.name.clone(),
        kind,
        ttl: r.ttl.unwrap_or_default(),
        values: r.values.clone(),
    };
    let mut changes = Vec::new();
    if let Some(ds) = at_name(RecordKind::Ds) {
        changes.push(delete(ds, RecordKind::Ds));
    }
    changes.push(delete(ns, RecordKind::Ns));
    Ok(changes)
}

/// IAM's `StringLike`: `*` matches any run of characters (dots included), `?` one character;
/// compared in lower case, as Route 53's normalized record names are.
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.trim().to_ascii_lowercase().chars().collect();
    let n: Vec<char> = name.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
#[path = "tests/removal.rs"]
mod tests;
