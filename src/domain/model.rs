//! The data the ports exchange, typed: zones, records, DNSSEC state, changes, and what
//! CloudFormation says of a stack. Adapters translate the SDKs' shapes into these; the rules in
//! the other domain modules read only these.

use super::name::DnsName;
use super::properties::ZoneId;
use std::fmt;

/// What CloudFormation asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    Create,
    Update,
    Delete,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Create => "Create",
            RequestKind::Update => "Update",
            RequestKind::Delete => "Delete",
        }
    }
}

/// A hosted zone as the adapters read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    pub id: ZoneId,
    pub name: DnsName,
    pub private: bool,
    /// The zone's delegation set (empty for private zones and some imported zones).
    pub name_servers: Vec<String>,
}

/// `GetDNSSEC`'s `ServeSignature`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigningStatus {
    Signing,
    /// `NOT_SIGNING`, `DELETING`, `ACTION_NEEDED`, `INTERNAL_FAILURE`, … as Route 53 says it.
    Other(String),
}

impl SigningStatus {
    pub fn parse(text: &str) -> Self {
        match text {
            "SIGNING" => SigningStatus::Signing,
            other => SigningStatus::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for SigningStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigningStatus::Signing => f.write_str("SIGNING"),
            SigningStatus::Other(s) => f.write_str(s),
        }
    }
}

/// A key-signing key's status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    /// `INACTIVE`, `ACTION_NEEDED`, `DELETING`, … as Route 53 says it.
    Other(String),
}

impl KeyStatus {
    pub fn parse(text: &str) -> Self {
        match text {
            "ACTIVE" => KeyStatus::Active,
            other => KeyStatus::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyStatus::Active => f.write_str("ACTIVE"),
            KeyStatus::Other(s) => f.write_str(s),
        }
    }
}

/// DNSSEC state of the child zone, as `GetDNSSEC` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnssecState {
    pub serve_signature: SigningStatus,
    pub key_signing_keys: Vec<KeySigningKey>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySigningKey {
    pub name: String,
    pub status: KeyStatus,
    pub ds_record: String,
}

/// The two record types the provider writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Ns,
    Ds,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Ns => "NS",
            RecordKind::Ds => "DS",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A live record set's type: one the provider writes, or any other.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RecordType {
    Managed(RecordKind),
    Other(String),
}

impl RecordType {
    pub fn parse(text: &str) -> Self {
        match text {
            "NS" => RecordType::Managed(RecordKind::Ns),
            "DS" => RecordType::Managed(RecordKind::Ds),
            other => RecordType::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordType::Managed(kind) => kind.fmt(f),
            RecordType::Other(s) => f.write_str(s),
        }
    }
}

/// A record set in the parent zone, at or below the delegated name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LiveRecord {
    pub name: DnsName,
    pub rtype: RecordType,
    pub ttl: Option<i64>,
    pub values: Vec<String>,
    /// Alias target, set identifier or routing policy: a record the provider never writes.
    pub special: bool,
}

impl LiveRecord {
    pub fn describe(&self) -> String {
        format!("{} {}", self.name, self.rtype)
    }

    pub fn is(&self, kind: RecordKind) -> bool {
        self.rtype == RecordType::Managed(kind)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordAction {
    Upsert,
    Delete,
}

/// One entry of a Route 53 change batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub action: RecordAction,
    pub name: DnsName,
    pub kind: RecordKind,
    pub ttl: i64,
    pub values: Vec<String>,
}

/// A change batch Route 53 accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmittedChange {
    pub id: String,
    pub insync: bool,
}

/// A stack resource's status, as far as verification tells them apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceStatus {
    CreateInProgress,
    UpdateInProgress,
    DeleteInProgress,
    /// Any other status, as CloudFormation says it.
    Other(String),
}

impl ResourceStatus {
    pub fn parse(text: &str) -> Self {
        match text {
            "CREATE_IN_PROGRESS" => ResourceStatus::CreateInProgress,
            "UPDATE_IN_PROGRESS" => ResourceStatus::UpdateInProgress,
            "DELETE_IN_PROGRESS" => ResourceStatus::DeleteInProgress,
            other => ResourceStatus::Other(other.to_owned()),
        }
    }

    /// The status a resource shows while CloudFormation waits for the provider's answer.
    pub fn in_progress(kind: RequestKind) -> Self {
        match kind {
            RequestKind::Create => ResourceStatus::CreateInProgress,
            RequestKind::Update => ResourceStatus::UpdateInProgress,
            RequestKind::Delete => ResourceStatus::DeleteInProgress,
        }
    }
}

impl fmt::Display for ResourceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResourceStatus::CreateInProgress => "CREATE_IN_PROGRESS",
            ResourceStatus::UpdateInProgress => "UPDATE_IN_PROGRESS",
            ResourceStatus::DeleteInProgress => "DELETE_IN_PROGRESS",
            ResourceStatus::Other(s) => s,
        })
    }
}

/// A stack's status, as far as verification tells them apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StackStatus {
    /// CloudFormation deletes replaced physical IDs in these two.
    UpdateCompleteCleanupInProgress,
    UpdateRollbackCompleteCleanupInProgress,
    Other(String),
}

impl StackStatus {
    pub fn parse(text: &str) -> Self {
        match text {
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" => StackStatus::UpdateCompleteCleanupInProgress,
            "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS" => {
                StackStatus::UpdateRollbackCompleteCleanupInProgress
            }
            other => StackStatus::Other(other.to_owned()),
        }
    }

    pub fn is_cleanup(&self) -> bool {
        !matches!(self, StackStatus::Other(_))
    }
}

impl fmt::Display for StackStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StackStatus::UpdateCompleteCleanupInProgress => "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            StackStatus::UpdateRollbackCompleteCleanupInProgress => {
                "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
            }
            StackStatus::Other(s) => s,
        })
    }
}

/// What CloudFormation says of the stack's resource right now (`DescribeStackResource`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceState {
    pub resource_status: ResourceStatus,
    pub physical_id: Option<String>,
    pub resource_type: String,
}

/// One of a stack's events (`DescribeStackEvents`), as far as verification needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackEvent {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: Option<String>,
    pub status: ResourceStatus,
}

/// `<parent zone id>/<delegated name>`: changes only when the parent zone or the name changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub parent_zone_id: ZoneId,
    pub name: DnsName,
}

impl Identity {
    /// Parses a PhysicalResourceId this provider wrote; anything else (a failed Create's marker, an
    /// ID CloudFormation made up after a cancelled Create) is `None`.
    pub fn parse(physical_id: &str) -> Option<Self> {
        let (zone, name) = physical_id.split_once('/')?;
        let parent_zone_id = ZoneId::parse(zone)?;
        let name = DnsName::parse(name).ok()?;
        // Only the exact form we write: a zone ID prefix and an already normalised name.
        (name.as_str() == physical_id.split_once('/')?.1).then_some(Identity {
            parent_zone_id,
            name,
        })
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.parent_zone_id, self.name)
    }
}

/// How many digits an AWS account ID has.
const ACCOUNT_ID_DIGITS: usize = 12;

/// An AWS account ID: exactly 12 digits (in role ARNs, stack IDs and the policy).
pub fn is_account_id(s: &str) -> bool {
    s.len() == ACCOUNT_ID_DIGITS && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_and_print_as_aws_says_them() {
        for text in ["SIGNING", "NOT_SIGNING", "ACTION_NEEDED"] {
            assert_eq!(SigningStatus::parse(text).to_string(), text);
        }
        assert_eq!(SigningStatus::parse("SIGNING"), SigningStatus::Signing);
        assert_eq!(KeyStatus::parse("ACTIVE"), KeyStatus::Active);
        assert_eq!(KeyStatus::parse("INACTIVE").to_string(), "INACTIVE");
        for kind in [
            RequestKind::Create,
            RequestKind::Update,
            RequestKind::Delete,
        ] {
            let status = ResourceStatus::in_progress(kind);
            assert_eq!(ResourceStatus::parse(&status.to_string()), status);
        }
        assert!(StackStatus::parse("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS").is_cleanup());
        assert!(StackStatus::parse("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS").is_cleanup());
        assert!(!StackStatus::parse("UPDATE_COMPLETE").is_cleanup());
        assert_eq!(RecordType::parse("NS"), RecordType::Managed(RecordKind::Ns));
        assert_eq!(RecordType::parse("TXT").to_string(), "TXT");
    }
}
