//! Many requests at once (docs/design.md, "Batches"): per parent zone, verify each request, read
//! the parent zone once, plan every request in arrival order against one evolving view, write the
//! accepted changes in as few change batches as Route 53's limits allow, and wait once per change
//! batch for INSYNC. Every request gets the outcome the direct mode would have given it.

use super::delegate::{self, ChildView, explain_read, read_child, read_dnssec};
use super::records;
use super::{Action, Context, DelegationRequest, Failure, Outcome, Progress, remove, verify};
use crate::config::Config;
use crate::domain::batch::{apply, at_and_below};
use crate::domain::model::{Change, DnssecState, LiveRecord, RequestKind, Zone};
use crate::domain::name::DnsName;
use crate::domain::plan::{
    DeletePlan, Desired, Identity, Outcome as Planned, check_names, desired_ds, plan_delete,
    plan_upsert, the_public_zone,
};
use crate::domain::properties::{DnssecMode, ParentZoneRef, Properties, RoleSpec};
use crate::ports::{AdapterError, Connector, ParentZoneStore, SessionContext};
use futures_util::stream::{self, StreamExt};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;

/// How many requests of a batch are verified and have their child zone read at once.
const VERIFY_CONCURRENCY: usize = 16;

/// One request of a batch, with what its runner needs to answer it.
pub struct Item {
    pub request: DelegationRequest,
    pub session: SessionContext,
    pub progress: Progress,
    /// Leave the result empty when STS refuses a role the request names (see
    /// [`Failure::is_role_refusal`]), for the runner to try it again once the others are
    /// answered: a role that refuses must not hold the batch (docs/design.md, "Batches").
    pub defer_role_refusal: bool,
    /// Filled in by [`run`], unless deferred.
    pub result: Option<Result<Outcome, Failure>>,
}

/// What a batch did, for its summary line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub parent_zones: usize,
    pub change_calls: u32,
    pub changes_written: usize,
    /// How many times a throttled change batch made the remaining ones smaller.
    pub throttle_shrinks: u32,
}

impl Report {
    /// Adds what a later pass over the same batch did.
    pub fn add(&mut self, other: &Report) {
        self.parent_zones += other.parent_zones;
        self.change_calls += other.change_calls;
        self.changes_written += other.changes_written;
        self.throttle_shrinks += other.throttle_shrinks;
    }
}

/// What a request needs of the parent zone, once it is verified and its child read.
enum Prepared {
    Done(Result<Outcome, Failure>),
    Upsert {
        child: Zone,
        dnssec: Option<DnssecState>,
    },
    Delete {
        identity: Identity,
        child_ns: Option<Vec<String>>,
    },
}

/// A request planned against the evolving view: what it writes, and its outcome once written.
struct Plan {
    item: usize,
    changes: Vec<Change>,
    identity: Identity,
    upsert: Option<(Zone, Desired, Planned)>,
}

mod write;
use write::write_all;

/// Runs every item; `parent_calls` counts the Route 53 calls made in the parent account.
pub async fn run<C: Connector>(
    connector: &C,
    config: &Config,
    items: &mut [Item],
    parent_calls: Arc<AtomicU32>,
) -> Report {
    let prepared: Vec<Prepared> = stream::iter(items.iter())
        .map(|item| prepare(connector, config, item))
        .buffered(VERIFY_CONCURRENCY)
        .collect()
        .await;
    let mut groups: BTreeMap<GroupKey, Vec<(usize, Prepared)>> = BTreeMap::new();
    for (index, prepared) in prepared.into_iter().enumerate() {
        if let Prepared::Done(result) = prepared {
            let deferred = items[index].defer_role_refusal
                && result.as_ref().is_err_and(Failure::is_role_refusal);
            if !deferred {
                items[index].result = Some(result);
            }
        } else {
            let key = group_key(&items[index], &prepared);
            groups.entry(key).or_default().push((index, prepared));
        }
    }
    let mut report = Report {
        parent_zones: groups.len(),
        ..Report::default()
    };
    for members in groups.into_values() {
        let first = &items[members[0].0];
        let progress = Progress::new(first.progress.guard_at());
        let cx = Context {
            connector,
            config,
            session: SessionContext {
                route53_calls: parent_calls.clone(),
                ..first.session.clone()
            },
            progress: &progress,
        };
        run_group(&cx, items, members, &mut report).await;
    }
    report
}

fn props(item: &Item) -> &Properties {
    item.request
        .props
        .as_ref()
        .expect("a prepared request has valid properties")
}

/// Requests share a group, and so one parent session, only when everything that shapes that
/// session is the same: the role with its ExternalId, STS's region, and the zone. A request
/// with a wrong ParentExternalId then fails on its own, as in the direct mode, and cannot ride
/// on another request's session (docs/design.md, "Batches").
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey {
    parent_role: Option<RoleSpec>,
    sts_region: String,
    zone: ParentZoneRef,
}

fn group_key(item: &Item, prepared: &Prepared) -> GroupKey {
    let props = props(item);
    let zone = match prepared {
        Prepared::Delete { identity, .. } => ParentZoneRef::Id(identity.parent_zone_id.clone()),
        _ => props.parent.clone(),
    };
    GroupKey {
        parent_role: props.parent_role.clone(),
        sts_region: item.session.sts_region.clone(),
        zone,
    }
}

/// Everything a request needs before the parent zone is read: verification, the policy, the
/// child zone and its DNSSEC state. Nothing here calls the parent account.
async fn prepare<C: Connector>(connector: &C, config: &Config, item: &Item) -> Prepared {
    let cx = Context {
        connector,
        config,
        session: item.session.clone(),
        progress: &item.progress,
    };
    let request = &item.request;
    let result = match request.kind {
        RequestKind::Create | RequestKind::Update => prepare_upsert(&cx, request).await,
        RequestKind::Delete => prepare_delete(&cx, request).await,
    };
    result.unwrap_or_else(|failure| Prepared::Done(Err(failure)))
}

async fn prepare_upsert<C: Connector>(
    cx: &Context<'_, C>,
    request: &DelegationRequest,
) -> Result<Prepared, Failure> {
    let props = request.props()?;
    let requester = verify::requester(cx, request, props, None).await?;
    let ChildView { reader, zone } = read_child(cx, props, &requester).await?;
    let dnssec = read_dnssec(&reader, props).await?;
    Ok(Prepared::Upsert {
        child: zone,
        dnssec,
    })
}

async fn prepare_delete<C: Connector>(
    cx: &Context<'_, C>,
    request: &DelegationRequest,
) -> Result<Prepared, Failure> {
    let physical_id = request.physical_id.clone().unwrap_or_default();
    let Some(identity) = Identity::parse(&physical_id) else {
        return Ok(Prepared::Done(Ok(nothing(
            physical_id,
            Action::NothingToDelete,
        ))));
    };
    cx.progress.set_identity(&identity);
    let props = request.props()?;
    verify::requester(cx, request, props, Some(&identity.name)).await?;
    let child_ns = remove::child_name_servers(cx, props, &identity.name).await;
    Ok(Prepared::Delete { identity, child_ns })
}

fn nothing(physical_id: String, action: Action) -> Outcome {
    Outcome {
        physical_id,
        data: BTreeMap::new(),
        action,
    }
}

/// One parent zone's requests: read once, plan in order, write in few calls, wait once a call.
async fn run_group<C: Connector>(
    cx: &Context<'_, C>,
    items: &mut [Item],
    members: Vec<(usize, Prepared)>,
    report: &mut Report,
) {
    let props = props(&items[members[0].0]).clone();
    let opened = match open_parent(cx, &props, &members).await {
        Ok((parent, zone)) => {
            let names = members
                .iter()
                .filter_map(|(i, p)| name_of(&items[*i], p, &zone))
                .collect();
            records::at_and_below(&parent, &zone.id, names)
                .await
                .map(|view| (parent, zone, view))
                .map_err(Failure::Aws)
        }
        Err(failure) => Err(failure),
    };
    let (parent, zone, mut view) = match opened {
        Ok(opened) => opened,
        Err(failure) => return fail_all(items, &members, &failure),
    };
    let mut plans = Vec::new();
    for (index, prepared) in members {
        match plan_one(&items[index], index, prepared, &zone, &view) {
            Ok(plan) => {
                apply(&mut view, &plan.changes);
                plans.push(plan);
            }
            Err(result) => items[index].result = Some(result),
        }
    }
    let stale = write_all(cx, &parent, &zone, items, &plans, report).await;
    // A request whose record changed under it is read and planned again on its own, as the
    // direct mode does.
    for index in stale {
        let item = &items[index];
        let own = Context {
            connector: cx.connector,
            config: cx.config,
            session: item.session.clone(),
            progress: &item.progress,
        };
        let result = match item.request.kind {
            RequestKind::Delete => remove::remove(&own, &item.request).await,
            _ => delegate::delegate(&own, &item.request).await,
        };
        items[index].result = Some(result);
    }
}

/// The group's parent adapter and zone: one zone read for every request.
async fn open_parent<C: Connector>(
    cx: &Context<'_, C>,
    props: &Properties,
    members: &[(usize, Prepared)],
) -> Result<(C::Parent, Zone), Failure> {
    let parent = cx
        .connector
        .parent(props.parent_role.as_ref(), &cx.session)
        .await?;
    let explain = |e| Failure::Aws(explain_read(e, props));
    let zone = match (&members[0].1, &props.parent) {
        (Prepared::Delete { identity, .. }, _) => {
            parent.hosted_zone(&identity.parent_zone_id).await?
        }
        (_, ParentZoneRef::Id(id)) => parent.hosted_zone(id).await.map_err(explain)?,
        (_, ParentZoneRef::Name(name)) => {
            the_public_zone(name, parent.zones_named(name).await.map_err(explain)?)?
        }
    };
    Ok((parent, zone))
}

/// Every request of a group fails alike when its parent zone cannot be read; a Delete whose
/// parent zone is gone has nothing left to delete.
fn fail_all(items: &mut [Item], members: &[(usize, Prepared)], failure: &Failure) {
    for (index, prepared) in members {
        let item = &mut items[*index];
        item.result = Some(match (prepared, failure) {
            (Prepared::Delete { .. }, Failure::Aws(AdapterError::NotFound(why))) => {
                tracing::info!(%why, "the parent zone no longer exists: nothing to delete");
                Ok(nothing(
                    item.request.physical_id.clone().unwrap_or_default(),
                    Action::ParentZoneGone,
                ))
            }
            _ => Err(Failure::Aws(AdapterError::Other(failure.to_string()))),
        });
    }
}

fn name_of(item: &Item, prepared: &Prepared, zone: &Zone) -> Option<DnsName> {
    match prepared {
        Prepared::Upsert { child, .. } => {
            check_names(zone, child, props(item).delegated_name.as_ref()).ok()
        }
        Prepared::Delete { identity, .. } => Some(identity.name.clone()),
        Prepared::Done(_) => None,
    }
}

/// Plans one request against the view as the requests before it left it; `Err` carries its
/// result when it writes nothing.
fn plan_one(
    item: &Item,
    index: usize,
    prepared: Prepared,
    zone: &Zone,
    view: &[LiveRecord],
) -> Result<Plan, Result<Outcome, Failure>> {
    let props = props(item);
    let refused = |f: Failure| Err(f);
    match prepared {
        Prepared::Done(result) => Err(result),
        Prepared::Upsert { child, dnssec } => {
            let name = check_names(zone, &child, props.delegated_name.as_ref())
                .map_err(|r| refused(r.into()))?;
            let identity = Identity {
                parent_zone_id: zone.id.clone(),
                name,
            };
            item.progress.set_identity(&identity);
            let desired = Desired {
                name: identity.name.clone(),
                name_servers: child.name_servers.clone(),
                ds: desired_ds(props.dnssec, dnssec.as_ref()).map_err(|r| refused(r.into()))?,
                ttl: props.ttl,
            };
            let mode = delegate::mode(&item.request, props, &identity);
            let plan = plan_upsert(&desired, &at_and_below(view, &identity.name), mode)
                .map_err(|r| refused(r.into()))?;
            Ok(Plan {
                item: index,
                changes: plan.changes,
                identity,
                upsert: Some((child, desired, plan.outcome)),
            })
        }
        Prepared::Delete { identity, child_ns } => {
            let done = |action| Err(Ok(nothing(identity.to_string(), action)));
            if !identity.name.is_strictly_below(&zone.name) {
                tracing::warn!(name = %identity.name, parent = %zone.name, "refusing to delete at or outside the parent zone's apex: this provider never wrote it");
                return done(Action::RefusedApex);
            }
            let live = at_and_below(view, &identity.name);
            let manage_ds = props.dnssec != DnssecMode::Off;
            match plan_delete(&identity.name, &live, child_ns.as_deref(), manage_ds) {
                DeletePlan::Absent => done(Action::AlreadyAbsent),
                DeletePlan::Foreign { live_values } => {
                    tracing::warn!(name = %identity.name, live = ?live_values, "the NS record now points at other name servers than the child zone's; someone else owns it, so it is left in place");
                    done(Action::LeftForeignRecord)
                }
                DeletePlan::Delete(changes) => Ok(Plan {
                    item: index,
                    changes,
                    identity,
                    upsert: None,
                }),
            }
        }
    }
}
