//! The batch's writes: the planned requests packed into few change batches, a refused batch split
//! until the refused requests are isolated, one INSYNC wait per change batch.

use super::{Item, Plan, Report, nothing, props};
use crate::domain::batch::{BatchLimits, halves, pack, shrink, throttled_budget};
use crate::domain::model::{Change, RecordKind, SubmittedChange, Zone};
use crate::ports::{AdapterError, Connector, ParentZoneStore};
use crate::usecase::{
    Action, Context, Failure, Outcome, change_failure, changed_nothing, delegate,
};

/// How many times Route 53 may throttle a call of several requests before it is made smaller: a
/// call with more changes than the change-throughput bucket holds would otherwise be throttled
/// until the deadline. One request alone waits (as in the direct mode).
const THROTTLED_TRIES_BEFORE_SHRINKING: u32 = 2;

/// Writes the planned requests in as few calls as the limits allow; a refused call is split in
/// halves until the requests Route 53 refuses are isolated, and a call throttled past its tries
/// makes every remaining call at most half as large. Returns the items whose record changed
/// under them (to be planned again on their own).
pub(super) async fn write_all<C: Connector>(
    cx: &Context<'_, C>,
    parent: &C::Parent,
    zone: &Zone,
    items: &mut [Item],
    plans: &[Plan],
    report: &mut Report,
) -> Vec<usize> {
    let mut stale = Vec::new();
    // Each plan's changes, by its index in `plans`: what the calls below name.
    let all: Vec<&[Change]> = plans.iter().map(|p| p.changes.as_slice()).collect();
    // A stack of calls: the next one last.
    let mut queue: Vec<Vec<usize>> = first_calls(cx, items, plans, &all)
        .into_iter()
        .rev()
        .collect();
    while let Some(call) = queue.pop() {
        if call.is_empty() {
            continue;
        }
        let changes: Vec<Change> = call
            .iter()
            .flat_map(|&i| plans[i].changes.iter().cloned())
            .collect();
        for &i in &call {
            items[plans[i].item].progress.writing();
        }
        report.change_calls += 1;
        match submit(parent, zone, &changes, call.len()).await {
            Ok(change) => {
                report.changes_written += changes.len();
                let synced = sync(cx, parent, &change).await;
                for &i in &call {
                    let item = &items[plans[i].item];
                    items[plans[i].item].result =
                        Some(outcome_of(&plans[i], item, &change.id, &synced));
                }
            }
            Err(AdapterError::Throttled(why)) => {
                let budget = throttled_budget(changes.len());
                tracing::warn!(%why, changes = changes.len(), budget, "Route 53 kept throttling a change batch: the remaining ones are made smaller");
                report.throttle_shrinks += 1;
                for &i in &call {
                    items[plans[i].item].progress.refused();
                }
                let remaining = std::iter::once(call).chain(queue.drain(..).rev()).collect();
                let limits = BatchLimits::with_change_budget(budget);
                queue = shrink(remaining, &all, &limits).into_iter().rev().collect();
            }
            Err(e) if changed_nothing(&e) && call.len() > 1 => {
                for &i in &call {
                    items[plans[i].item].progress.refused();
                }
                let (a, b) = halves(&call);
                queue.push(b);
                queue.push(a);
            }
            Err(e) => {
                let index = plans[call[0]].item;
                if changed_nothing(&e) {
                    items[index].progress.refused();
                }
                if matches!(e, AdapterError::Conflict(_)) && call.len() == 1 {
                    stale.push(index);
                    continue;
                }
                for &i in &call {
                    items[plans[i].item].result = Some(Err(change_failure(e.clone(), &zone.id)));
                }
            }
        }
    }
    stale
}

/// The calls to make, in order, packed under the limits and the configured budget. A request
/// whose records are already as desired is answered here without a call; one too large for any
/// call fails here.
fn first_calls<C: Connector>(
    cx: &Context<'_, C>,
    items: &mut [Item],
    plans: &[Plan],
    all: &[&[Change]],
) -> Vec<Vec<usize>> {
    for plan in plans.iter().filter(|p| p.changes.is_empty()) {
        let item = &items[plan.item];
        items[plan.item].result = Some(outcome_of(plan, item, "", &Ok(())));
    }
    let requests: Vec<(usize, &[Change])> = all
        .iter()
        .enumerate()
        .filter(|(_, changes)| !changes.is_empty())
        .map(|(i, changes)| (i, *changes))
        .collect();
    let limits = BatchLimits::with_change_budget(cx.config.max_changes_per_batch);
    let packed = pack(&requests, &limits);
    for i in packed.too_large {
        items[plans[i].item].result = Some(Err(Failure::Aws(AdapterError::Other(
            "the request's changes exceed Route 53's limits for one change batch".into(),
        ))));
    }
    packed.calls
}

/// One change batch for `requests` requests: several give up after a few throttled tries (to be
/// made smaller), one alone waits until the deadline.
async fn submit<P: ParentZoneStore>(
    parent: &P,
    zone: &Zone,
    changes: &[Change],
    requests: usize,
) -> Result<SubmittedChange, AdapterError> {
    let comment = format!("subdomain-delegation: a batch of {requests} requests");
    if requests > 1 {
        let tries = THROTTLED_TRIES_BEFORE_SHRINKING;
        parent
            .change_unless_throttled(&zone.id, changes, &comment, tries)
            .await
    } else {
        parent.change(&zone.id, changes, &comment).await
    }
}

/// Waits once for a call's INSYNC; `Err` with why, for every request waiting on it.
async fn sync<C: Connector>(
    cx: &Context<'_, C>,
    parent: &C::Parent,
    change: &SubmittedChange,
) -> Result<(), String> {
    if change.insync {
        return Ok(());
    }
    match parent
        .wait_insync(&change.id, cx.progress.wait_budget())
        .await
    {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!(
            "the change {} was written but was not INSYNC before the deadline; retry the stack operation, or set WaitForSync to false",
            change.id
        )),
        Err(e) => Err(e.to_string()),
    }
}

fn outcome_of(
    plan: &Plan,
    item: &Item,
    change_id: &str,
    synced: &Result<(), String>,
) -> Result<Outcome, Failure> {
    let props = props(item);
    let Some((child, desired, outcome)) = &plan.upsert else {
        if let Err(why) = synced {
            tracing::warn!(%why, "the deletion was accepted but not INSYNC before the deadline");
        }
        let action = if plan.changes.iter().any(|c| c.kind == RecordKind::Ds) {
            Action::DeletedNsAndDs
        } else {
            Action::Deleted
        };
        return Ok(nothing(plan.identity.to_string(), action));
    };
    if let (true, Err(why)) = (props.wait_for_sync, synced) {
        return Err(Failure::Aws(AdapterError::Other(why.clone())));
    }
    Ok(delegate::delegated(
        &plan.identity,
        child,
        desired,
        props,
        change_id,
        *outcome,
    ))
}
