//! Grouping (docs/design.md, "Batches"): the prepared requests that share one parent session and
//! one parent zone, in arrival order; the others are answered here.

use super::Item;
use super::prepare::Prepared;
use crate::domain::properties::{ParentZoneRef, PropertyError, RoleSpec};
use crate::usecase::Failure;
use std::collections::BTreeMap;

/// Requests share a group, and so one parent session, only when everything that shapes that
/// session is the same: the role with its ExternalId, STS's region, and the zone. A request
/// with a wrong ParentExternalId then fails on its own, as when it is alone, and cannot ride on
/// another request's session (docs/design.md, "Batches").
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct GroupKey {
    pub parent_role: Option<RoleSpec>,
    pub sts_region: String,
    pub zone: ParentZoneRef,
}

/// A group's requests: the item's index and what its preparation found.
pub(super) type Members<R> = Vec<(usize, Prepared<R>)>;

/// Sets the result of every request already answered (unless a refused role defers it) and
/// groups the others.
pub(super) fn groups<R>(
    items: &mut [Item],
    prepared: Vec<Prepared<R>>,
) -> BTreeMap<GroupKey, Members<R>> {
    let mut groups: BTreeMap<GroupKey, Members<R>> = BTreeMap::new();
    for (index, prepared) in prepared.into_iter().enumerate() {
        let item = &mut items[index];
        let (zone, props) = match &prepared {
            Prepared::Done(result) => {
                let deferred =
                    item.defer_role_refusal && result.as_ref().is_err_and(|f| f.is_role_refusal());
                if !deferred {
                    item.result = Some(result.clone());
                }
                continue;
            }
            Prepared::Delete { identity, props } => {
                (ParentZoneRef::Id(identity.parent_zone_id.clone()), props)
            }
            Prepared::Upsert { props, .. } => match &props.parent {
                Some(zone) => (zone.clone(), props),
                // Discovery (`discover`) gives every delegation a parent or an answer first.
                None => {
                    let missing =
                        PropertyError::Missing("ParentHostedZoneId or ParentHostedZoneName");
                    item.result = Some(Err(Failure::Properties(missing)));
                    continue;
                }
            },
        };
        let key = GroupKey {
            parent_role: props.parent_role.clone(),
            sts_region: item.session.sts_region.clone(),
            zone,
        };
        groups.entry(key).or_default().push((index, prepared));
    }
    groups
}
