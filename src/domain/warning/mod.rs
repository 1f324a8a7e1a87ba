//! The audit's warnings (docs/design.md, "Audit"): what the best DNS scanners flag beside the
//! verdict, each with its evidence and what to do. Pure: the parent's records and the answers of
//! the delegated servers in, warnings out. The verdict does not depend on them, nor the exit code.
//!
//! Layout: the warning kinds and the rules on the parent's records and the apex NS answer here; the
//! DNSSEC rules (the chain of trust, CDS and CDNSKEY) in `dnssec`.

mod dnssec;

use super::referral::{MAX_UDP_PAYLOAD, referral_size};
use super::registrable::registrable_domain;
use super::verdict::{Delegation, Evidence, sorted_hosts};
use crate::domain::probe::Reply;
use std::collections::BTreeSet;
use std::fmt;

/// Fewer name servers than this and one outage takes the subdomain offline (RFC 1034, 4.1: at
/// least two).
pub const MIN_NAME_SERVERS: usize = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WarningKind {
    /// The child signs its zone, the parent holds no DS: the chain of trust is not established.
    Insecure,
    /// The child's CDS/CDNSKEY, the same on every server, ask for another DS set than the parent's.
    DsUpdatePending,
    /// The child's servers publish different CDS/CDNSKEY sets.
    CdsInconsistent,
    /// The parent's NS TTL differs from the child apex's.
    TtlMismatch,
    /// The parent's referral does not fit 1,232 bytes of UDP payload.
    ReferralTooLarge,
    /// Every name server is under one registrable domain.
    SingleProvider,
    /// Fewer than two name servers.
    TooFewServers,
}

impl WarningKind {
    pub const ALL: [WarningKind; 7] = [
        WarningKind::Insecure,
        WarningKind::DsUpdatePending,
        WarningKind::CdsInconsistent,
        WarningKind::TtlMismatch,
        WarningKind::ReferralTooLarge,
        WarningKind::SingleProvider,
        WarningKind::TooFewServers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::Insecure => "insecure",
            WarningKind::DsUpdatePending => "ds-update-pending",
            WarningKind::CdsInconsistent => "cds-inconsistent",
            WarningKind::TtlMismatch => "ttl-mismatch",
            WarningKind::ReferralTooLarge => "referral-too-large",
            WarningKind::SingleProvider => "single-provider",
            WarningKind::TooFewServers => "too-few-servers",
        }
    }
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One warning: its kind, what was observed, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub kind: WarningKind,
    pub evidence: String,
    pub action: String,
}

impl Warning {
    fn new(kind: WarningKind, evidence: String, action: &str) -> Warning {
        Warning {
            kind,
            evidence,
            action: action.to_owned(),
        }
    }
}

/// Every warning the parent's records and the answers support, in [`WarningKind::ALL`]'s order.
pub fn warnings(delegation: &Delegation, evidence: &Evidence) -> Vec<Warning> {
    let mut found = dnssec::warnings(delegation, evidence);
    found.extend(ttl_mismatch(delegation, evidence.apex_ns.as_ref()));
    found.extend(referral_too_large(delegation));
    found.extend(servers(delegation));
    found.sort_by_key(|w| w.kind);
    found
}

/// The parent's NS TTL against the child apex's NS TTL (an authoritative answer only).
fn ttl_mismatch(delegation: &Delegation, apex_ns: Option<&Reply>) -> Option<Warning> {
    let Some(Reply::Answered(answer)) = apex_ns else {
        return None;
    };
    let child = answer.ns_ttl.filter(|_| answer.is_authoritative_data())?;
    (i64::from(child) != delegation.ns_ttl).then(|| {
        Warning::new(
            WarningKind::TtlMismatch,
            format!(
                "the parent's NS set for {} has TTL {} s, the child apex's {child} s",
                delegation.name, delegation.ns_ttl
            ),
            "give both NS sets the same TTL: resolvers cache the parent's from the referral and the child's once they ask it, so a change of name servers takes effect at different times",
        )
    })
}

fn referral_too_large(delegation: &Delegation) -> Option<Warning> {
    let size = referral_size(delegation)?;
    let glue: usize = delegation.glue.iter().map(|g| g.addresses.len()).sum();
    (size > MAX_UDP_PAYLOAD).then(|| {
        Warning::new(
            WarningKind::ReferralTooLarge,
            format!(
                "the parent's referral for {} ({} NS, {} DS, {glue} glue records) is {size} bytes, more than the {MAX_UDP_PAYLOAD} bytes of UDP payload (RRSIGs of a signed parent not counted)",
                delegation.name,
                delegation.ns.len(),
                delegation.ds.len()
            ),
            "use fewer or shorter name server names, fewer glue addresses or fewer DS records: a truncated referral makes resolvers retry over TCP, and fail where TCP is blocked",
        )
    })
}

/// Fewer than two name servers, or all of them under one registrable domain.
fn servers(delegation: &Delegation) -> Option<Warning> {
    let hosts = sorted_hosts(&delegation.ns);
    if hosts.len() < MIN_NAME_SERVERS {
        return Some(Warning::new(
            WarningKind::TooFewServers,
            format!(
                "{} is delegated to {} name server(s) ({}): one outage takes it offline",
                delegation.name,
                hosts.len(),
                hosts.join(" ")
            ),
            "delegate to at least two name servers, ideally of two providers",
        ));
    }
    let domains: BTreeSet<String> = hosts.iter().map(|h| registrable_domain(h)).collect();
    (domains.len() == 1).then(|| {
        Warning::new(
            WarningKind::SingleProvider,
            format!(
                "all {} name servers of {} ({}) are under {}: one provider's outage, or a lapse of its domain, takes it offline",
                hosts.len(),
                delegation.name,
                hosts.join(" "),
                domains.iter().next().map_or("", String::as_str)
            ),
            "add name servers under another registrable domain (a second provider) to the child zone and to the parent's NS set",
        )
    })
}

#[cfg(test)]
#[path = "../tests/warning.rs"]
mod tests;
