//! The resource's properties, typed and validated from what CloudFormation sends (every scalar a
//! string) or what a hand-written event holds (native JSON numbers and booleans).

use super::name::{DnsName, NameError};
use serde_json::{Map, Value};
use std::fmt;

pub const DEFAULT_TTL: u32 = 172_800;
pub const MAX_TTL: u32 = 604_800;

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

/// A role to assume, with the ExternalId its trust policy may demand.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RoleSpec {
    pub arn: String,
    pub account: String,
    pub external_id: Option<String>,
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
    pub parent: ParentZoneRef,
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
    #[error("give exactly one of ParentHostedZoneId and ParentHostedZoneName, not both")]
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

struct Reader<'a>(&'a Map<String, Value>);

impl<'a> Reader<'a> {
    /// A scalar as a string: strings as they are, numbers and booleans as JSON writes them.
    fn scalar(&self, name: &'static str) -> Result<Option<String>, PropertyError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(Value::Array(_)) => Err(invalid(name, "must be a single value, not a list")),
            Some(Value::Object(_)) => Err(invalid(name, "must be a single value, not an object")),
        }
    }

    fn string(&self, name: &'static str) -> Result<Option<String>, PropertyError> {
        match self.scalar(name)? {
            Some(s) if s.is_empty() => Err(invalid(name, "is empty; remove it or give a value")),
            other => Ok(other),
        }
    }

    fn boolean(&self, name: &'static str, default: bool) -> Result<bool, PropertyError> {
        match self.scalar(name)? {
            None => Ok(default),
            Some(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Some(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            Some(s) => Err(invalid(name, format!("is {}; use true or false", show(&s)))),
        }
    }

    fn zone_id(&self, name: &'static str) -> Result<Option<ZoneId>, PropertyError> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) => ZoneId::parse(&s).map(Some).ok_or_else(|| {
                invalid(
                    name,
                    format!(
                        "is {}; a hosted zone ID is upper-case letters and digits such as Z0123456789ABCDEFGHIJ, optionally prefixed with /hostedzone/",
                        show(&s)
                    ),
                )
            }),
        }
    }

    fn name(&self, name: &'static str) -> Result<Option<DnsName>, PropertyError> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) => DnsName::parse(&s)
                .map(Some)
                .map_err(|e: NameError| invalid(name, format!("{} {e}", show(&s)))),
        }
    }

    /// A keyword property, compared case-insensitively.
    fn keyword(&self, key: &'static str) -> Result<Option<String>, PropertyError> {
        Ok(self.string(key)?.map(|s| s.to_ascii_lowercase()))
    }

    fn role(
        &self,
        arn_name: &'static str,
        external_id_name: &'static str,
    ) -> Result<Option<RoleSpec>, PropertyError> {
        let arn = self.string(arn_name)?;
        let external_id = self.string(external_id_name)?;
        if let Some(id) = &external_id {
            let ok = (2..=1224).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c));
            if !ok {
                return Err(invalid(
                    external_id_name,
                    "must be 2 to 1224 characters of letters, digits and +=,.@:/-_",
                ));
            }
        }
        match arn {
            None if external_id.is_some() => Err(invalid(
                external_id_name,
                format!("is set but {arn_name} is not; give the role the ExternalId is for"),
            )),
            None => Ok(None),
            Some(arn) => {
                let account = role_arn_account(&arn).ok_or_else(|| {
                    invalid(
                        arn_name,
                        format!(
                            "is {}; expected an IAM role ARN such as arn:aws:iam::111111111111:role/Name",
                            show(&arn)
                        ),
                    )
                })?;
                Ok(Some(RoleSpec {
                    account,
                    arn,
                    external_id,
                }))
            }
        }
    }
}

/// The six `:`-separated fields of an ARN (`arn:partition:service:region:account:resource`; the
/// resource may itself hold `:`), unchecked.
pub(crate) fn arn_fields(arn: &str) -> Option<[&str; 6]> {
    let mut parts = arn.splitn(6, ':');
    Some([
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    ])
}

/// The account ID of a well-formed role ARN (`arn:<partition>:iam::<12 digits>:role/<path><name>`).
pub fn role_arn_account(arn: &str) -> Option<String> {
    let [arn_word, partition, service, region, account, resource] = arn_fields(arn)?;
    let name = resource.strip_prefix("role/")?;
    let ok = arn_word == "arn"
        && matches!(
            partition,
            "aws"
                | "aws-cn"
                | "aws-us-gov"
                | "aws-iso"
                | "aws-iso-b"
                | "aws-iso-e"
                | "aws-iso-f"
                | "aws-eusc"
        )
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && !name.ends_with('/')
        && arn.len() <= 2048
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c));
    ok.then(|| account.to_string())
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
            (Some(id), None) => ParentZoneRef::Id(id),
            (None, Some(name)) => ParentZoneRef::Name(name),
            (Some(_), Some(_)) => return Err(PropertyError::BothParents),
            (None, None) => {
                return Err(PropertyError::Missing(
                    "ParentHostedZoneId or ParentHostedZoneName",
                ));
            }
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
/// Longer values are shown shortened in a Reason.
const SHOWN_AS_IS: usize = 24;

fn ttl(text: Option<String>) -> Result<u32, PropertyError> {
    let Some(s) = text else {
        return Ok(DEFAULT_TTL);
    };
    let out_of_range = || {
        invalid(
            "TTL",
            format!(
                "is {}; use 1 to {MAX_TTL} seconds",
                if s.len() > SHOWN_AS_IS {
                    show(&s)
                } else {
                    s.clone()
                }
            ),
        )
    };
    match s.parse::<u64>() {
        Ok(n) if (1..=u64::from(MAX_TTL)).contains(&n) => Ok(n as u32),
        Ok(_) => Err(out_of_range()),
        Err(_) if s.starts_with('-') && s[1..].bytes().all(|b| b.is_ascii_digit()) => {
            Err(out_of_range())
        }
        Err(_) => Err(invalid(
            "TTL",
            format!(
                "is {}; use a whole number of seconds from 1 to {MAX_TTL}",
                show(&s)
            ),
        )),
    }
}

fn sts_region(s: String) -> Result<String, PropertyError> {
    let ok = s.len() <= MAX_REGION_CHARS
        && s.split('-').count() >= 3
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(s)
    } else {
        Err(invalid(
            "StsRegion",
            format!("is {}; use a region name such as us-east-1", show(&s)),
        ))
    }
}

/// Longer than any AWS region name.
const MAX_REGION_CHARS: usize = 32;

#[cfg(test)]
#[path = "tests/properties.rs"]
mod tests;
