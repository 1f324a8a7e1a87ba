//! The pure plan: desired delegation + live state of the parent zone → the change batch to send,
//! or a refusal that says why nothing may be written. No IO here; every rule is tested with values.

/// The identity moved to the model, where the ports' data lives, and the refusals to their own
/// file; both re-exported for the plan's users.
pub use super::model::Identity;
use super::model::{
    Change, DnssecState, KeyStatus, LiveRecord, RecordAction, RecordKind, RecordType,
    SigningStatus, Zone,
};
use super::name::{DnsName, normalize_value, same_values};
use super::properties::{DnssecMode, OnConflict};
pub use super::refusal::Refusal;
use super::refusal::list_for_message;

/// The DS values the parent should hold: `None` when DS is not ours to manage (`Dnssec=off`);
/// one value per ACTIVE key-signing key while the child is SIGNING, so the chain holds through a
/// key rollover; none otherwise (a stale DS would make the subdomain fail validation).
pub fn desired_ds(
    mode: DnssecMode,
    state: Option<&DnssecState>,
) -> Result<Option<Vec<String>>, Refusal> {
    let Some(state) = state.filter(|_| mode != DnssecMode::Off) else {
        return Ok(None);
    };
    let signing = state.serve_signature == SigningStatus::Signing;
    let mut ds: Vec<String> = if signing {
        state
            .key_signing_keys
            .iter()
            .filter(|k| k.status == KeyStatus::Active && !k.ds_record.trim().is_empty())
            .map(|k| k.ds_record.trim().to_owned())
            .collect()
    } else {
        Vec::new()
    };
    ds.sort();
    ds.dedup();
    if mode == DnssecMode::Required && ds.is_empty() {
        return Err(Refusal::DnssecRequired {
            status: state.serve_signature.to_string(),
            keys: if state.key_signing_keys.is_empty() {
                "no key-signing keys".to_owned()
            } else {
                state
                    .key_signing_keys
                    .iter()
                    .map(|k| format!("{} {}", k.name, k.status))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        });
    }
    Ok(Some(ds))
}

/// What the parent zone should hold for one delegation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desired {
    pub name: DnsName,
    pub name_servers: Vec<String>,
    /// DS values to publish; `None` when DS is not the provider's to manage (`Dnssec=off`).
    pub ds: Option<Vec<String>>,
    pub ttl: u32,
}

/// Create checks for conflicts and occlusion; an Update of the same identity converges the
/// record it already owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Create {
        on_conflict: OnConflict,
        allow_occluded_records: bool,
    },
    Converge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpsertOutcome {
    /// Nothing was at the name.
    Created,
    /// The parent already held exactly this delegation (a redelivered request, a hand-made record).
    Adopted,
    /// Another delegation stood at the name and `OnConflict=replace` overwrote it.
    Replaced,
    /// An Update converged the record it owns.
    Updated,
    /// An Update found the record it owns already as desired: nothing to write.
    Unchanged,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpsertPlan {
    /// Empty when the parent already holds exactly the desired records (a redelivered request, an
    /// Update that changes no record): a StackSet update of thousands of stacks then costs no
    /// change call, no change-throughput token and no INSYNC wait.
    pub changes: Vec<Change>,
    pub outcome: UpsertOutcome,
}

/// `ParentHostedZoneName` must name exactly one public zone: choosing among several would be a
/// guess, and a private zone cannot hold a delegation.
pub fn the_public_zone(name: &DnsName, zones: Vec<Zone>) -> Result<Zone, Refusal> {
    let total = zones.len();
    let mut public: Vec<Zone> = zones.into_iter().filter(|z| !z.private).collect();
    match public.len() {
        1 => Ok(public.remove(0)),
        0 => Err(Refusal::NoPublicParent {
            name: name.clone(),
            private: total,
        }),
        count => Err(Refusal::SeveralPublicParents {
            name: name.clone(),
            count,
            ids: public
                .iter()
                .map(|z| z.id.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// docs/design.md, "Names": the delegated name is the child zone's name, checked against the parent and
/// the child before anything is read from or written to the parent's records.
pub fn check_names(
    parent: &Zone,
    child: &Zone,
    delegated_name: Option<&DnsName>,
) -> Result<DnsName, Refusal> {
    if let Some(given) = delegated_name
        && given != &child.name
    {
        return Err(Refusal::DelegatedNameMismatch {
            given: given.clone(),
            actual: child.name.clone(),
            id: child.id.clone(),
        });
    }
    if DnsName::parse(&child.name.to_string()).as_ref() != Ok(&child.name) {
        return Err(Refusal::UnidentifiableName {
            id: child.id.clone(),
            name: child.name.clone(),
        });
    }
    if child.private {
        return Err(Refusal::ChildPrivate {
            id: child.id.clone(),
            name: child.name.clone(),
        });
    }
    if parent.private {
        return Err(Refusal::ParentPrivate {
            id: parent.id.clone(),
            name: parent.name.clone(),
        });
    }
    if child.name == parent.name {
        return Err(Refusal::Apex {
            name: child.name.clone(),
        });
    }
    if !child.name.is_strictly_below(&parent.name) {
        return Err(Refusal::NotBelow {
            name: child.name.clone(),
            parent: parent.name.clone(),
        });
    }
    if child.name_servers.is_empty() {
        return Err(Refusal::NoNameServers {
            id: child.id.clone(),
            name: child.name.clone(),
        });
    }
    Ok(child.name.clone())
}

fn live_at<'a>(live: &'a [LiveRecord], name: &DnsName, kind: RecordKind) -> Option<&'a LiveRecord> {
    live.iter().find(|r| &r.name == name && r.is(kind))
}

/// Name servers as the change batch writes them: normalised, fully qualified.
fn fqdn_values(values: &[String]) -> Vec<String> {
    values
        .iter()
        .map(|v| format!("{}.", normalize_value(v)))
        .collect()
}

/// A Create must not hide other records (unless allowed) nor overwrite another delegation
/// (unless `OnConflict=replace`); an identical one is adopted.
fn check_create(
    desired: &Desired,
    live: &[LiveRecord],
    (live_ns, live_ds): (Option<&LiveRecord>, Option<&LiveRecord>),
    on_conflict: OnConflict,
    allow_occluded_records: bool,
) -> Result<UpsertOutcome, Refusal> {
    let name = &desired.name;
    let mut outcome = if live_ns.is_none() {
        UpsertOutcome::Created
    } else {
        UpsertOutcome::Adopted
    };
    if !allow_occluded_records {
        let hidden: Vec<String> = live
            .iter()
            .filter(|r| {
                r.name.is_strictly_below(name)
                    || (&r.name == name && matches!(r.rtype, RecordType::Other(_)))
            })
            .map(LiveRecord::describe)
            .collect();
        if !hidden.is_empty() {
            return Err(Refusal::Occluded {
                name: name.clone(),
                records: list_for_message(&hidden),
            });
        }
    }
    let ns_conflict = live_ns.filter(|r| !same_values(&r.values, &desired.name_servers));
    let ds_conflict = match &desired.ds {
        None => None,
        Some(ds) => live_ds.filter(|r| !same_values(&r.values, ds)),
    };
    if let Some(conflict) = ns_conflict.or(ds_conflict) {
        match on_conflict {
            OnConflict::Fail => {
                return Err(Refusal::Conflict {
                    name: name.clone(),
                    kind: if conflict.is(RecordKind::Ns) {
                        RecordKind::Ns
                    } else {
                        RecordKind::Ds
                    },
                    existing: list_for_message(&conflict.values),
                });
            }
            OnConflict::Replace => outcome = UpsertOutcome::Replaced,
        }
    }
    Ok(outcome)
}

/// Plans a Create or an in-place Update.
pub fn plan_upsert(
    desired: &Desired,
    live: &[LiveRecord],
    mode: Mode,
) -> Result<UpsertPlan, Refusal> {
    let name = &desired.name;
    let live_ns = live_at(live, name, RecordKind::Ns);
    let live_ds = live_at(live, name, RecordKind::Ds);
    for record in [live_ns, live_ds].into_iter().flatten() {
        if record.special {
            return Err(Refusal::Unmanageable {
                record: record.describe(),
            });
        }
    }

    let outcome = match mode {
        Mode::Converge => UpsertOutcome::Updated,
        Mode::Create {
            on_conflict,
            allow_occluded_records,
        } => check_create(
            desired,
            live,
            (live_ns, live_ds),
            on_conflict,
            allow_occluded_records,
        )?,
    };

    let ttl = i64::from(desired.ttl);
    let mut changes = Vec::with_capacity(2);
    // A stale DS goes first: Route 53 wants the DS gone before the NS it refers to changes.
    if let (Some(ds), Some(stale)) = (&desired.ds, live_ds)
        && ds.is_empty()
    {
        changes.push(Change {
            action: RecordAction::Delete,
            name: name.clone(),
            kind: RecordKind::Ds,
            ttl: stale.ttl.unwrap_or(ttl),
            values: stale.values.clone(),
        });
    }
    changes.push(Change {
        action: RecordAction::Upsert,
        name: name.clone(),
        kind: RecordKind::Ns,
        ttl,
        values: fqdn_values(&desired.name_servers),
    });
    if let Some(ds) = &desired.ds
        && !ds.is_empty()
    {
        changes.push(Change {
            action: RecordAction::Upsert,
            name: name.clone(),
            kind: RecordKind::Ds,
            ttl,
            values: ds.clone(),
        });
    }
    changes.retain(|change| !already_live(change, live));
    let outcome = match outcome {
        UpsertOutcome::Updated if changes.is_empty() => UpsertOutcome::Unchanged,
        other => other,
    };
    Ok(UpsertPlan { changes, outcome })
}

/// An UPSERT the parent already holds exactly: same name, type, TTL and values.
fn already_live(change: &Change, live: &[LiveRecord]) -> bool {
    change.action == RecordAction::Upsert
        && live_at(live, &change.name, change.kind).is_some_and(|record| {
            !record.special
                && record.ttl == Some(change.ttl)
                && same_values(&record.values, &change.values)
        })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeletePlan {
    /// No NS record at the name: nothing to do.
    Absent,
    /// The NS record now points at other name servers than the child's: someone else owns it.
    Foreign { live_values: Vec<String> },
    /// Delete these, DS first, with their exact live TTL and values.
    Delete(Vec<Change>),
}

/// Plans a Delete. `child_name_servers` is `None` when the child zone can no longer be read
/// (deleted, or its role is gone), in which case the record at our identity is taken as ours.
pub fn plan_delete(
    name: &DnsName,
    live: &[LiveRecord],
    child_name_servers: Option<&[String]>,
    manage_ds: bool,
) -> DeletePlan {
    let Some(ns) = live_at(live, name, RecordKind::Ns).filter(|r| !r.special) else {
        return DeletePlan::Absent;
    };
    if let Some(child) = child_name_servers
        && !same_values(&ns.values, child)
    {
        return DeletePlan::Foreign {
            live_values: ns.values.clone(),
        };
    }
    let mut changes = Vec::with_capacity(2);
    if manage_ds && let Some(ds) = live_at(live, name, RecordKind::Ds).filter(|r| !r.special) {
        changes.push(exact_delete(ds, RecordKind::Ds));
    }
    changes.push(exact_delete(ns, RecordKind::Ns));
    DeletePlan::Delete(changes)
}

fn exact_delete(record: &LiveRecord, kind: RecordKind) -> Change {
    Change {
        action: RecordAction::Delete,
        name: record.name.clone(),
        kind,
        ttl: record.ttl.unwrap_or(0),
        values: record.values.clone(),
    }
}

#[cfg(test)]
#[path = "tests/plan.rs"]
mod tests;
