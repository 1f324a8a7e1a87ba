//! The audit (docs/design.md, "Audit"): every delegation of the chosen parent zones, probed over
//! DNS and judged; optionally, the dangling ones removed after a second probe agrees. A runner
//! (the CLI, the scheduled event) chooses the zones and reports; the verdicts are
//! `domain::verdict`'s, the removal rules `domain::removal`'s.

use super::findings::Published;
use super::probe::probe;
use super::records;
use crate::domain::model::Zone;
use crate::domain::name::DnsName;
use crate::domain::plan::the_public_zone;
use crate::domain::properties::{ParentZoneRef, ZoneId};
use crate::domain::removal::{self, Keep};
use crate::domain::verdict::{Delegation, Evidence, Judgement, Verdict, delegations, judge};
use crate::domain::warning::{Warning, warnings};
use crate::ports::{AdapterError, DnsProber, ErrorKind, ParentZoneStore, ZoneLister};
use futures_util::StreamExt;
use std::time::Duration;

/// Delegations probed at once.
pub const DEFAULT_CONCURRENCY: usize = 64;
/// The pause between the two probes a removal needs.
pub const DEFAULT_RECHECK_AFTER: Duration = Duration::from_secs(60);

/// What to audit and how.
#[derive(Clone, Debug)]
pub struct AuditRequest {
    /// The parent zones; empty: every public zone the credentials can list.
    pub zones: Vec<ParentZoneRef>,
    pub concurrency: usize,
    /// Remove the dangling delegations (opt-in).
    pub removal: Option<RemovalRequest>,
}

#[derive(Clone, Debug)]
pub struct RemovalRequest {
    /// IAM `StringLike` patterns of the names the provider may write; nothing else is removed.
    pub allowed_names: Vec<String>,
    /// The pause between the first and the second probe.
    pub recheck_after: Duration,
    /// The change batch's comment.
    pub comment: String,
}

/// One delegation, probed and judged.
#[derive(Clone, Debug)]
pub struct Audited {
    pub delegation: Delegation,
    pub evidence: Evidence,
    pub judgement: Judgement,
    /// What the scanners flag beside the verdict (docs/design.md, "Audit").
    pub warnings: Vec<Warning>,
}

/// What became of one dangling delegation when removal was asked for.
#[derive(Clone, Debug)]
pub struct RemovalOutcome {
    pub zone_id: ZoneId,
    pub name: DnsName,
    pub result: Removal,
    /// The records deleted (or that would have been), as `TYPE TTL values`.
    pub records: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Removal {
    /// Deleted; Route 53's change ID.
    Removed(String),
    /// Kept, by the rules (docs/design.md, "Audit"): why.
    Kept(String),
    /// The deletion was attempted and failed: why.
    Failed(String),
}

/// A zone that could not be audited.
#[derive(Clone, Debug)]
pub struct ZoneError {
    pub zone: String,
    pub error: AdapterError,
}

#[derive(Clone, Debug, Default)]
pub struct AuditReport {
    pub zones: Vec<Zone>,
    pub audited: Vec<Audited>,
    pub errors: Vec<ZoneError>,
    pub removals: Vec<RemovalOutcome>,
    /// What the import into Security Hub did, when it was asked for (`usecase::findings`).
    pub security_hub: Option<Published>,
}

/// What a runner hears while the audit runs (progress on a terminal, log lines).
pub trait Observer {
    /// `done` of `total` delegations of all zones probed so far.
    fn progress(&self, _done: usize, _total: usize) {}
    /// The second probe of `count` removal candidates starts after `after`.
    fn rechecking(&self, _count: usize, _after: Duration) {}
}

/// No observer.
pub struct Quiet;
impl Observer for Quiet {}

pub async fn audit<P, D, O>(
    parent: &P,
    prober: &D,
    request: &AuditRequest,
    observer: &O,
) -> AuditReport
where
    P: ParentZoneStore + ZoneLister,
    D: DnsProber,
    O: Observer,
{
    let mut report = AuditReport::default();
    let (zones, errors) = resolve_zones(parent, &request.zones).await;
    report.errors = errors;
    let mut found = Vec::new();
    for zone in &zones {
        match parent.delegation_records(&zone.id).await {
            Ok(records) => found.extend(delegations(zone, &records)),
            Err(error) => report.errors.push(ZoneError {
                zone: format!("{} ({})", zone.name, zone.id),
                error,
            }),
        }
    }
    report.zones = zones;
    report.audited = probe_all(prober, found, request.concurrency, observer).await;
    if let Some(removal) = &request.removal {
        report.removals = remove_dangling(parent, prober, &report.audited, removal, observer).await;
    }
    report
}

/// The zones by ID or name (each must be one public zone), or every public zone.
async fn resolve_zones<P: ParentZoneStore + ZoneLister>(
    parent: &P,
    refs: &[ParentZoneRef],
) -> (Vec<Zone>, Vec<ZoneError>) {
    if refs.is_empty() {
        return match parent.public_zones().await {
            Ok(zones) => (zones, Vec::new()),
            Err(error) => (
                Vec::new(),
                vec![ZoneError {
                    zone: "every public zone".into(),
                    error,
                }],
            ),
        };
    }
    let (mut zones, mut errors) = (Vec::new(), Vec::new());
    for zone_ref in refs {
        let (label, found) = match zone_ref {
            ParentZoneRef::Id(id) => (id.to_string(), parent.hosted_zone(id).await),
            ParentZoneRef::Name(name) => (
                name.to_string(),
                parent.zones_named(name).await.and_then(|all| {
                    the_public_zone(name, all)
                        .map_err(|e| AdapterError::new(ErrorKind::NotFound, "", e.to_string()))
                }),
            ),
        };
        match found {
            Ok(zone) if zone.private => errors.push(ZoneError {
                zone: label,
                error: AdapterError::new(
                    ErrorKind::Other,
                    "",
                    format!(
                        "{} ({}) is a private zone; only public zones delegate",
                        zone.name, zone.id
                    ),
                ),
            }),
            Ok(zone) if !zones.iter().any(|z: &Zone| z.id == zone.id) => zones.push(zone),
            Ok(_) => {}
            Err(error) => errors.push(ZoneError { zone: label, error }),
        }
    }
    (zones, errors)
}

async fn probe_all<D: DnsProber, O: Observer>(
    prober: &D,
    found: Vec<Delegation>,
    concurrency: usize,
    observer: &O,
) -> Vec<Audited> {
    let total = found.len();
    observer.progress(0, total);
    let mut done = 0;
    let mut audited = Vec::with_capacity(total);
    let mut stream = futures_util::stream::iter(found)
        .map(|delegation| async move {
            let evidence = probe(prober, &delegation).await;
            let judgement = judge(&delegation, &evidence);
            let warnings = warnings(&delegation, &evidence);
            Audited {
                delegation,
                evidence,
                judgement,
                warnings,
            }
        })
        .buffered(concurrency.max(1));
    while let Some(one) = stream.next().await {
        done += 1;
        observer.progress(done, total);
        audited.push(one);
    }
    audited
}

/// Removes the dangling delegations a second probe, `recheck_after` later, confirms.
async fn remove_dangling<P, D, O>(
    parent: &P,
    prober: &D,
    audited: &[Audited],
    request: &RemovalRequest,
    observer: &O,
) -> Vec<RemovalOutcome>
where
    P: ParentZoneStore,
    D: DnsProber,
    O: Observer,
{
    let mut outcomes = Vec::new();
    let mut candidates = Vec::new();
    let dangling = audited
        .iter()
        .filter(|a| a.judgement.verdict == Verdict::Dangling);
    for a in dangling {
        match removal::candidate(&a.delegation, &a.judgement, &request.allowed_names) {
            Ok(()) => candidates.push(&a.delegation),
            Err(keep) => outcomes.push(kept(&a.delegation, &keep)),
        }
    }
    if candidates.is_empty() {
        return outcomes;
    }
    observer.rechecking(candidates.len(), request.recheck_after);
    tokio::time::sleep(request.recheck_after).await;
    for delegation in candidates {
        let second = judge(delegation, &probe(prober, delegation).await);
        let outcome = match removal::confirmed(&second) {
            Ok(()) => remove_one(parent, delegation, &request.comment).await,
            Err(keep) => kept(delegation, &keep),
        };
        outcomes.push(outcome);
    }
    outcomes
}

fn kept(delegation: &Delegation, keep: &Keep) -> RemovalOutcome {
    RemovalOutcome {
        zone_id: delegation.zone_id.clone(),
        name: delegation.name.clone(),
        result: Removal::Kept(keep.to_string()),
        records: Vec::new(),
    }
}

/// Reads the live records at the name once more and deletes them with their exact values.
async fn remove_one<P: ParentZoneStore>(
    parent: &P,
    delegation: &Delegation,
    comment: &str,
) -> RemovalOutcome {
    let mut outcome = kept(delegation, &Keep::Gone);
    let live =
        match records::at_and_below(parent, &delegation.zone_id, vec![delegation.name.clone()])
            .await
        {
            Ok(live) => live,
            Err(e) => {
                outcome.result = Removal::Failed(format!("reading the live records failed: {e}"));
                return outcome;
            }
        };
    let changes = match removal::removal_changes(delegation, &live) {
        Ok(changes) => changes,
        Err(keep) => {
            outcome.result = Removal::Kept(keep.to_string());
            return outcome;
        }
    };
    outcome.records = changes
        .iter()
        .map(|c| format!("{} {} {}", c.kind, c.ttl, c.values.join(" ")))
        .collect();
    outcome.result = match parent.change(&delegation.zone_id, &changes, comment).await {
        Ok(submitted) => Removal::Removed(submitted.id),
        Err(e) => Removal::Failed(format!("Route 53 refused the deletion: {e}")),
    };
    outcome
}

#[cfg(test)]
#[path = "tests/audit.rs"]
mod tests;
