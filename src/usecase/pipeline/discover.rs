//! Parent discovery (docs/design.md, "Parent discovery"): each prepared delegation that names no
//! parent zone is given the public zone, among those the provider may write, whose name is the
//! longest proper suffix of the child zone's name. A batch looks each name up once.

use super::Item;
use super::prepare::Prepared;
use crate::domain::discovery::{ParentScope, candidate_names, choose, none_found};
use crate::domain::model::Zone;
use crate::domain::name::DnsName;
use crate::domain::properties::{ParentZoneRef, Properties, RoleSpec};
use crate::ports::{AdapterError, CallTally, Connector, During, ParentZoneStore, SessionContext};
use crate::usecase::Failure;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What shapes the parent session a lookup goes through (as for a group: docs/design.md,
/// "Batches"): the role with its ExternalId, and STS's region.
type SessionKey = (Option<RoleSpec>, String);

/// The lookups of one run: each parent session once, each name once per session.
struct Lookups<P> {
    parents: BTreeMap<SessionKey, Result<P, AdapterError>>,
    named: BTreeMap<(SessionKey, DnsName), Result<Vec<Zone>, AdapterError>>,
}

/// Gives every delegation without a parent the zone found for it, or its answer.
pub(super) async fn discover<C: Connector>(
    connector: &C,
    scope: &ParentScope,
    items: &[Item],
    prepared: &mut [Prepared<C::Child>],
    parent_calls: &Arc<CallTally>,
) {
    let mut lookups = Lookups {
        parents: BTreeMap::new(),
        named: BTreeMap::new(),
    };
    for (index, prepared) in prepared.iter_mut().enumerate() {
        let Prepared::Upsert { props, child, .. } = prepared else {
            continue;
        };
        if props.parent.is_some() {
            continue;
        }
        let session = SessionContext {
            route53: parent_calls.clone(),
            ..items[index].session.clone()
        };
        match find(connector, scope, &mut lookups, props, &child.name, &session).await {
            Ok(zone) => {
                tracing::info!(child = %child.name, parent = %zone.name, parent_zone = %zone.id, "parent zone discovered");
                props.parent = Some(ParentZoneRef::Id(zone.id));
            }
            Err(failure) => *prepared = Prepared::Done(Err(failure)),
        }
    }
}

/// The zone of the longest candidate name that has one public, writable zone.
async fn find<C: Connector>(
    connector: &C,
    scope: &ParentScope,
    lookups: &mut Lookups<C::Parent>,
    props: &Properties,
    name: &DnsName,
    session: &SessionContext,
) -> Result<Zone, Failure> {
    let key: SessionKey = (props.parent_role.clone(), session.sts_region.clone());
    if !lookups.parents.contains_key(&key) {
        let parent = connector.parent(props.parent_role.as_ref(), session).await;
        lookups.parents.insert(key.clone(), parent);
    }
    let parent = match &lookups.parents[&key] {
        Ok(parent) => parent,
        Err(e) => return Err(Failure::Aws(e.clone())),
    };
    for candidate in candidate_names(name) {
        let cached = (key.clone(), candidate.clone());
        if !lookups.named.contains_key(&cached) {
            let zones = parent.zones_named(&candidate).await;
            lookups.named.insert(cached.clone(), zones);
        }
        let zones = lookups.named[&cached]
            .clone()
            .map_err(|e| Failure::Aws(e.during(During::read_zones(props))))?;
        if let Some(zone) = choose(&candidate, zones, scope)? {
            return Ok(zone);
        }
    }
    Err(none_found(name, scope).into())
}
