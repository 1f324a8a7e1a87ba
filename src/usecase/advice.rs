//! What to do about a failed AWS call, in one place: the Reason a template author reads names the
//! property or permission to check (docs/design.md, "The answer").

use crate::domain::properties::{Properties, ZoneId};
use crate::ports::AdapterError;

/// The first reads (the child zone, the parent zone) fail mostly from wiring mistakes.
pub(super) fn explain_read(e: AdapterError, props: &Properties) -> AdapterError {
    match e {
        AdapterError::NotFound(m) => AdapterError::NotFound(format!(
            "{m}; check ChildHostedZoneId{} and the parent zone property",
            if props.child_role.is_some() {
                " and ChildRoleArn (the zone must be in the role's account)"
            } else {
                ""
            }
        )),
        AdapterError::AccessDenied(m) => AdapterError::AccessDenied(format!(
            "{m}; the child reader role needs route53:GetHostedZone on the child zone, and the provider's role (or ParentRoleArn) needs route53:GetHostedZone and route53:ListHostedZonesByName"
        )),
        other => other,
    }
}

/// Reading the child's DNSSEC state needs its own permission, or DS management turned off.
pub(super) fn explain_dnssec_read(e: AdapterError) -> AdapterError {
    match e {
        AdapterError::AccessDenied(m) => AdapterError::AccessDenied(format!(
            "{m}; grant route53:GetDNSSEC on the child zone to the reader role, or set Dnssec to off"
        )),
        other => other,
    }
}

/// Writing the parent zone needs the change permission on that zone.
pub(super) fn explain_change(e: AdapterError, parent_zone: &ZoneId) -> AdapterError {
    match e {
        AdapterError::AccessDenied(m) => AdapterError::AccessDenied(format!(
            "{m}; the provider's role (or ParentRoleArn) needs route53:ChangeResourceRecordSets on {parent_zone} for NS and DS records"
        )),
        other => other,
    }
}
