//! Create, or Update (docs/design.md, "Lifecycle"): converge in place when the identity is
//! unchanged, else create the new identity (CloudFormation then deletes the old one during
//! cleanup). Each step is its own function: read the child, read the parent, plan, write, wait.

use super::records;
use super::verify::{self, Requester};
use super::{Action, Context, DelegationRequest, Failure, Outcome, change_failure, write};
use crate::domain::model::{DnssecState, LiveRecord, RequestKind, SubmittedChange, Zone};
use crate::domain::name::normalize_value;
use crate::domain::plan::{
    Desired, Identity, Mode, Outcome as Planned, check_names, desired_ds, plan_upsert,
    the_public_zone,
};
use crate::domain::properties::{DnssecMode, ParentZoneRef, Properties};
use crate::ports::{AdapterError, ChildZoneReader, Connector, ParentZoneStore};
use std::collections::BTreeMap;

/// The child zone as read in the child account, once its name is allotted to the zone's account.
pub struct ChildView<R> {
    pub reader: R,
    pub zone: Zone,
}

/// What the parent zone holds for one delegation.
pub struct ParentView {
    pub zone: Zone,
    pub identity: Identity,
    pub live: Vec<LiveRecord>,
    pub dnssec: Option<DnssecState>,
}

pub async fn delegate<C: Connector>(
    cx: &Context<'_, C>,
    request: &DelegationRequest,
) -> Result<Outcome, Failure> {
    let props = request.props()?;
    let requester = verify::requester(cx, request, props, None).await?;
    let child = read_child(cx, props, &requester).await?;
    let parent = cx
        .connector
        .parent(props.parent_role.as_ref(), &cx.session)
        .await?;
    let view = read_parent(cx, &parent, props, &child).await?;
    let desired = Desired {
        name: view.identity.name.clone(),
        name_servers: child.zone.name_servers.clone(),
        ds: desired_ds(props.dnssec, view.dnssec.as_ref())?,
        ttl: props.ttl,
    };
    let planned = plan_upsert(&desired, &view.live, mode(request, props, &view.identity))?;
    let mut change_id = String::new();
    if !planned.changes.is_empty() {
        let change = write(
            &parent,
            &view.zone.id,
            &planned.changes,
            &request.change_comment(),
            cx.progress,
        )
        .await
        .map_err(|e| change_failure(e, &view.zone.id))?;
        if props.wait_for_sync {
            await_sync(cx, &parent, &change, &view.identity).await?;
        }
        change_id = change.id;
    }
    Ok(delegated(
        &view.identity,
        &child.zone,
        &desired,
        props,
        &change_id,
        planned.outcome,
    ))
}

/// The answer of a delegation that was written, or found as desired (docs/design.md, "The
/// answer"); `change_id` is empty when nothing had to be written.
pub fn delegated(
    identity: &Identity,
    child: &Zone,
    desired: &Desired,
    props: &Properties,
    change_id: &str,
    planned: Planned,
) -> Outcome {
    Outcome {
        physical_id: identity.to_string(),
        data: data(identity, child, desired, props, change_id),
        action: match planned {
            Planned::Created => Action::Created,
            Planned::Adopted => Action::Adopted,
            Planned::Replaced => Action::Replaced,
            Planned::Updated => Action::Updated,
            Planned::Unchanged => Action::Unchanged,
        },
    }
}

/// An Update of the same identity converges the record it owns; anything else is a Create.
pub fn mode(request: &DelegationRequest, props: &Properties, identity: &Identity) -> Mode {
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

/// Reads the child zone in the child account, and holds its name to the zone account's
/// allotment before anything is asked of the parent account.
pub async fn read_child<C: Connector>(
    cx: &Context<'_, C>,
    props: &Properties,
    requester: &Requester,
) -> Result<ChildView<C::Child>, Failure> {
    let reader = cx
        .connector
        .child(props.child_role.as_ref(), &cx.session)
        .await?;
    let zone = reader
        .hosted_zone(&props.child_zone_id)
        .await
        .map_err(|e| explain_read(e, props))?;
    requester.may_delegate(cx, &zone.name)?;
    Ok(ChildView { reader, zone })
}

/// Reads the parent zone, checks the names, and reads the records at and below the name together
/// with the child's DNSSEC state.
pub async fn read_parent<C: Connector>(
    cx: &Context<'_, C>,
    parent: &C::Parent,
    props: &Properties,
    child: &ChildView<C::Child>,
) -> Result<ParentView, Failure> {
    let zone = resolve_parent(parent, props).await?;
    let name = check_names(&zone, &child.zone, props.delegated_name.as_ref())?;
    let identity = Identity {
        parent_zone_id: zone.id.clone(),
        name,
    };
    cx.progress.set_identity(&identity);
    let (dnssec, live) = tokio::try_join!(
        read_dnssec(&child.reader, props),
        records::at_and_below(parent, &zone.id, vec![identity.name.clone()])
    )?;
    Ok(ParentView {
        zone,
        identity,
        live,
        dnssec,
    })
}

/// The child's DNSSEC state, unless DS records are not ours to manage (`Dnssec=off`).
pub async fn read_dnssec<R: ChildZoneReader>(
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
        .map_err(|e| match e {
            AdapterError::AccessDenied(m) => AdapterError::AccessDenied(format!(
                "{m}; grant route53:GetDNSSEC on the child zone to the reader role, or set Dnssec to off"
            )),
            other => other,
        })
}

/// Waits for INSYNC within the time left before the guard.
pub async fn await_sync<C: Connector>(
    cx: &Context<'_, C>,
    parent: &C::Parent,
    change: &SubmittedChange,
    identity: &Identity,
) -> Result<(), Failure> {
    if change.insync {
        return Ok(());
    }
    let left = cx.progress.wait_budget();
    if parent.wait_insync(&change.id, left).await? {
        Ok(())
    } else {
        Err(Failure::NotInSync {
            change: change.id.clone(),
            identity: identity.clone(),
            waited_secs: left.as_secs(),
        })
    }
}

fn data(
    identity: &Identity,
    child: &Zone,
    desired: &Desired,
    props: &Properties,
    change_id: &str,
) -> BTreeMap<String, String> {
    let ds = desired.ds.clone().unwrap_or_default();
    BTreeMap::from([
        ("DelegatedName".to_owned(), identity.name.to_string()),
        (
            "NameServers".to_owned(),
            child
                .name_servers
                .iter()
                .map(|v| normalize_value(v))
                .collect::<Vec<_>>()
                .join(","),
        ),
        (
            "ParentHostedZoneId".to_owned(),
            identity.parent_zone_id.to_string(),
        ),
        ("ChildHostedZoneId".to_owned(), child.id.to_string()),
        ("TTL".to_owned(), props.ttl.to_string()),
        ("ChangeId".to_owned(), change_id.to_owned()),
        ("DsRecord".to_owned(), ds.join(",")),
    ])
}

/// The one public parent zone the properties name.
pub async fn resolve_parent<P: ParentZoneStore>(
    parent: &P,
    props: &Properties,
) -> Result<Zone, Failure> {
    let explain = |e| Failure::Aws(explain_read(e, props));
    match &props.parent {
        ParentZoneRef::Id(id) => parent.hosted_zone(id).await.map_err(explain),
        ParentZoneRef::Name(name) => {
            let zones = parent.zones_named(name).await.map_err(explain)?;
            Ok(the_public_zone(name, zones)?)
        }
    }
}

/// Adds what to do to the errors of the first reads, which are mostly wiring mistakes.
pub fn explain_read(e: AdapterError, props: &Properties) -> AdapterError {
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
