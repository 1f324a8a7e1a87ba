//! What a written or found delegation answers (docs/design.md, "The answer"): its ID and the
//! attributes `Fn::GetAtt` reads.

use crate::domain::model::{Change, RecordKind, Zone};
use crate::domain::name::normalize_value;
use crate::domain::plan::{Desired, Identity, UpsertOutcome};
use crate::domain::properties::Properties;
use crate::usecase::{Action, DelegationRequest, Outcome};
use std::collections::BTreeMap;

/// A delegation written, or found as desired; `change_id` is empty when nothing was written.
pub(super) fn delegated(
    identity: &Identity,
    (child, desired): (&Zone, &Desired),
    props: &Properties,
    change_id: &str,
    planned: UpsertOutcome,
) -> Outcome {
    let action = match planned {
        UpsertOutcome::Created => Action::Created,
        UpsertOutcome::Adopted => Action::Adopted,
        UpsertOutcome::Replaced => Action::Replaced,
        UpsertOutcome::Updated => Action::Updated,
        UpsertOutcome::Unchanged => Action::Unchanged,
    };
    let name_servers: Vec<String> = child
        .name_servers
        .iter()
        .map(|v| normalize_value(v))
        .collect();
    let ds = desired.ds.clone().unwrap_or_default();
    let data = BTreeMap::from([
        ("DelegatedName".to_owned(), identity.name.to_string()),
        ("NameServers".to_owned(), name_servers.join(",")),
        (
            "ParentHostedZoneId".to_owned(),
            identity.parent_zone_id.to_string(),
        ),
        ("ChildHostedZoneId".to_owned(), child.id.to_string()),
        ("TTL".to_owned(), props.ttl.to_string()),
        ("ChangeId".to_owned(), change_id.to_owned()),
        ("DsRecord".to_owned(), ds.join(",")),
    ]);
    Outcome {
        physical_id: identity.to_string(),
        data,
        action,
    }
}

/// A Delete whose changes were written.
pub(super) fn deleted(request: &DelegationRequest, changes: &[Change]) -> Outcome {
    let action = if changes.iter().any(|c| c.kind == RecordKind::Ds) {
        Action::DeletedNsAndDs
    } else {
        Action::Deleted
    };
    Outcome::of_delete(request, action)
}
