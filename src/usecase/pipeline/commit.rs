//! The commit phase (docs/design.md, "Pipeline"): the planned changes packed into as few change
//! batches as Route 53's limits and the change budget allow; a refused call split in halves until
//! the refused requests are isolated; a call throttled past its tries making every remaining
//! call smaller; one INSYNC wait per call, when a request in it asked to wait; and a request
//! whose changes came back stale (someone changed the records since they were read) read and
//! planned again.

use super::answer::{delegated, deleted};
use super::plan::{Intent, Member, Opened, Step, plan};
use super::{Item, Report};
use crate::domain::batch::{BatchLimits, apply, halves, pack, shrink, throttled_budget};
use crate::domain::model::{Change, LiveRecord, SubmittedChange, Zone};
use crate::domain::plan::UpsertOutcome;
use crate::ports::{AdapterError, Connector, ErrorKind, ParentZoneStore};
use crate::usecase::records;
use crate::usecase::{Context, Failure, Outcome, change_failure, changed_nothing};
use std::time::Duration;

/// How many times Route 53 may throttle a call of several requests before it is made smaller: a
/// call with more changes than the change-throughput bucket holds would otherwise be throttled
/// until the deadline. One request alone waits.
const THROTTLED_TRIES_BEFORE_SHRINKING: u32 = 2;
/// How many times a request is planned and written when its changes keep coming back stale.
const ATTEMPTS: u32 = 3;

/// A member's planned changes, waiting to be written.
struct Pending {
    /// The member's index in the round.
    member: usize,
    changes: Vec<Change>,
    planned: Option<UpsertOutcome>,
}

/// Plans, writes and waits for the group's members; plans again what came back stale.
pub(super) async fn commit<C: Connector>(
    cx: &Context<'_, C>,
    opened: Opened<C::Parent>,
    items: &mut [Item],
    report: &mut Report,
) {
    let Opened {
        parent,
        zone,
        mut view,
        members,
    } = opened;
    let mut round = members;
    for attempt in 1..=ATTEMPTS {
        let pending = plan_round(&round, items, &mut view);
        let writer = Writer {
            cx,
            parent: &parent,
            zone: &zone,
        };
        let stale = writer.write_all(&round, &pending, items, report).await;
        if stale.is_empty() {
            return;
        }
        let mut again = Vec::new();
        let mut taken: Vec<Option<Member>> = round.into_iter().map(Some).collect();
        for (index, why) in stale {
            let Some(member) = taken[index].take() else {
                continue;
            };
            if attempt == ATTEMPTS {
                items[member.item].result = Some(Err(change_failure(why, &zone.id)));
            } else {
                tracing::warn!(%why, attempt, name = %member.identity.name, "the records changed while writing them; reading them again");
                again.push(member);
            }
        }
        let names = again.iter().map(|m| m.identity.name.clone()).collect();
        view = match records::at_and_below(&parent, &zone.id, names).await {
            Ok(view) => view,
            Err(e) => {
                for member in again {
                    items[member.item].result = Some(Err(Failure::Aws(e.clone())));
                }
                return;
            }
        };
        round = again;
    }
}

/// Plans every member in order against the evolving view; answers those with nothing to write.
fn plan_round(round: &[Member], items: &mut [Item], view: &mut Vec<LiveRecord>) -> Vec<Pending> {
    let mut pending = Vec::new();
    for (index, member) in round.iter().enumerate() {
        match plan(member, &items[member.item], view) {
            Step::Answer(result) => items[member.item].result = Some(result),
            Step::Write { changes, planned } => {
                apply(view, &changes);
                pending.push(Pending {
                    member: index,
                    changes,
                    planned,
                });
            }
        }
    }
    pending
}

/// Writes one group's changes to its parent zone.
struct Writer<'a, 'c, C: Connector> {
    cx: &'a Context<'c, C>,
    parent: &'a C::Parent,
    zone: &'a Zone,
}

/// How a call's INSYNC wait ended: `Ok(None)` when nobody waited or it was INSYNC, else the time
/// waited in vain or the error.
type Synced = Result<Option<Duration>, AdapterError>;

impl<C: Connector> Writer<'_, '_, C> {
    /// Writes the pending changes in as few calls as the limits allow; returns the round's
    /// members whose changes came back stale, with why.
    async fn write_all(
        &self,
        round: &[Member],
        pending: &[Pending],
        items: &mut [Item],
        report: &mut Report,
    ) -> Vec<(usize, AdapterError)> {
        let mut stale = Vec::new();
        let all: Vec<&[Change]> = pending.iter().map(|p| p.changes.as_slice()).collect();
        // A stack of calls: the next one last.
        let mut queue: Vec<Vec<usize>> = self.first_calls(round, pending, items, &all);
        queue.reverse();
        while let Some(call) = queue.pop() {
            if call.is_empty() {
                continue;
            }
            let item_of = |i: usize| round[pending[i].member].item;
            let changes: Vec<Change> = call
                .iter()
                .flat_map(|&i| pending[i].changes.iter().cloned())
                .collect();
            call.iter()
                .for_each(|&i| items[item_of(i)].progress.writing());
            report.change_calls += 1;
            let comment = match call.as_slice() {
                [one] => items[item_of(*one)].request.change_comment(),
                _ => format!("subdomain-delegation: a batch of {} requests", call.len()),
            };
            let result = self.submit(&changes, &comment, call.len()).await;
            if result.as_ref().is_err_and(changed_nothing) {
                call.iter()
                    .for_each(|&i| items[item_of(i)].progress.refused());
            }
            match result {
                Ok(change) => {
                    report.changes_written += changes.len();
                    let waits = call
                        .iter()
                        .any(|&i| round[pending[i].member].props.wait_for_sync);
                    let synced = self.sync(&change, waits).await;
                    for &i in &call {
                        let member = &round[pending[i].member];
                        let item = &items[member.item];
                        let result = answer(member, &pending[i], item, &change, &synced);
                        items[member.item].result = Some(result);
                    }
                }
                Err(why) if why.is(&ErrorKind::Throttled) && call.len() > 1 => {
                    let budget = throttled_budget(changes.len());
                    tracing::warn!(%why, changes = changes.len(), budget, "Route 53 kept throttling a change batch: the remaining ones are made smaller");
                    report.throttle_shrinks += 1;
                    let remaining = std::iter::once(call).chain(queue.drain(..).rev()).collect();
                    let limits = BatchLimits::with_change_budget(budget);
                    queue = shrink(remaining, &all, &limits).into_iter().rev().collect();
                }
                Err(e) if changed_nothing(&e) && call.len() > 1 => {
                    let (a, b) = halves(&call);
                    queue.push(b);
                    queue.push(a);
                }
                Err(e) if e.is(&ErrorKind::Stale) && call.len() == 1 => {
                    stale.push((pending[call[0]].member, e));
                }
                Err(e) => {
                    for &i in &call {
                        let failure = change_failure(e.clone(), &self.zone.id);
                        items[item_of(i)].result = Some(Err(failure));
                    }
                }
            }
        }
        stale
    }

    /// The calls to make, in order, packed under the limits and the configured budget; a request
    /// too large for any call fails here.
    fn first_calls(
        &self,
        round: &[Member],
        pending: &[Pending],
        items: &mut [Item],
        all: &[&[Change]],
    ) -> Vec<Vec<usize>> {
        let requests: Vec<(usize, &[Change])> = all.iter().copied().enumerate().collect();
        let limits = BatchLimits::with_change_budget(self.cx.config.max_changes_per_batch);
        let packed = pack(&requests, &limits);
        for i in packed.too_large {
            items[round[pending[i].member].item].result =
                Some(Err(Failure::Aws(AdapterError::new(
                    ErrorKind::Other,
                    "",
                    "the request's changes exceed Route 53's limits for one change batch",
                ))));
        }
        packed.calls
    }

    /// One change batch for `requests` requests (the comment names who asked, for the zone's
    /// history): several give up after a few throttled tries (to be made smaller), one alone
    /// waits until the deadline.
    async fn submit(
        &self,
        changes: &[Change],
        comment: &str,
        requests: usize,
    ) -> Result<SubmittedChange, AdapterError> {
        let zone = &self.zone.id;
        if requests > 1 {
            let tries = THROTTLED_TRIES_BEFORE_SHRINKING;
            self.parent
                .change_unless_throttled(zone, changes, comment, tries)
                .await
        } else {
            self.parent.change(zone, changes, comment).await
        }
    }

    /// Waits once for a call's INSYNC, within the time left before the guard, when a request in
    /// it asked to wait.
    async fn sync(&self, change: &SubmittedChange, waits: bool) -> Synced {
        if change.insync || !waits {
            return Ok(None);
        }
        let left = self.cx.progress.wait_budget();
        match self.parent.wait_insync(&change.id, left).await? {
            true => Ok(None),
            false => Ok(Some(left)),
        }
    }
}

/// A written member's answer: a delegation that asked to wait fails when INSYNC did not come; a
/// Delete is done once Route 53 accepted it.
fn answer(
    member: &Member,
    pending: &Pending,
    item: &Item,
    change: &SubmittedChange,
    synced: &Synced,
) -> Result<Outcome, Failure> {
    let props = &member.props;
    let waited = match synced {
        Err(e) if props.wait_for_sync => return Err(Failure::Aws(e.clone())),
        Ok(Some(left)) if props.wait_for_sync => Some(*left),
        _ => None,
    };
    match (&member.intent, pending.planned) {
        (Intent::Upsert { child, desired, .. }, Some(planned)) => match waited {
            Some(left) => Err(Failure::NotInSync {
                change: change.id.clone(),
                identity: member.identity.clone(),
                waited_secs: left.as_secs(),
            }),
            None => Ok(delegated(
                &member.identity,
                (child, desired),
                props,
                &change.id,
                planned,
            )),
        },
        _ => {
            if waited.is_some() {
                tracing::warn!(change = %change.id, "the deletion was accepted but not INSYNC before the deadline");
            }
            Ok(deleted(&item.request, &pending.changes))
        }
    }
}
