//! Delete (docs/design.md, "Lifecycle"): removes exactly what the provider wrote, and never a
//! record someone else owns now.

use super::records;
use super::{Action, Context, DelegationRequest, Failure, Outcome, change_failure, verify, write};
use crate::domain::model::{Change, RecordKind};
use crate::domain::name::DnsName;
use crate::domain::plan::{DeletePlan, Identity, plan_delete};
use crate::domain::properties::{DnssecMode, Properties};
use crate::ports::{AdapterError, ChildZoneReader, Connector, ParentZoneStore};
use std::collections::BTreeMap;

/// How often a Delete reads the record again when it changed between the read and the DELETE.
const DELETE_ATTEMPTS: u32 = 3;

pub async fn remove<C: Connector>(
    cx: &Context<'_, C>,
    request: &DelegationRequest,
) -> Result<Outcome, Failure> {
    let physical_id = request.physical_id.clone().unwrap_or_default();
    let done = |action| Outcome {
        physical_id: physical_id.clone(),
        data: BTreeMap::new(),
        action,
    };
    let Some(identity) = Identity::parse(&physical_id) else {
        tracing::info!(physical_id = %physical_id, "Delete of an ID this provider never wrote (a failed or cancelled Create): nothing to do");
        return Ok(done(Action::NothingToDelete));
    };
    cx.progress.set_identity(&identity);
    let props = request.props()?;
    verify::requester(cx, request, props, Some(&identity.name)).await?;
    let parent = cx
        .connector
        .parent(props.parent_role.as_ref(), &cx.session)
        .await?;
    let parent_zone = match parent.hosted_zone(&identity.parent_zone_id).await {
        Ok(zone) => zone,
        Err(AdapterError::NotFound(why)) => {
            tracing::info!(%why, "the parent zone no longer exists: nothing to delete");
            return Ok(done(Action::ParentZoneGone));
        }
        Err(e) => return Err(e.into()),
    };
    if !identity.name.is_strictly_below(&parent_zone.name) {
        tracing::warn!(name = %identity.name, parent = %parent_zone.name, "refusing to delete at or outside the parent zone's apex: this provider never wrote it");
        return Ok(done(Action::RefusedApex));
    }
    let child_name_servers = child_name_servers(cx, props, &identity.name).await;
    let manage_ds = props.dnssec != DnssecMode::Off;
    // Re-read and re-plan when the record changed between our read and our DELETE.
    for attempt in 1..=DELETE_ATTEMPTS {
        let live =
            records::at_and_below(&parent, &parent_zone.id, vec![identity.name.clone()]).await?;
        let changes = match plan_delete(
            &identity.name,
            &live,
            child_name_servers.as_deref(),
            manage_ds,
        ) {
            DeletePlan::Absent => return Ok(done(Action::AlreadyAbsent)),
            DeletePlan::Foreign { live_values } => {
                tracing::warn!(name = %identity.name, live = ?live_values, child = ?child_name_servers, "the NS record now points at other name servers than the child zone's; someone else owns it, so it is left in place");
                return Ok(done(Action::LeftForeignRecord));
            }
            DeletePlan::Delete(changes) => changes,
        };
        match write(
            &parent,
            &parent_zone.id,
            &changes,
            &request.change_comment(),
            cx.progress,
        )
        .await
        {
            Ok(change) => {
                if props.wait_for_sync {
                    match super::delegate::await_sync(cx, &parent, &change, &identity).await {
                        Err(Failure::NotInSync { .. }) => {
                            tracing::warn!(change = %change.id, "the deletion was accepted but not INSYNC before the deadline");
                        }
                        other => other?,
                    }
                }
                return Ok(done(deleted(&changes)));
            }
            Err(AdapterError::Conflict(why)) if attempt < DELETE_ATTEMPTS => {
                tracing::warn!(%why, attempt, "the record changed while deleting it; reading it again");
            }
            Err(e) => return Err(change_failure(e, &parent_zone.id)),
        }
    }
    unreachable!("the loop returns on its last attempt")
}

fn deleted(changes: &[Change]) -> Action {
    if changes.iter().any(|c| c.kind == RecordKind::Ds) {
        Action::DeletedNsAndDs
    } else {
        Action::Deleted
    }
}

/// The child zone's name servers when it can still be read; `None` otherwise (deleted zone, role
/// gone), in which case the record at our identity is ours.
pub(super) async fn child_name_servers<C: Connector>(
    cx: &Context<'_, C>,
    props: &Properties,
    name: &DnsName,
) -> Option<Vec<String>> {
    let read = async {
        let child = cx
            .connector
            .child(props.child_role.as_ref(), &cx.session)
            .await?;
        child.hosted_zone(&props.child_zone_id).await
    };
    match read.await {
        Ok(zone) => {
            if &zone.name != name {
                tracing::warn!(child = %zone.name, %name, "the child zone has another name than the ID; its name servers decide whether the record is ours");
            }
            Some(zone.name_servers)
        }
        Err(e) => {
            tracing::info!(error = %e, "the child zone cannot be read; deleting the record at our identity");
            None
        }
    }
}
