//! The audit's verdicts (docs/design.md, "Audit"): what a delegation in the parent zone and the
//! answers of its delegated name servers say about it. Pure: plain values in, a verdict out.

use super::model::{LiveRecord, RecordKind, RecordType, Zone};
use super::name::{DnsName, normalize_value};
use super::probe::{DnsAnswer, DsValue, Rcode, Reply};
use super::properties::ZoneId;
use std::fmt;
use std::net::IpAddr;

/// A delegation as the parent zone holds it: an NS record set strictly below the apex, and the DS
/// record set at the same name, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delegation {
    pub zone_id: ZoneId,
    pub zone_name: DnsName,
    pub name: DnsName,
    pub ns_ttl: i64,
    /// The NS values exactly as Route 53 holds them (a DELETE must repeat them).
    pub ns: Vec<String>,
    pub ds_ttl: i64,
    pub ds: Vec<String>,
    /// The parent's A and AAAA records at the NS targets: the glue its referral carries.
    pub glue: Vec<Glue>,
}

/// An address record set of the parent zone at a name server's host name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glue {
    pub name: DnsName,
    pub ttl: i64,
    pub addresses: Vec<IpAddr>,
}

/// The record types a referral's glue is made of.
const GLUE_TYPES: [&str; 2] = ["A", "AAAA"];

fn is_glue_type(record: &LiveRecord) -> bool {
    GLUE_TYPES.iter().any(|t| record.rtype.to_string() == *t)
}

/// Whether the audit keeps a record set while it reads a zone's pages: NS, DS, and A and AAAA
/// (glue candidates, until [`delegation_records`] knows the NS targets; alias records are not glue).
pub fn kept_while_listing(record: &LiveRecord) -> bool {
    matches!(record.rtype, RecordType::Managed(_)) || (is_glue_type(record) && !record.special)
}

/// What the audit keeps of a zone's listing once every page is read: its NS and DS record sets,
/// and the A and AAAA record sets at the names the NS records point to (the glue).
pub fn delegation_records(records: Vec<LiveRecord>) -> Vec<LiveRecord> {
    let targets: std::collections::BTreeSet<String> = records
        .iter()
        .filter(|r| r.is(RecordKind::Ns))
        .flat_map(|r| r.values.iter().map(|v| normalize_value(v)))
        .collect();
    records
        .into_iter()
        .filter(|r| {
            matches!(r.rtype, RecordType::Managed(_))
                || (kept_while_listing(r) && targets.contains(r.name.as_str()))
        })
        .collect()
}

fn glue_of(ns: &[String], records: &[LiveRecord]) -> Vec<Glue> {
    let targets: Vec<String> = ns.iter().map(|v| normalize_value(v)).collect();
    records
        .iter()
        .filter(|r| is_glue_type(r) && !r.special && targets.iter().any(|t| t == r.name.as_str()))
        .map(|r| Glue {
            name: r.name.clone(),
            ttl: r.ttl.unwrap_or_default(),
            addresses: r
                .values
                .iter()
                .filter_map(|v| v.trim().parse().ok())
                .collect(),
        })
        .collect()
}

/// The delegations a zone's NS and DS record sets make: every NS record set strictly below the
/// apex (never the apex's own), with the DS record set at the same name and the glue of its name
/// servers; sorted by name.
pub fn delegations(zone: &Zone, records: &[LiveRecord]) -> Vec<Delegation> {
    let mut out: Vec<Delegation> = records
        .iter()
        .filter(|r| r.is(RecordKind::Ns) && !r.special && r.name.is_strictly_below(&zone.name))
        .map(|ns| {
            let ds = records
                .iter()
                .find(|r| r.is(RecordKind::Ds) && !r.special && r.name == ns.name);
            Delegation {
                zone_id: zone.id.clone(),
                zone_name: zone.name.clone(),
                name: ns.name.clone(),
                ns_ttl: ns.ttl.unwrap_or_default(),
                ns: ns.values.clone(),
                ds_ttl: ds.and_then(|d| d.ttl).unwrap_or_default(),
                ds: ds.map(|d| d.values.clone()).unwrap_or_default(),
                glue: glue_of(&ns.values, records),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// One delegated name server: where it was asked and what it answered to the SOA question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerProbe {
    /// The name server's host name, as the parent's NS record names it (no trailing dot).
    pub host: String,
    /// The address asked (`ip:port`); `None` when the host's address could not be found.
    pub address: Option<String>,
    pub soa: Reply,
}

/// Everything the probes of one delegation found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub servers: Vec<ServerProbe>,
    /// The NS RRset at the child apex, asked of one server that serves the name.
    pub apex_ns: Option<Reply>,
    /// The DNSKEY RRset at the child apex, asked of the same server (DO set, for its RRSIG).
    pub dnskey: Option<Reply>,
    /// CDS and CDNSKEY at the child apex, asked of every serving server when the child is signed.
    pub cds: Vec<CdsProbe>,
}

/// What one serving server answered to the CDS and CDNSKEY questions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CdsProbe {
    pub host: String,
    pub cds: Reply,
    pub cdnskey: Reply,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Ok,
    Dangling,
    Lame,
    Stale,
    DnssecBroken,
    Unknown,
}

impl Verdict {
    pub const ALL: [Verdict; 6] = [
        Verdict::Ok,
        Verdict::Dangling,
        Verdict::Lame,
        Verdict::Stale,
        Verdict::DnssecBroken,
        Verdict::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Dangling => "dangling",
            Verdict::Lame => "lame",
            Verdict::Stale => "stale",
            Verdict::DnssecBroken => "dnssec-broken",
            Verdict::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one server's answer to the SOA question says of the delegated name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// NOERROR, AA set, and the SOA of exactly the delegated name: the server serves the zone.
    Serves,
    /// A definite answer that it does not: REFUSED, SERVFAIL, NXDOMAIN, NOTAUTH, a referral, a
    /// non-authoritative answer, or an authoritative answer without the zone's SOA (the name is
    /// inside another zone there).
    DoesNotServe,
    /// No answer, no address: nothing is known.
    Unreachable,
}

pub fn service(reply: &Reply) -> Service {
    match reply {
        Reply::NoAnswer(_) => Service::Unreachable,
        Reply::Answered(a) if serves(a) => Service::Serves,
        Reply::Answered(_) => Service::DoesNotServe,
    }
}

fn serves(a: &DnsAnswer) -> bool {
    a.rcode == Rcode::NoError && a.authoritative && a.soa_at_name && !a.referral
}

/// The verdict and a sentence saying why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub verdict: Verdict,
    pub reason: String,
    /// Every delegated server was asked and answered that it does not serve the name: the only
    /// dangling verdict on which a removal may act.
    pub conclusive: bool,
}

/// Judges one delegation. Precedence: no server serves → `dangling` (some answered) or `unknown`
/// (none reachable); else `dnssec-broken`, then `lame`, then `stale`, then `ok`.
pub fn judge(delegation: &Delegation, evidence: &Evidence) -> Judgement {
    let services: Vec<Service> = evidence.servers.iter().map(|s| service(&s.soa)).collect();
    let count = |wanted: Service| services.iter().filter(|s| **s == wanted).count();
    let (serving, refusing, silent) = (
        count(Service::Serves),
        count(Service::DoesNotServe),
        count(Service::Unreachable),
    );
    let total = services.len();
    let judgement = |verdict, reason: String| Judgement {
        verdict,
        reason,
        conclusive: false,
    };
    if serving == 0 {
        if refusing == 0 {
            return judgement(
                Verdict::Unknown,
                format!("no delegated name server could be reached ({total} tried)"),
            );
        }
        return Judgement {
            verdict: Verdict::Dangling,
            reason: format!(
                "no delegated name server serves {}: {refusing} of {total} answered that they do not{}",
                delegation.name,
                if silent > 0 {
                    format!(", {silent} could not be reached")
                } else {
                    String::new()
                }
            ),
            conclusive: refusing == total,
        };
    }
    if let Some(reason) = dnssec_problem(delegation, evidence.dnskey.as_ref()) {
        return judgement(Verdict::DnssecBroken, reason);
    }
    if serving < total {
        let lame: Vec<&str> = evidence
            .servers
            .iter()
            .filter(|s| service(&s.soa) != Service::Serves)
            .map(|s| s.host.as_str())
            .collect();
        return judgement(
            Verdict::Lame,
            format!(
                "{} of {total} delegated name servers do not serve {}: {}",
                total - serving,
                delegation.name,
                lame.join(", ")
            ),
        );
    }
    if let Some(Reply::Answered(a)) = &evidence.apex_ns
        && a.rcode == Rcode::NoError
        && a.authoritative
        && !same_hosts(&a.ns, &delegation.ns)
    {
        return judgement(
            Verdict::Stale,
            format!(
                "the child apex's NS set ({}) differs from the parent's ({})",
                sorted_hosts(&a.ns).join(" "),
                sorted_hosts(&delegation.ns).join(" ")
            ),
        );
    }
    judgement(
        Verdict::Ok,
        format!(
            "every delegated name server serves {} ({total} asked)",
            delegation.name
        ),
    )
}

/// `Some(why)` when the parent holds DS and the child's DNSKEY RRset (as one serving server
/// answered it) holds no key any DS designates. An unanswered DNSKEY question proves nothing.
fn dnssec_problem(delegation: &Delegation, dnskey: Option<&Reply>) -> Option<String> {
    if delegation.ds.is_empty() {
        return None;
    }
    let Some(Reply::Answered(answer)) = dnskey else {
        return None;
    };
    if !answer.is_authoritative_data() {
        return None;
    }
    let ds: Vec<DsValue> = delegation
        .ds
        .iter()
        .filter_map(|v| DsValue::parse(v))
        .collect();
    let matched = ds.iter().any(|d| {
        answer
            .dnskeys
            .iter()
            .any(|k| d.matches(k, &delegation.name))
    });
    if matched {
        return None;
    }
    let keys = if answer.dnskeys.is_empty() {
        "no DNSKEY".to_owned()
    } else {
        answer
            .dnskeys
            .iter()
            .map(|k| k.describe())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(format!(
        "no DS in the parent ({}) matches a DNSKEY at the child apex ({keys}): validating resolvers cannot resolve {}",
        delegation.ds.join(", "),
        delegation.name
    ))
}

/// Host names as a set: lower case, no trailing dot, sorted, each once.
pub fn sorted_hosts(values: &[String]) -> Vec<String> {
    let mut v: Vec<String> = values.iter().map(|s| normalize_value(s)).collect();
    v.sort();
    v.dedup();
    v
}

fn same_hosts(a: &[String], b: &[String]) -> bool {
    sorted_hosts(a) == sorted_hosts(b)
}

#[cfg(test)]
#[path = "tests/verdict.rs"]
mod tests;
