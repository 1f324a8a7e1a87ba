//! Many requests against one parent zone (docs/design.md, "Batches"): the planned changes of
//! each request applied to one evolving view of the zone, and packed into as few change batches
//! as Route 53's limits allow. Pure; the batch use case does the reading and writing.

use super::model::{Change, LiveRecord, RecordAction, RecordType};
use super::name::DnsName;

/// Route 53's limits on one ChangeResourceRecordSets call, and our own budget per call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchLimits {
    /// Change elements per call (Route 53: 100), further capped by the configured
    /// change-throughput budget.
    pub changes: usize,
    /// ResourceRecord elements per call (Route 53: 1,000; an UPSERT counts twice).
    pub records: usize,
    /// Characters of Value per call (Route 53: 32,000; an UPSERT counts twice).
    pub value_chars: usize,
}

/// Route 53's documented limits per ChangeResourceRecordSets call.
pub const ROUTE53_LIMITS: BatchLimits = BatchLimits {
    changes: 100,
    records: 1_000,
    value_chars: 32_000,
};

impl BatchLimits {
    /// Route 53's limits with at most `budget` changes per call (the change-throughput budget).
    pub fn with_change_budget(budget: usize) -> Self {
        BatchLimits {
            changes: budget.clamp(1, ROUTE53_LIMITS.changes),
            ..ROUTE53_LIMITS
        }
    }
}

/// What one request's changes weigh against the limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Weight {
    changes: usize,
    records: usize,
    value_chars: usize,
}

impl Weight {
    fn of(changes: &[Change]) -> Weight {
        changes.iter().fold(Weight::default(), |w, c| {
            let factor = if c.action == RecordAction::Upsert {
                2
            } else {
                1
            };
            Weight {
                changes: w.changes + 1,
                records: w.records + factor * c.values.len(),
                value_chars: w.value_chars
                    + factor * c.values.iter().map(|v| v.chars().count()).sum::<usize>(),
            }
        })
    }

    fn plus(self, other: Weight) -> Weight {
        Weight {
            changes: self.changes + other.changes,
            records: self.records + other.records,
            value_chars: self.value_chars + other.value_chars,
        }
    }

    fn fits(self, limits: &BatchLimits) -> bool {
        self.changes <= limits.changes
            && self.records <= limits.records
            && self.value_chars <= limits.value_chars
    }
}

/// Groups requests (by index, each with its changes kept together so a request is written whole
/// or not at all) into calls that each fit `limits`, in order. A request too large for any call
/// on its own is returned apart, in `too_large`.
pub fn pack(requests: &[(usize, &[Change])], limits: &BatchLimits) -> Packed {
    let mut calls: Vec<Vec<usize>> = Vec::new();
    let mut too_large = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut weight = Weight::default();
    for (index, changes) in requests {
        let own = Weight::of(changes);
        if !own.fits(limits) {
            too_large.push(*index);
            continue;
        }
        if !weight.plus(own).fits(limits) {
            calls.push(std::mem::take(&mut current));
            weight = Weight::default();
        }
        current.push(*index);
        weight = weight.plus(own);
    }
    if !current.is_empty() {
        calls.push(current);
    }
    Packed { calls, too_large }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Packed {
    pub calls: Vec<Vec<usize>>,
    pub too_large: Vec<usize>,
}

/// The records of `view` at and below `name`: what a single request would have read.
pub fn at_and_below(view: &[LiveRecord], name: &DnsName) -> Vec<LiveRecord> {
    view.iter()
        .filter(|r| r.name.is_at_or_below(name))
        .cloned()
        .collect()
}

/// The view as it will be once `changes` are applied, so that a later request in the batch sees
/// what an earlier one wrote.
pub fn apply(view: &mut Vec<LiveRecord>, changes: &[Change]) {
    for change in changes {
        let kind = RecordType::Managed(change.kind);
        view.retain(|r| !(r.name == change.name && r.rtype == kind));
        if change.action == RecordAction::Upsert {
            view.push(LiveRecord {
                name: change.name.clone(),
                rtype: kind,
                ttl: Some(change.ttl),
                values: change.values.clone(),
                special: false,
            });
        }
    }
}

/// The most Change elements one request writes: DS DELETE, NS UPSERT and DS UPSERT.
pub const MOST_CHANGES_PER_REQUEST: usize = 3;

/// The change budget after a call of `call_changes` Change elements was throttled beyond its
/// tries: half of it, so that the next calls fit a change-throughput bucket smaller than the
/// call, but never less than one whole request.
pub fn throttled_budget(call_changes: usize) -> usize {
    (call_changes / 2).max(MOST_CHANGES_PER_REQUEST)
}

/// The calls still to make, none larger than `limits`: a call that fits is kept as it is (so the
/// halves of a refused call stay apart), a larger one is packed again, in order. `changes[i]` is
/// request `i`'s changes. A request too large on its own keeps a call of its own.
pub fn shrink(
    calls: Vec<Vec<usize>>,
    changes: &[&[Change]],
    limits: &BatchLimits,
) -> Vec<Vec<usize>> {
    let mut out = Vec::with_capacity(calls.len());
    for call in calls {
        // Packing a call on its own keeps it whole when it fits.
        let requests: Vec<(usize, &[Change])> = call.iter().map(|&i| (i, changes[i])).collect();
        let packed = pack(&requests, limits);
        out.extend(packed.calls);
        out.extend(packed.too_large.into_iter().map(|i| vec![i]));
    }
    out
}

/// Splits a failed call's requests in two halves to find the one Route 53 refuses.
pub fn halves(requests: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let (a, b) = requests.split_at(requests.len() / 2);
    (a.to_vec(), b.to_vec())
}

#[cfg(test)]
#[path = "tests/batch.rs"]
mod tests;
