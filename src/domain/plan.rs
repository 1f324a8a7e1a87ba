//! The pure plan: desired delegation + live state of the parent zone → the change batch to send,
//! or a refusal that says why nothing may be written. No IO here; every rule is tested with values.

use super::name::{DnsName, same_values};
use super::properties::{DnssecMode, OnConflict, ZoneId};
use std::fmt;

/// A hosted zone as the adapters read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    pub id: ZoneId,
    pub name: DnsName,
    pub private: bool,
    /// The zone's delegation set (empty for private zones and some imported zones).
    pub name_servers: Vec<String>,
}

/// DNSSEC state of the child zone, as `GetDNSSEC` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnssecState {
    /// `SIGNING`, `NOT_SIGNING`, `DELETING`, `ACTION_NEEDED`, ...
    pub serve_signature: String,
    pub key_signing_keys: Vec<KeySigningKey>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySigningKey {
    pub name: String,
    /// `ACTIVE`, `INACTIVE`, `ACTION_NEEDED`, ...
    pub status: String,
    pub ds_record: String,
}

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
    let signing = state.serve_signature == "SIGNING";
    let mut ds: Vec<String> = if signing {
        state
            .key_signing_keys
            .iter()
            .filter(|k| k.status == "ACTIVE" && !k.ds_record.trim().is_empty())
            .map(|k| k.ds_record.trim().to_owned())
            .collect()
    } else {
        Vec::new()
    };
    ds.sort();
    ds.dedup();
    if mode == DnssecMode::Required && ds.is_empty() {
        return Err(Refusal::DnssecRequired {
            status: state.serve_signature.clone(),
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

/// A record set in the parent zone, at or below the delegated name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveRecord {
    pub name: DnsName,
    pub rtype: String,
    pub ttl: Option<i64>,
    pub values: Vec<String>,
    /// Alias target, set identifier or routing policy: a record the provider never writes.
    pub special: bool,
}

impl LiveRecord {
    fn describe(&self) -> String {
        format!("{} {}", self.name, self.rtype)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Ns,
    Ds,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Ns => "NS",
            RecordKind::Ds => "DS",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Upsert,
    Delete,
}

/// One entry of a Route 53 change batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub action: Action,
    pub name: DnsName,
    pub kind: RecordKind,
    pub ttl: i64,
    pub values: Vec<String>,
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
pub enum Outcome {
    /// Nothing was at the name.
    Created,
    /// The parent already held exactly this delegation (a redelivered request, a hand-made record).
    Adopted,
    /// Another delegation stood at the name and `OnConflict=replace` overwrote it.
    Replaced,
    /// An Update converged the record it owns.
    Updated,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Adopted => "adopted",
            Outcome::Replaced => "replaced",
            Outcome::Updated => "updated",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpsertPlan {
    /// Always non-empty: the desired state is UPSERTed even when it already holds, so a redelivered
    /// request gets the same answer (Route 53 treats an identical UPSERT as a no-op).
    pub changes: Vec<Change>,
    pub outcome: Outcome,
}

/// Why the provider will not write. Each message says what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "the delegated name {name} is the parent zone's own name; the provider never touches a zone apex. Use a child zone whose name is below {name}"
    )]
    Apex { name: DnsName },
    #[error(
        "the delegated name {name} is not below the parent zone {parent}; use a child zone whose name ends in .{parent}"
    )]
    NotBelow { name: DnsName, parent: DnsName },
    #[error(
        "the parent zone {id} ({name}) is a private hosted zone; delegations need a public parent zone"
    )]
    ParentPrivate { id: ZoneId, name: DnsName },
    #[error(
        "the child zone {id} ({name}) is a private hosted zone; delegate to a public hosted zone"
    )]
    ChildPrivate { id: ZoneId, name: DnsName },
    #[error(
        "the child zone {id} ({name}) has no name servers; it cannot be delegated to. Use a public hosted zone created by Route 53"
    )]
    NoNameServers { id: ZoneId, name: DnsName },
    #[error(
        "DelegatedName is {given} but the child zone {id} is {actual}; fix ChildHostedZoneId or DelegatedName"
    )]
    DelegatedNameMismatch {
        given: DnsName,
        actual: DnsName,
        id: ZoneId,
    },
    #[error(
        "the parent zone already has {kind} records at {name} with other values ({existing}); it was left untouched. Remove them, or set OnConflict to replace"
    )]
    Conflict {
        name: DnsName,
        kind: &'static str,
        existing: String,
    },
    #[error(
        "the parent zone holds records at or below {name} that the delegation would hide: {records}. Move or delete them, or set AllowOccludedRecords to true"
    )]
    Occluded { name: DnsName, records: String },
    #[error(
        "Dnssec is required but the child zone is {status} with {keys}; enable DNSSEC signing with an active key-signing key in the child zone, or set Dnssec to auto"
    )]
    DnssecRequired { status: String, keys: String },
    #[error(
        "the parent zone holds {record} as an alias or with a routing policy; the provider manages only simple NS and DS records. Delete it by hand first"
    )]
    Unmanageable { record: String },
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
    live.iter()
        .find(|r| &r.name == name && r.rtype == kind.as_str())
}

fn fqdn_values(values: &[String]) -> Vec<String> {
    values
        .iter()
        .map(|v| {
            let v = v.trim().to_ascii_lowercase();
            if v.ends_with('.') { v } else { format!("{v}.") }
        })
        .collect()
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

    let mut outcome = match mode {
        Mode::Converge => Outcome::Updated,
        Mode::Create { .. } if live_ns.is_none() => Outcome::Created,
        Mode::Create { .. } => Outcome::Adopted,
    };

    if let Mode::Create {
        on_conflict,
        allow_occluded_records,
    } = mode
    {
        if !allow_occluded_records {
            let hidden: Vec<String> = live
                .iter()
                .filter(|r| {
                    r.name.is_strictly_below(name)
                        || (&r.name == name && r.rtype != "NS" && r.rtype != "DS")
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
                        kind: if conflict.rtype == "NS" { "NS" } else { "DS" },
                        existing: list_for_message(&conflict.values),
                    });
                }
                OnConflict::Replace => outcome = Outcome::Replaced,
            }
        }
    }

    let ttl = i64::from(desired.ttl);
    let mut changes = Vec::with_capacity(2);
    // A stale DS goes first: Route 53 wants the DS gone before the NS it refers to changes.
    if let (Some(ds), Some(stale)) = (&desired.ds, live_ds)
        && ds.is_empty()
    {
        changes.push(Change {
            action: Action::Delete,
            name: name.clone(),
            kind: RecordKind::Ds,
            ttl: stale.ttl.unwrap_or(ttl),
            values: stale.values.clone(),
        });
    }
    changes.push(Change {
        action: Action::Upsert,
        name: name.clone(),
        kind: RecordKind::Ns,
        ttl,
        values: fqdn_values(&desired.name_servers),
    });
    if let Some(ds) = &desired.ds
        && !ds.is_empty()
    {
        changes.push(Change {
            action: Action::Upsert,
            name: name.clone(),
            kind: RecordKind::Ds,
            ttl,
            values: ds.clone(),
        });
    }
    Ok(UpsertPlan { changes, outcome })
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
        action: Action::Delete,
        name: record.name.clone(),
        kind,
        ttl: record.ttl.unwrap_or(0),
        values: record.values.clone(),
    }
}

/// Joins names for a message, keeping it short when there are many.
fn list_for_message(items: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut out = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        out.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    out
}

/// `<parent zone id>/<delegated name>`: changes only when the parent zone or the name changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub parent_zone_id: ZoneId,
    pub name: DnsName,
}

impl Identity {
    /// Parses a PhysicalResourceId this provider wrote; anything else (a failed Create's marker, an
    /// ID CloudFormation made up after a cancelled Create) is `None`.
    pub fn parse(physical_id: &str) -> Option<Self> {
        let (zone, name) = physical_id.split_once('/')?;
        let parent_zone_id = ZoneId::parse(zone)?;
        let name = DnsName::parse(name).ok()?;
        // Only the exact form we write: a zone ID prefix and an already normalised name.
        (name.as_str() == physical_id.split_once('/')?.1).then_some(Identity {
            parent_zone_id,
            name,
        })
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.parent_zone_id, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> DnsName {
        DnsName::parse(s).unwrap()
    }
    fn z(s: &str) -> ZoneId {
        ZoneId::parse(s).unwrap()
    }
    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }
    const NS: [&str; 2] = ["ns-1.awsdns-01.com", "ns-2.awsdns-02.net"];
    const OTHER_NS: [&str; 1] = ["ns1.elsewhere.org."];

    fn zone(id: &str, name: &str, private: bool, ns: &[&str]) -> Zone {
        Zone {
            id: z(id),
            name: n(name),
            private,
            name_servers: strings(ns),
        }
    }
    fn record(name: &str, rtype: &str, ttl: i64, values: &[&str]) -> LiveRecord {
        LiveRecord {
            name: n(name),
            rtype: rtype.into(),
            ttl: Some(ttl),
            values: strings(values),
            special: false,
        }
    }
    fn desired(ds: Option<&[&str]>) -> Desired {
        Desired {
            name: n("dev.example.com"),
            name_servers: strings(&NS),
            ds: ds.map(strings),
            ttl: 300,
        }
    }
    const CREATE: Mode = Mode::Create {
        on_conflict: OnConflict::Fail,
        allow_occluded_records: false,
    };
    const CREATE_REPLACE: Mode = Mode::Create {
        on_conflict: OnConflict::Replace,
        allow_occluded_records: false,
    };

    #[test]
    fn names_are_checked() {
        let parent = zone("ZP", "example.com", false, &["ns-p"]);
        let child = zone("ZC", "dev.example.com", false, &NS);
        assert_eq!(check_names(&parent, &child, None), Ok(n("dev.example.com")));
        assert_eq!(
            check_names(&parent, &child, Some(&n("DEV.example.com."))),
            Ok(n("dev.example.com"))
        );
        assert!(matches!(
            check_names(&parent, &child, Some(&n("test.example.com"))),
            Err(Refusal::DelegatedNameMismatch { .. })
        ));
        let apex = zone("ZC", "example.com", false, &NS);
        assert!(matches!(
            check_names(&parent, &apex, None),
            Err(Refusal::Apex { .. })
        ));
        let outside = zone("ZC", "badexample.com", false, &NS);
        assert!(matches!(
            check_names(&parent, &outside, None),
            Err(Refusal::NotBelow { .. })
        ));
        let above = zone("ZC", "com", false, &NS);
        assert!(matches!(
            check_names(&parent, &above, None),
            Err(Refusal::NotBelow { .. })
        ));
        let private_child = zone("ZC", "dev.example.com", true, &[]);
        assert!(matches!(
            check_names(&parent, &private_child, None),
            Err(Refusal::ChildPrivate { .. })
        ));
        let private_parent = zone("ZP", "example.com", true, &[]);
        assert!(matches!(
            check_names(&private_parent, &child, None),
            Err(Refusal::ParentPrivate { .. })
        ));
        let bare = zone("ZC", "dev.example.com", false, &[]);
        assert!(matches!(
            check_names(&parent, &bare, None),
            Err(Refusal::NoNameServers { .. })
        ));
        let msg = check_names(&parent, &apex, None).unwrap_err().to_string();
        assert!(msg.contains("never touches a zone apex"), "{msg}");
    }

    #[test]
    fn create_on_empty_name_upserts_ns_with_fqdn_values() {
        let plan = plan_upsert(&desired(Some(&[])), &[], CREATE).unwrap();
        assert_eq!(plan.outcome, Outcome::Created);
        assert_eq!(
            plan.changes,
            vec![Change {
                action: Action::Upsert,
                name: n("dev.example.com"),
                kind: RecordKind::Ns,
                ttl: 300,
                values: strings(&["ns-1.awsdns-01.com.", "ns-2.awsdns-02.net."]),
            }]
        );
    }

    #[test]
    fn same_values_are_adopted_in_any_order_and_case() {
        let live = [record(
            "dev.example.com",
            "NS",
            172800,
            &["NS-2.awsdns-02.net.", "ns-1.awsdns-01.com."],
        )];
        let plan = plan_upsert(&desired(None), &live, CREATE).unwrap();
        assert_eq!(plan.outcome, Outcome::Adopted);
        assert_eq!(plan.changes.len(), 1);
        assert_eq!(plan.changes[0].ttl, 300);
    }

    #[test]
    fn other_ns_values_conflict_unless_replace() {
        let live = [record("dev.example.com", "NS", 300, &OTHER_NS)];
        let refusal = plan_upsert(&desired(None), &live, CREATE).unwrap_err();
        assert_eq!(
            refusal,
            Refusal::Conflict {
                name: n("dev.example.com"),
                kind: "NS",
                existing: "ns1.elsewhere.org.".into()
            }
        );
        assert!(refusal.to_string().contains("set OnConflict to replace"));
        let plan = plan_upsert(&desired(None), &live, CREATE_REPLACE).unwrap();
        assert_eq!(plan.outcome, Outcome::Replaced);
        assert_eq!(plan.changes[0].action, Action::Upsert);
    }

    #[test]
    fn converge_overwrites_without_conflict_check() {
        let live = [
            record("dev.example.com", "NS", 300, &OTHER_NS),
            record("a.dev.example.com", "A", 300, &["192.0.2.1"]),
        ];
        let plan = plan_upsert(&desired(None), &live, Mode::Converge).unwrap();
        assert_eq!(plan.outcome, Outcome::Updated);
        assert_eq!(plan.changes.len(), 1);
    }

    #[test]
    fn occluded_records_are_refused_and_named() {
        let live = [
            record("dev.example.com", "TXT", 300, &["\"x\""]),
            record("api.dev.example.com", "A", 300, &["192.0.2.1"]),
        ];
        let refusal = plan_upsert(&desired(None), &live, CREATE).unwrap_err();
        let msg = refusal.to_string();
        assert!(
            msg.contains("dev.example.com TXT, api.dev.example.com A"),
            "{msg}"
        );
        assert!(msg.contains("AllowOccludedRecords"));
        let allow = Mode::Create {
            on_conflict: OnConflict::Fail,
            allow_occluded_records: true,
        };
        assert_eq!(
            plan_upsert(&desired(None), &live, allow).unwrap().outcome,
            Outcome::Created
        );
    }

    #[test]
    fn many_occluded_records_are_summarised() {
        let live: Vec<LiveRecord> = (0..12)
            .map(|i| record(&format!("h{i}.dev.example.com"), "A", 60, &["192.0.2.1"]))
            .collect();
        let msg = plan_upsert(&desired(None), &live, CREATE)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("and 7 more"), "{msg}");
    }

    #[test]
    fn special_records_are_never_managed() {
        let mut alias = record("dev.example.com", "NS", 300, &NS);
        alias.special = true;
        assert!(matches!(
            plan_upsert(&desired(None), &[alias.clone()], CREATE_REPLACE),
            Err(Refusal::Unmanageable { .. })
        ));
        assert_eq!(
            plan_delete(&n("dev.example.com"), &[alias], None, true),
            DeletePlan::Absent
        );
    }

    #[test]
    fn ds_follows_the_desired_state() {
        let ds = "12345 13 2 ABCDEF";
        let plan = plan_upsert(&desired(Some(&[ds])), &[], CREATE).unwrap();
        assert_eq!(
            plan.changes
                .iter()
                .map(|c| (c.action, c.kind))
                .collect::<Vec<_>>(),
            vec![
                (Action::Upsert, RecordKind::Ns),
                (Action::Upsert, RecordKind::Ds)
            ]
        );
        assert_eq!(plan.changes[1].ttl, 300);
        assert_eq!(plan.changes[1].values, strings(&[ds]));

        // Signing turned off: the DS the provider wrote is removed, with its exact live values.
        let live = [
            record("dev.example.com", "NS", 300, &NS),
            record("dev.example.com", "DS", 600, &[ds]),
        ];
        let plan = plan_upsert(&desired(Some(&[])), &live, Mode::Converge).unwrap();
        assert_eq!(
            plan.changes[0],
            Change {
                action: Action::Delete,
                name: n("dev.example.com"),
                kind: RecordKind::Ds,
                ttl: 600,
                values: strings(&[ds])
            }
        );
        assert_eq!(plan.changes[1].kind, RecordKind::Ns);

        // Dnssec=off: a DS at the name is left alone.
        let plan = plan_upsert(&desired(None), &live, Mode::Converge).unwrap();
        assert_eq!(plan.changes.len(), 1);

        // Create against a different DS conflicts like NS does.
        let refusal = plan_upsert(&desired(Some(&["999 13 2 FF"])), &live, CREATE).unwrap_err();
        assert!(matches!(refusal, Refusal::Conflict { kind: "DS", .. }));
    }

    #[test]
    fn delete_plans() {
        let name = n("dev.example.com");
        assert_eq!(plan_delete(&name, &[], None, true), DeletePlan::Absent);
        let live = [
            record("dev.example.com", "DS", 600, &["1 13 2 AA"]),
            record("dev.example.com", "NS", 3600, &NS),
            record("x.dev.example.com", "A", 60, &["192.0.2.1"]),
        ];
        let child = strings(&NS);
        let DeletePlan::Delete(changes) = plan_delete(&name, &live, Some(&child), true) else {
            panic!("expected a delete");
        };
        assert_eq!(changes.len(), 2);
        assert_eq!((changes[0].kind, changes[0].ttl), (RecordKind::Ds, 600));
        assert_eq!((changes[1].kind, changes[1].ttl), (RecordKind::Ns, 3600));
        assert!(changes.iter().all(|c| c.action == Action::Delete));

        let DeletePlan::Delete(changes) = plan_delete(&name, &live, None, false) else {
            panic!("expected a delete");
        };
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].values, strings(&NS));

        let elsewhere = strings(&OTHER_NS);
        assert_eq!(
            plan_delete(&name, &live, Some(&elsewhere), true),
            DeletePlan::Foreign {
                live_values: strings(&NS)
            }
        );
    }

    #[test]
    fn identities_round_trip_and_reject_foreign_ids() {
        let id = Identity {
            parent_zone_id: z("Z0ABC123"),
            name: n("dev.example.com"),
        };
        assert_eq!(id.to_string(), "Z0ABC123/dev.example.com");
        assert_eq!(Identity::parse("Z0ABC123/dev.example.com"), Some(id));
        for foreign in [
            "failed-create:1234-5678",
            "",
            "Z0ABC123",
            "Z0ABC123/",
            "/dev.example.com",
            "z0abc/dev.example.com",
            "Z0ABC123/Dev.Example.com",
            "Z0ABC123/dev.example.com.",
            "mystack-MyDelegation-1A2B3C4D5E6F",
            "2026/11/27/[$LATEST]abcdef",
        ] {
            assert_eq!(Identity::parse(foreign), None, "{foreign}");
        }
    }
}
