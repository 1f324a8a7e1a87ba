//! The plan phase (docs/design.md, "Pipeline"): a group's parent zone read once, each request's
//! name checked against it, the records at and below every name read together with each child's
//! state (DNSSEC for a delegation, name servers for a Delete), and each request planned against
//! the view the requests before it leave.

use super::answer::delegated;
use super::group::{GroupKey, Members};
use super::prepare::Prepared;
use super::{Item, PREPARE_CONCURRENCY};
use crate::domain::batch::at_and_below;
use crate::domain::model::{Change, DnssecState, LiveRecord, RequestKind, Zone};
use crate::domain::name::DnsName;
use crate::domain::plan::{
    DeletePlan, Desired, Identity, Mode, UpsertOutcome, check_names, desired_ds, plan_delete,
    plan_upsert, the_public_zone,
};
use crate::domain::properties::{DnssecMode, ParentZoneRef, Properties};
use crate::ports::{AdapterError, ChildZoneReader, Connector, During, ErrorKind, ParentZoneStore};
use crate::usecase::records;
use crate::usecase::{Action, Context, Failure, Outcome};
use futures_util::stream::{self, StreamExt};

/// A request of the group, named and with its child's state: all it needs to be planned again.
pub(super) struct Member {
    pub item: usize,
    pub props: Properties,
    pub identity: Identity,
    pub intent: Intent,
}

pub(super) enum Intent {
    Upsert {
        child: Zone,
        desired: Desired,
        mode: Mode,
    },
    Delete {
        /// `None` when the child zone cannot be read: the record at the identity is ours.
        child_ns: Option<Vec<String>>,
        manage_ds: bool,
    },
}

/// A group's parent zone, read: the adapter, the zone, the view of the records at and below its
/// members' names, and the members to plan.
pub(super) struct Opened<P> {
    pub parent: P,
    pub zone: Zone,
    pub view: Vec<LiveRecord>,
    pub members: Vec<Member>,
}

/// What planning a request against the view decided.
pub(super) enum Step {
    /// Changes to write; a delegation's planned outcome with them (`None` for a Delete).
    Write {
        changes: Vec<Change>,
        planned: Option<UpsertOutcome>,
    },
    /// Nothing to write: the answer.
    Answer(Result<Outcome, Failure>),
}

/// Opens the group's parent zone and reads what its members' plans need. `None` when every
/// member is answered already (their parent zone could not be read, or none is left to plan).
pub(super) async fn open<C: Connector>(
    cx: &Context<'_, C>,
    key: &GroupKey,
    items: &mut [Item],
    members: Members<C::Child>,
) -> Option<Opened<C::Parent>> {
    let parent = match cx
        .connector
        .parent(key.parent_role.as_ref(), &cx.session)
        .await
    {
        Ok(parent) => parent,
        Err(e) => return fail_all(items, members, |_, _| Err(Failure::Aws(e.clone()))),
    };
    let zone = match read_zone(&parent, &key.zone).await {
        Ok(zone) => zone,
        Err(failure) => return fail_all(items, members, |item, p| unreadable(&failure, item, p)),
    };
    let named: Vec<Named<C::Child>> = members
        .into_iter()
        .filter_map(|(index, prepared)| name(&mut items[index], index, prepared, &zone))
        .collect();
    if named.is_empty() {
        return None;
    }
    let names = named.iter().map(|n| n.identity.name.clone()).collect();
    let (view, read) = tokio::join!(
        records::at_and_below(&parent, &zone.id, names),
        read_children(cx, items, named)
    );
    let mut members = Vec::new();
    for result in read {
        match result {
            Ok(member) => members.push(member),
            Err((index, failure)) => items[index].result = Some(Err(failure)),
        }
    }
    match view {
        Ok(view) => Some(Opened {
            parent,
            zone,
            view,
            members,
        }),
        Err(e) => {
            for member in members {
                items[member.item].result = Some(Err(Failure::Aws(e.clone())));
            }
            None
        }
    }
}

/// The zone the group names: by ID, or the one public zone of that name.
async fn read_zone<P: ParentZoneStore>(parent: &P, zone: &ParentZoneRef) -> Result<Zone, Failure> {
    match zone {
        ParentZoneRef::Id(id) => Ok(parent.hosted_zone(id).await?),
        ParentZoneRef::Name(name) => Ok(the_public_zone(name, parent.zones_named(name).await?)?),
    }
}

/// A member's answer when its parent zone cannot be read: a Delete whose zone is gone has
/// nothing left to delete; a delegation learns what to check.
fn unreadable<R>(
    failure: &Failure,
    item: &Item,
    prepared: &Prepared<R>,
) -> Result<Outcome, Failure> {
    match (prepared, failure) {
        (Prepared::Delete { .. }, Failure::Aws(why)) if why.is(&ErrorKind::NotFound) => {
            tracing::info!(%why, "the parent zone no longer exists: nothing to delete");
            Ok(Outcome::of_delete(&item.request, Action::ParentZoneGone))
        }
        (Prepared::Upsert { props, .. }, Failure::Aws(e)) => {
            Err(Failure::Aws(e.clone().during(During::read_zones(props))))
        }
        _ => Err(failure.clone()),
    }
}

/// Answers every member alike; always `None`, for [`open`] to return.
fn fail_all<R, T>(
    items: &mut [Item],
    members: Members<R>,
    answer: impl Fn(&Item, &Prepared<R>) -> Result<Outcome, Failure>,
) -> Option<T> {
    for (index, prepared) in members {
        items[index].result = Some(answer(&items[index], &prepared));
    }
    None
}

/// A request with its name in the zone, before its child's state is read.
struct Named<R> {
    item: usize,
    props: Properties,
    identity: Identity,
    /// A delegation's child: the reader and the zone as read.
    child: Option<(R, Zone)>,
}

/// The request's name in this zone, checked; `None` once it is answered (a name the zone may
/// not delegate, a Delete at or above the apex).
fn name<R>(item: &mut Item, index: usize, prepared: Prepared<R>, zone: &Zone) -> Option<Named<R>> {
    match prepared {
        Prepared::Done(_) => None,
        Prepared::Upsert {
            props,
            reader,
            child,
        } => match check_names(zone, &child, props.delegated_name.as_ref()) {
            Ok(name) => {
                let identity = Identity {
                    parent_zone_id: zone.id.clone(),
                    name,
                };
                item.progress.set_identity(&identity);
                Some(Named {
                    item: index,
                    props,
                    identity,
                    child: Some((reader, child)),
                })
            }
            Err(refusal) => {
                item.result = Some(Err(refusal.into()));
                None
            }
        },
        Prepared::Delete { props, identity } => {
            if identity.name.is_strictly_below(&zone.name) {
                return Some(Named {
                    item: index,
                    props,
                    identity,
                    child: None,
                });
            }
            tracing::warn!(name = %identity.name, parent = %zone.name, "refusing to delete at or outside the parent zone's apex: this provider never wrote it");
            item.result = Some(Ok(Outcome::of_delete(&item.request, Action::RefusedApex)));
            None
        }
    }
}

/// Each member's child state, read in the child account alongside the parent's records.
async fn read_children<C: Connector>(
    cx: &Context<'_, C>,
    items: &[Item],
    named: Vec<Named<C::Child>>,
) -> Vec<Result<Member, (usize, Failure)>> {
    stream::iter(named)
        .map(|named| async move {
            let item = &items[named.item];
            match intent(&item.context(cx.connector, cx.config), item, &named).await {
                Ok(intent) => Ok(Member {
                    item: named.item,
                    props: named.props,
                    identity: named.identity,
                    intent,
                }),
                Err(failure) => Err((named.item, failure)),
            }
        })
        .buffered(PREPARE_CONCURRENCY)
        .collect()
        .await
}

/// What the request asks of the parent zone, with its child's state.
async fn intent<C: Connector>(
    cx: &Context<'_, C>,
    item: &Item,
    named: &Named<C::Child>,
) -> Result<Intent, Failure> {
    let props = &named.props;
    let Some((reader, child)) = &named.child else {
        return Ok(Intent::Delete {
            child_ns: child_name_servers(cx, props, &named.identity.name).await,
            manage_ds: props.dnssec != DnssecMode::Off,
        });
    };
    let dnssec = read_dnssec(reader, props).await?;
    Ok(Intent::Upsert {
        child: child.clone(),
        desired: Desired {
            name: named.identity.name.clone(),
            name_servers: child.name_servers.clone(),
            ds: desired_ds(props.dnssec, dnssec.as_ref())?,
            ttl: props.ttl,
        },
        mode: mode(item, props, &named.identity),
    })
}

/// An Update of the same identity converges the record it owns; anything else is a Create.
fn mode(item: &Item, props: &Properties, identity: &Identity) -> Mode {
    let request = &item.request;
    let existing = request
        .physical_id
        .as_deref()
        .and_then(Identity::parse)
        .filter(|_| request.kind == RequestKind::Update);
    if existing.as_ref() == Some(identity) {
        Mode::Converge
    } else {
        Mode::Create {
            on_conflict: props.on_conflict,
            allow_occluded_records: props.allow_occluded_records,
        }
    }
}

/// The child's DNSSEC state, unless DS records are not ours to manage (`Dnssec=off`).
async fn read_dnssec<R: ChildZoneReader>(
    reader: &R,
    props: &Properties,
) -> Result<Option<DnssecState>, AdapterError> {
    if props.dnssec == DnssecMode::Off {
        return Ok(None);
    }
    reader
        .dnssec(&props.child_zone_id)
        .await
        .map(Some)
        .map_err(|e| e.during(During::ReadDnssec))
}

/// The child zone's name servers when it can still be read; `None` otherwise (deleted zone, role
/// gone), in which case the record at our identity is ours.
async fn child_name_servers<C: Connector>(
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

/// Plans one member against the view as the requests before it left it.
pub(super) fn plan(member: &Member, item: &Item, view: &[LiveRecord]) -> Step {
    let name = &member.identity.name;
    let live = at_and_below(view, name);
    match &member.intent {
        Intent::Upsert {
            child,
            desired,
            mode,
        } => match plan_upsert(desired, &live, *mode) {
            Ok(plan) if plan.changes.is_empty() => Step::Answer(Ok(delegated(
                &member.identity,
                (child, desired),
                &member.props,
                "",
                plan.outcome,
            ))),
            Ok(plan) => Step::Write {
                changes: plan.changes,
                planned: Some(plan.outcome),
            },
            Err(refusal) => Step::Answer(Err(refusal.into())),
        },
        Intent::Delete {
            child_ns,
            manage_ds,
        } => match plan_delete(name, &live, child_ns.as_deref(), *manage_ds) {
            DeletePlan::Absent => {
                Step::Answer(Ok(Outcome::of_delete(&item.request, Action::AlreadyAbsent)))
            }
            DeletePlan::Foreign { live_values } => {
                tracing::warn!(%name, live = ?live_values, child = ?child_ns, "the NS record now points at other name servers than the child zone's; someone else owns it, so it is left in place");
                Step::Answer(Ok(Outcome::of_delete(
                    &item.request,
                    Action::LeftForeignRecord,
                )))
            }
            DeletePlan::Delete(changes) => Step::Write {
                changes,
                planned: None,
            },
        },
    }
}
