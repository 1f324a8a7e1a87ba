//! A failed port call, typed by what the caller can do about it and carrying what the Reason
//! needs; the advice a template author reads is worded here, once (docs/design.md, "The answer").

use crate::domain::guardrail::ChangeRefusal;
use crate::domain::properties::{Properties, ZoneId};
use std::fmt;

/// What the caller can do about a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The zone (or change) does not exist.
    NotFound,
    /// Credentials or permissions: the role, its trust policy or its IAM policy.
    AccessDenied,
    /// STS refused to let the provider assume a role until the session's patience ran out: its
    /// trust policy, its ExternalId, or a role that does not exist (yet).
    RoleRefused,
    /// Route 53 refused the change batch as written (a Change Guardrail, an invalid batch):
    /// definite, so never retried unchanged.
    Refused(ChangeRefusal),
    /// The batch no longer matches the live records (a DELETE of values someone changed since we
    /// read them): reading again and re-planning may succeed.
    Stale,
    /// Route 53 kept throttling the call for as many tries as the caller allowed (only a call made
    /// with `ParentZoneStore::change_unless_throttled`; others wait until the deadline).
    Throttled,
    /// The call timed out, after the SDK's own retries.
    Timeout,
    /// Anything else, after the SDK's own retries.
    Other,
}

/// What the request was doing when the call failed: it chooses the advice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum During {
    /// The first reads, of the child zone and the parent zone; `child_role` when the request
    /// names ChildRoleArn.
    ReadZones { child_role: bool },
    /// Reading the child zone's DNSSEC state.
    ReadDnssec,
    /// Writing the parent zone.
    Change { parent_zone: ZoneId },
}

impl During {
    pub fn read_zones(props: &Properties) -> During {
        During::ReadZones {
            child_role: props.child_role.is_some(),
        }
    }
}

/// A port call that failed: its kind, the call, what was said, and the step it failed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterError {
    pub kind: ErrorKind,
    /// The call and what it was about, e.g. `GetHostedZone Z0123`.
    pub call: String,
    /// What the service said (its error code first, when it gave one), or the adapter.
    pub message: String,
    /// Set by the use case that made the call (`AdapterError::during`).
    pub step: Option<During>,
}

impl AdapterError {
    pub fn new(kind: ErrorKind, call: impl Into<String>, message: impl Into<String>) -> Self {
        AdapterError {
            kind,
            call: call.into(),
            message: message.into(),
            step: None,
        }
    }

    /// The step the call was made in, for the advice; the first step named is kept.
    pub fn during(mut self, step: During) -> Self {
        self.step.get_or_insert(step);
        self
    }

    pub fn is(&self, kind: &ErrorKind) -> bool {
        std::mem::discriminant(&self.kind) == std::mem::discriminant(kind)
    }

    /// What to check, by kind and step.
    fn advice(&self) -> Option<String> {
        let words = match (&self.kind, self.step.as_ref()?) {
            (ErrorKind::NotFound, During::ReadZones { child_role }) => format!(
                "check ChildHostedZoneId{} and the parent zone property",
                if *child_role {
                    " and ChildRoleArn (the zone must be in the role's account)"
                } else {
                    ""
                }
            ),
            (ErrorKind::AccessDenied, During::ReadZones { .. }) => {
                "the child reader role needs route53:GetHostedZone on the child zone, and the provider's role (or ParentRoleArn) needs route53:GetHostedZone and route53:ListHostedZonesByName".into()
            }
            (ErrorKind::AccessDenied, During::ReadDnssec) => {
                "grant route53:GetDNSSEC on the child zone to the reader role, or set Dnssec to off"
                    .into()
            }
            (ErrorKind::AccessDenied, During::Change { parent_zone }) => format!(
                "the provider's role (or ParentRoleArn) needs route53:ChangeResourceRecordSets on {parent_zone} for NS and DS records"
            ),
            _ => return None,
        };
        Some(words)
    }
}

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.call.is_empty(), self.message.is_empty()) {
            (true, _) => f.write_str(&self.message)?,
            (false, true) => f.write_str(&self.call)?,
            (false, false) => write!(f, "{}: {}", self.call, self.message)?,
        }
        match self.advice() {
            Some(advice) => write!(f, "; {advice}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for AdapterError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> ZoneId {
        ZoneId::parse("Z0PARENT").unwrap()
    }

    #[test]
    fn the_advice_follows_the_kind_and_the_step() {
        let missing =
            AdapterError::new(ErrorKind::NotFound, "GetHostedZone Z1", "NoSuchHostedZone");
        assert_eq!(missing.to_string(), "GetHostedZone Z1: NoSuchHostedZone");
        let read = missing.during(During::ReadZones { child_role: true });
        assert_eq!(
            read.to_string(),
            "GetHostedZone Z1: NoSuchHostedZone; check ChildHostedZoneId and ChildRoleArn (the zone must be in the role's account) and the parent zone property"
        );
        let denied = AdapterError::new(
            ErrorKind::AccessDenied,
            "ChangeResourceRecordSets",
            "AccessDenied: no",
        )
        .during(During::Change {
            parent_zone: zone(),
        });
        assert!(
            denied.to_string().ends_with(
                "needs route53:ChangeResourceRecordSets on Z0PARENT for NS and DS records"
            ),
            "{denied}"
        );
        // A throttle has no advice: waiting is all there is to do.
        let throttled =
            AdapterError::new(ErrorKind::Throttled, "", "Rate exceeded").during(During::ReadDnssec);
        assert_eq!(throttled.to_string(), "Rate exceeded");
    }

    #[test]
    fn the_first_step_named_is_kept() {
        let e = AdapterError::new(ErrorKind::AccessDenied, "GetDNSSEC Z1", "AccessDenied")
            .during(During::ReadDnssec)
            .during(During::Change {
                parent_zone: zone(),
            });
        assert_eq!(e.step, Some(During::ReadDnssec));
        assert!(e.is(&ErrorKind::AccessDenied) && !e.is(&ErrorKind::Stale));
    }
}
