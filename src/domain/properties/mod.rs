//! The resource's properties, typed and validated from what CloudFormation sends (every scalar a
//! string) or what a hand-written event holds (native JSON numbers and booleans).
//!
//! Layout: here the properties' types and their reading as a whole (unknown names refused);
//! `reader` reads each property from the JSON object; `role` holds the roles and IAM role ARNs;
//! `values` checks the TTL and StsRegion values. The table of properties: docs/design.md,
//! "Properties".

mod reader;
mod role;
mod values;

pub(crate) use role::arn_fields;
pub use role::{RoleSpec, role_arn_account};
pub use values::{DEFAULT_TTL, MAX_TTL};

use crate::domain::name::DnsName;
use reader::Reader;
use serde_json::Value;
use std::fmt;
use values::{sts_region, ttl};

/// A Route 53 hosted zone ID without the `/hostedzone/` prefix.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZoneId(String);

impl ZoneId {
    pub fn parse(input: &str) -> Option<Self> {
        let bare = input.strip_prefix("/hostedzone/").unwrap_or(input);
        let ok = !bare.is_empty()
            && bare.len() <= 32
            && bare
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        ok.then(|| ZoneId(bare.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ZoneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParentZoneRef {
    Id(ZoneId),
    Name(DnsName),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnssecMode {
    Auto,
    Off,
    Required,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnConflict {
    Fail,
    Replace,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Properties {
    /// `None`: discovered from the delegated name (docs/design.md, "Parent discovery").
    pub parent: Option<ParentZoneRef>,
    pub child_zone_id: ZoneId,
    pub child_role: Option<RoleSpec>,
    pub parent_role: Option<RoleSpec>,
    pub delegated_name: Option<DnsName>,
    pub ttl: u32,
    pub wait_for_sync: bool,
    pub dnssec: DnssecMode,
    pub on_conflict: OnConflict,
    pub allow_occluded_records: bool,
    pub sts_region: Option<String>,
}

/// What is wrong with the properties, phrased so the template author knows what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PropertyError {
    #[error("ResourceProperties must be a JSON object")]
    NotAnObject,
    #[error("unknown property {names}; the known properties are {known}")]
    Unknown { names: String, known: String },
    #[error("property {0} is required")]
    Missing(&'static str),
    #[error(
        "give ParentHostedZoneId or ParentHostedZoneName, not both (or neither, and the provider finds the parent)"
    )]
    BothParents,
    #[error("property {name} {problem}")]
    Invalid { name: &'static str, problem: String },
}

const KNOWN: &[&str] = &[
    "ParentHostedZoneId",
    "ParentHostedZoneName",
    "ChildHostedZoneId",
    "ChildRoleArn",
    "ChildExternalId",
    "ParentRoleArn",
    "ParentExternalId",
    "DelegatedName",
    "TTL",
    "WaitForSync",
    "Dnssec",
    "OnConflict",
    "AllowOccludedRecords",
    "StsRegion",
];

/// Properties CloudFormation itself reads (and passes along); accepted and ignored.
const PASSED_BY_CLOUDFORMATION: &[&str] = &["ServiceToken", "ServiceTimeout"];

fn invalid(name: &'static str, problem: impl Into<String>) -> PropertyError {
    PropertyError::Invalid {
        name,
        problem: problem.into(),
    }
}

/// Shows a user's value in a message without letting a huge or odd value flood it.
fn show(value: &str) -> String {
    let mut shown: String = value.chars().take(80).collect();
    if shown.len() < value.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

impl Properties {
    pub fn from_json(value: &Value) -> Result<Self, PropertyError> {
        let map = value.as_object().ok_or(PropertyError::NotAnObject)?;
        no_unknown_keys(map)?;
        let r = Reader(map);
        let parent = match (
            r.zone_id("ParentHostedZoneId")?,
            r.name("ParentHostedZoneName")?,
        ) {
            (Some(id), None) => Some(ParentZoneRef::Id(id)),
            (None, Some(name)) => Some(ParentZoneRef::Name(name)),
            (Some(_), Some(_)) => return Err(PropertyError::BothParents),
            // Neither: the provider discovers the parent (docs/design.md, "Parent discovery").
            (None, None) => None,
        };
        let child_zone_id = r
            .zone_id("ChildHostedZoneId")?
            .ok_or(PropertyError::Missing("ChildHostedZoneId"))?;
        let ttl = ttl(r.string("TTL")?)?;
        let dnssec = match r.keyword("Dnssec")?.as_deref() {
            None | Some("auto") => DnssecMode::Auto,
            Some("off") => DnssecMode::Off,
            Some("required") => DnssecMode::Required,
            Some(other) => {
                return Err(invalid(
                    "Dnssec",
                    format!("is {}; use auto, off or required", show(other)),
                ));
            }
        };
        let on_conflict = match r.keyword("OnConflict")?.as_deref() {
            None | Some("fail") => OnConflict::Fail,
            Some("replace") => OnConflict::Replace,
            Some(other) => {
                return Err(invalid(
                    "OnConflict",
                    format!("is {}; use fail or replace", show(other)),
                ));
            }
        };
        let sts_region = r.string("StsRegion")?.map(sts_region).transpose()?;
        Ok(Properties {
            parent,
            child_zone_id,
            child_role: r.role("ChildRoleArn", "ChildExternalId")?,
            parent_role: r.role("ParentRoleArn", "ParentExternalId")?,
            delegated_name: r.name("DelegatedName")?,
            ttl,
            wait_for_sync: r.boolean("WaitForSync", true)?,
            dnssec,
            on_conflict,
            allow_occluded_records: r.boolean("AllowOccludedRecords", false)?,
            sts_region,
        })
    }
}

/// An unknown property is an error: a typo must not be silently ignored.
fn no_unknown_keys(map: &serde_json::Map<String, Value>) -> Result<(), PropertyError> {
    let mut unknown: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !PASSED_BY_CLOUDFORMATION.contains(k) && !KNOWN.contains(k))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort_unstable();
    let mut names = unknown
        .iter()
        .take(UNKNOWN_SHOWN)
        .map(|k| show(k))
        .collect::<Vec<_>>()
        .join(", ");
    if unknown.len() > UNKNOWN_SHOWN {
        names.push_str(&format!(" and {} more", unknown.len() - UNKNOWN_SHOWN));
    }
    Err(PropertyError::Unknown {
        names,
        known: KNOWN.join(", "),
    })
}

/// How many unknown property names a Reason lists.
const UNKNOWN_SHOWN: usize = 10;

#[cfg(test)]
#[path = "../tests/properties.rs"]
mod tests;
