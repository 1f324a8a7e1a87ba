//! Why the provider will not write: every refusal of the plan, each message saying what to do.

use super::model::RecordKind;
use super::name::DnsName;
use super::properties::ZoneId;

/// Why the provider will not write. Each message says what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "the delegated name {name} is the parent zone's own name; the provider never touches a zone apex. Use a child zone whose name is below {name}"
    )]
    Apex { name: DnsName },
    #[error(
        "the delegated name {name} is not below the parent zone {parent}; use a child zone whose name ends in .{parent}"
    )]
    NotBelow { name: DnsName, parent: DnsName },
    #[error(
        "the parent zone {id} ({name}) is a private hosted zone; delegations need a public parent zone"
    )]
    ParentPrivate { id: ZoneId, name: DnsName },
    #[error(
        "the child zone {id} is named {name}, with a wildcard or a character Route 53 writes as an escape (\\NNN); such a delegation could not be named in a PhysicalResourceId, so its Delete could not remove it. Delegate a zone whose name has only letters, digits, hyphens and underscores"
    )]
    UnidentifiableName { id: ZoneId, name: DnsName },
    #[error(
        "the child zone {id} ({name}) is a private hosted zone; delegate to a public hosted zone"
    )]
    ChildPrivate { id: ZoneId, name: DnsName },
    #[error(
        "the child zone {id} ({name}) has no name servers; it cannot be delegated to. Use a public hosted zone created by Route 53"
    )]
    NoNameServers { id: ZoneId, name: DnsName },
    #[error(
        "DelegatedName is {given} but the child zone {id} is {actual}; fix ChildHostedZoneId or DelegatedName"
    )]
    DelegatedNameMismatch {
        given: DnsName,
        actual: DnsName,
        id: ZoneId,
    },
    #[error(
        "the parent zone already has {kind} records at {name} with other values ({existing}); it was left untouched. Remove them, or set OnConflict to replace"
    )]
    Conflict {
        name: DnsName,
        kind: RecordKind,
        existing: String,
    },
    #[error(
        "the parent zone holds records at or below {name} that the delegation would hide: {records}. Move or delete them, or set AllowOccludedRecords to true"
    )]
    Occluded { name: DnsName, records: String },
    #[error(
        "Dnssec is required but the child zone is {status} with {keys}; enable DNSSEC signing with an active key-signing key in the child zone, or set Dnssec to auto"
    )]
    DnssecRequired { status: String, keys: String },
    #[error(
        "the parent zone holds {record} as an alias or with a routing policy; the provider manages only simple NS and DS records. Delete it by hand first"
    )]
    Unmanageable { record: String },
    #[error(
        "no public hosted zone is named {name} in the parent account ({private} private); check ParentHostedZoneName, or give ParentHostedZoneId"
    )]
    NoPublicParent { name: DnsName, private: usize },
    #[error(
        "{count} public hosted zones are named {name} ({ids}); give ParentHostedZoneId to choose one"
    )]
    SeveralPublicParents {
        name: DnsName,
        count: usize,
        ids: String,
    },
    #[error(
        "no parent zone found for {name}: searched {searched} among the public zones the provider may write (ParentHostedZoneIds: {scope}); create the parent zone, add it to the provider's ParentHostedZoneIds, or give ParentHostedZoneId or ParentHostedZoneName"
    )]
    NoParentFound {
        name: DnsName,
        searched: String,
        scope: String,
    },
}

/// Joins names for a message, keeping it short when there are many.
pub(super) fn list_for_message(items: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut out = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        out.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    out
}
