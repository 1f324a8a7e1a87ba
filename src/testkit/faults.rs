//! Fault injection: errors for the next calls of an operation, refusals of change batches that
//! touch a name (a guardrail, a stale batch, any error), Route 53 throttling the next calls, slow
//! operations, and someone else's edit landing just before a change batch. Every call of the fake
//! goes through [`Memory::enter`], which logs it and applies these.

use super::Memory;
use super::state::{Op, RecordKey, RecordSet, State};
use crate::domain::guardrail::{ChangeRefusal, Guardrail};
use crate::domain::model::Change;
use crate::domain::name::DnsName;
use crate::domain::properties::ZoneId;
use crate::ports::{AdapterError, CallTally, ErrorKind};
use std::sync::MutexGuard;
use std::time::Duration;

/// How long the emulated adapter waits before retrying a throttled call: the shortest of the
/// adapter's equal-jitter backoffs (docs/design.md, "Throttling and faults"). Tests that throttle
/// run in paused time (`tokio::time::pause`), where the wait costs nothing.
pub const THROTTLE_BACKOFF: Duration = Duration::from_millis(2_500);

/// The next calls of `op` in `account` answer `error`; with `after_effect`, the call takes effect
/// first (a write whose answer was lost).
#[derive(Clone)]
struct CallFault {
    op: Op,
    account: String,
    after_effect: bool,
    error: AdapterError,
}

/// What a change batch that touches a name is answered.
#[derive(Clone)]
enum ChangeAnswer {
    Error(AdapterError),
    /// Route 53's Change Guardrail refuses the batch, naming the record set and the guardrail.
    Guardrail(Guardrail),
    /// Route 53 finds the batch's DELETE no longer matches the live record set.
    Stale,
}

#[derive(Clone)]
struct ChangeFault {
    name: DnsName,
    answer: ChangeAnswer,
}

/// Someone else's UPSERT, applied just before the next change batch to `zone` is looked at.
pub(super) struct Edit {
    pub(super) zone: String,
    pub(super) key: RecordKey,
    pub(super) set: RecordSet,
}

/// The faults still to be handed out; each list holds a fault with how many times it is left.
#[derive(Default)]
pub(super) struct Faults {
    calls: Vec<(u32, CallFault)>,
    changes: Vec<(u32, ChangeFault)>,
    throttles: Vec<(u32, (Op, String))>,
    slow: Vec<(Op, Duration)>,
    edits: Vec<Edit>,
}

/// Uses up one time of the first fault that matches, which is removed once spent.
fn spend<T: Clone>(list: &mut Vec<(u32, T)>, matches: impl Fn(&T) -> bool) -> Option<T> {
    let i = list.iter().position(|(_, f)| matches(f))?;
    let (times, fault) = &mut list[i];
    *times -= 1;
    let fault = fault.clone();
    if *times == 0 {
        list.remove(i);
    }
    Some(fault)
}

impl Faults {
    /// The first injected error for this call of `op` in `account`, before or after its effect.
    pub(super) fn call(&mut self, op: Op, account: &str, after: bool) -> Result<(), AdapterError> {
        let matches = |f: &CallFault| f.op == op && f.account == account && f.after_effect == after;
        match spend(&mut self.calls, matches) {
            Some(fault) => Err(fault.error),
            None => Ok(()),
        }
    }

    /// The first injected answer for a change batch to `zone` that changes one of its names.
    pub(super) fn change(&mut self, zone: &ZoneId, changes: &[Change]) -> Result<(), AdapterError> {
        let touched = |f: &ChangeFault| changes.iter().any(|c| c.name == f.name);
        let Some(fault) = spend(&mut self.changes, touched) else {
            return Ok(());
        };
        let change = changes.iter().find(|c| c.name == fault.name).unwrap();
        let (name, kind) = (change.name.fqdn(), change.kind);
        let words = |what: String| {
            format!("ChangeResourceRecordSets in {zone}: InvalidChangeBatch: {what}")
        };
        Err(match fault.answer {
            ChangeAnswer::Error(error) => error,
            ChangeAnswer::Guardrail(guardrail) => {
                let message = words(format!(
                    "[RRSet with DNS name {name}, type {kind}] rejected by Change Guardrail {guardrail}"
                ));
                let refusal = ChangeRefusal::from_message(message.clone());
                AdapterError::new(ErrorKind::Refused(refusal), "", message)
            }
            ChangeAnswer::Stale => AdapterError::new(
                ErrorKind::Stale,
                "",
                words(format!(
                    "[Tried to delete resource record set [name='{name}', type='{kind}'] but the values provided do not match the current values]"
                )),
            ),
        })
    }

    fn throttled(&mut self, op: Op, account: &str) -> bool {
        spend(&mut self.throttles, |(o, a)| *o == op && a == account).is_some()
    }

    fn slowness(&self, op: Op) -> Duration {
        self.slow
            .iter()
            .find(|(o, _)| *o == op)
            .map_or(Duration::ZERO, |(_, d)| *d)
    }

    /// The edits that land before the next change batch to `zone`.
    pub(super) fn edits_before_change(&mut self, zone: &ZoneId) -> Vec<Edit> {
        self.edits
            .extract_if(.., |e| e.zone == zone.as_str())
            .collect()
    }
}

impl Memory {
    /// The next `times` calls of `op` in `account` fail with `error`, changing nothing.
    pub fn fail_next(&self, op: Op, account: &str, times: u32, error: AdapterError) {
        self.add_call_fault(op, account, times, error, false);
    }

    /// The next `times` calls of `op` in `account` take effect, then answer `error` (a timeout
    /// after Route 53 applied the batch).
    pub fn fail_next_after_effect(&self, op: Op, account: &str, times: u32, error: AdapterError) {
        self.add_call_fault(op, account, times, error, true);
    }

    fn add_call_fault(&self, op: Op, account: &str, times: u32, error: AdapterError, after: bool) {
        let fault = CallFault {
            op,
            account: account.to_owned(),
            after_effect: after,
            error,
        };
        self.state().faults.calls.push((times, fault));
    }

    /// The next `times` change batches that change a record set at `name` fail with `error`,
    /// changing nothing (a guardrail that refuses that record, an edit of it that keeps coming).
    pub fn fail_changes_to(&self, name: &str, times: u32, error: AdapterError) {
        self.add_change_fault(name, times, ChangeAnswer::Error(error));
    }

    /// The next `times` change batches that change a record set at `name` are refused by
    /// `guardrail` (`ErrorKind::Refused`, in Route 53's words), changing nothing.
    pub fn refuse_changes(&self, name: &str, guardrail: Guardrail, times: u32) {
        self.add_change_fault(name, times, ChangeAnswer::Guardrail(guardrail));
    }

    /// The next `times` change batches that change a record set at `name` are answered stale
    /// (`ErrorKind::Stale`: a DELETE whose values changed since they were read), changing nothing.
    pub fn stale(&self, name: &str, times: u32) {
        self.add_change_fault(name, times, ChangeAnswer::Stale);
    }

    fn add_change_fault(&self, name: &str, times: u32, answer: ChangeAnswer) {
        let fault = ChangeFault {
            name: DnsName::from_route53(name),
            answer,
        };
        self.state().faults.changes.push((times, fault));
    }

    /// Route 53 throttles the next `times` calls of `op` in `account`. The emulated adapter
    /// retries each after [`THROTTLE_BACKOFF`], as the SDK adapter retries until the deadline;
    /// `change_unless_throttled` answers `ErrorKind::Throttled` once it has been throttled
    /// `tries` times in a row. Every attempt is logged.
    pub fn throttle(&self, op: Op, account: &str, times: u32) {
        let throttle = (op, account.to_owned());
        self.state().faults.throttles.push((times, throttle));
    }

    /// Every call of `op`, in any account, answers `delay` after it was made (a
    /// `tokio::time::sleep`, so paused-time tests see the delay at no cost);
    /// `Duration::ZERO` makes it fast again.
    pub fn slow(&self, op: Op, delay: Duration) {
        let mut s = self.state();
        s.faults.slow.retain(|(o, _)| *o != op);
        if !delay.is_zero() {
            s.faults.slow.push((op, delay));
        }
    }

    /// A concurrent edit: this UPSERT lands just before the next change batch to `zone`.
    pub fn edit_before_next_change(
        &self,
        zone: &str,
        name: &str,
        rtype: &str,
        ttl: i64,
        values: &[&str],
    ) {
        self.state().faults.edits.push(Edit {
            zone: zone.to_owned(),
            key: (DnsName::from_route53(name), rtype.to_owned()),
            set: (ttl, values.iter().map(|v| v.to_string()).collect()),
        });
    }

    /// One call of `op` in `account`, as the emulated adapter makes it: each attempt logged (and
    /// counted in `attempts`, the session's Route 53 counter), slowed, retried while throttled
    /// (up to `tries` attempts, when given), then the first injected error. On success the world,
    /// locked, for the call to read or change.
    pub(super) async fn enter(
        &self,
        op: Op,
        account: &str,
        attempts: Option<&CallTally>,
        tries: Option<u32>,
    ) -> Result<MutexGuard<'_, State>, AdapterError> {
        let mut throttled = 0;
        loop {
            if let Some(tally) = attempts {
                tally.call();
            }
            let delay = {
                let mut s = self.state();
                s.log(op, account);
                s.faults.slowness(op)
            };
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let throttled_now = self.state().faults.throttled(op, account);
            if !throttled_now {
                let mut s = self.state();
                s.faults.call(op, account, false)?;
                return Ok(s);
            }
            throttled += 1;
            if let Some(tally) = attempts {
                tally.throttled();
            }
            if tries.is_some_and(|tries| throttled >= tries) {
                return Err(AdapterError::new(
                    ErrorKind::Throttled,
                    format!("{op:?} in {account}"),
                    format!("Throttling: Rate exceeded ({throttled} tries)"),
                ));
            }
            tokio::time::sleep(THROTTLE_BACKOFF).await;
        }
    }
}
