//! How a process behaves behind Route 53's per-account rate limit, which a StackSet rollout of
//! hundreds of accounts into one parent zone shares.
//!
//! Two habits, both measured with `scripts/bench` (bench/README.md):
//! - a throttled call is retried after an *equal-jitter* backoff, uniform in [m/2, m] with
//!   m = min(cap, base × 2^(attempt−1)): never at once (the SDK's full jitter often retries within
//!   milliseconds, which under a rate limit mostly buys another throttle), yet never in lockstep;
//! - once this process has been throttled by an account, its next call to that account waits until
//!   one token's worth of time has passed since its last accepted call (at the account's request
//!   rate: `DELEGATION_ROUTE53_REQUESTS_PER_SECOND`, by default Route 53's documented 10/s),
//!   instead of spending the bucket's only token and certainly being throttled.
//!
//! Without throttling nothing waits: an uncontended delegation makes its calls back to back.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef, InterceptorContext,
};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority, RetryReason,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::ErrorKind;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The backoff and spacing used against one account's Route 53 rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleSchedule {
    /// m for the first retry of a call.
    pub base: Duration,
    /// The largest m.
    pub cap: Duration,
    /// The least time between two calls to an account once it has throttled this process.
    pub spacing: Duration,
    /// How long a throttle keeps the spacing on (a warm Lambda process serves later requests).
    pub memory: Duration,
}

/// The spacing is one token's time plus this share, so that a call sent after it finds the token.
const SPACING_MARGIN: f64 = 1.025;

impl ThrottleSchedule {
    /// Production values at the older documented 5 requests/s. A 5 s base and 15 s cap keep a
    /// hundred waiting processes to a few retries per second in total; 205 ms is one token at
    /// 5 requests/s plus a little.
    pub const ROUTE53: ThrottleSchedule = ThrottleSchedule {
        base: Duration::from_secs(5),
        cap: Duration::from_secs(15),
        spacing: Duration::from_millis(205),
        memory: Duration::from_secs(60),
    };

    /// The production schedule for an account whose Route 53 request rate is
    /// `requests_per_second`: the spacing is one token's time at that rate, plus a little.
    pub fn for_rate(requests_per_second: u32) -> ThrottleSchedule {
        ThrottleSchedule {
            spacing: Duration::from_secs(1)
                .div_f64(f64::from(requests_per_second.max(1)))
                .mul_f64(SPACING_MARGIN),
            ..ThrottleSchedule::ROUTE53
        }
    }

    /// The delay before retrying a call whose `attempt`-th try (1-based) was throttled; `unit` is
    /// a uniform random number in [0, 1).
    pub fn backoff(&self, attempt: u32, unit: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        let m = self
            .base
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.cap)
            .min(self.cap);
        m.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
    }
}

#[derive(Debug, Default)]
struct PaceState {
    last_accepted: Option<Instant>,
    last_throttled: Option<Instant>,
    /// The attempt number of the call in flight (the SDK's count, 1-based). Calls to one account
    /// are sequential within a request, except the child and parent reads when both use the
    /// provider's own account; there the delay may follow the other call's count, which only
    /// changes its length.
    attempt: u32,
}

/// What this process knows about one account's rate limit, shared by every Route 53 client that
/// acts in that account.
#[derive(Debug)]
pub struct AccountPace {
    schedule: ThrottleSchedule,
    state: Mutex<PaceState>,
}

impl AccountPace {
    pub fn new(schedule: ThrottleSchedule) -> Arc<Self> {
        Arc::new(AccountPace {
            schedule,
            state: Mutex::default(),
        })
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut PaceState) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut state)
    }

    /// How long the next call must wait at `now`.
    pub fn wait_at(&self, now: Instant) -> Duration {
        self.with_state(|s| match (s.last_throttled, s.last_accepted) {
            (Some(throttled), Some(accepted))
                if now.saturating_duration_since(throttled) < self.schedule.memory =>
            {
                (accepted + self.schedule.spacing).saturating_duration_since(now)
            }
            _ => Duration::ZERO,
        })
    }

    /// Waits until the next call may go out.
    pub async fn ready(&self) {
        let wait = self.wait_at(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    pub fn accepted(&self, at: Instant) {
        self.with_state(|s| s.last_accepted = Some(at));
    }

    /// Records a throttle at `at` and returns the delay before the retry.
    pub fn throttled(&self, at: Instant, unit: f64) -> Duration {
        self.with_state(|s| {
            s.last_throttled = Some(at);
            self.schedule.backoff(s.attempt.max(1), unit)
        })
    }

    fn attempting(&self, attempt: u32) {
        self.with_state(|s| s.attempt = attempt);
    }
}

/// The SDK side of [`AccountPace`]: an interceptor that notes each attempt and each accepted call,
/// and a retry classifier that gives throttling errors (as the SDK's own classifiers judged them)
/// the equal-jitter delay. The SDK's standard strategy honours a classifier's `retry_after`.
#[derive(Debug, Clone)]
pub struct PaceHooks(pub Arc<AccountPace>);

impl Intercept for PaceHooks {
    fn name(&self) -> &'static str {
        "AccountPace"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        self.0.attempting(attempt);
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if matches!(context.inner().output_or_error(), Some(Ok(_))) {
            self.0.accepted(Instant::now());
        }
        Ok(())
    }
}

impl ClassifyRetry for PaceHooks {
    fn classify_retry(&self, _ctx: &InterceptorContext) -> RetryAction {
        RetryAction::NoActionIndicated
    }

    fn classify_retry_v2(&self, _ctx: &InterceptorContext, previous: &RetryAction) -> RetryAction {
        match previous {
            RetryAction::RetryIndicated(RetryReason::RetryableError {
                kind: ErrorKind::ThrottlingError,
                retry_after,
            }) => {
                let ours = self.0.throttled(Instant::now(), fastrand::f64());
                RetryAction::RetryIndicated(RetryReason::RetryableError {
                    kind: ErrorKind::ThrottlingError,
                    retry_after: Some(retry_after.map_or(ours, |theirs| theirs.max(ours))),
                })
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "AccountPace"
    }

    /// After every SDK classifier, so that it only refines their verdict.
    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::run_after(
            RetryClassifierPriority::transient_error_classifier(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: ThrottleSchedule = ThrottleSchedule::ROUTE53;

    #[test]
    fn backoff_is_equal_jitter_doubling_to_the_cap() {
        assert_eq!(S.backoff(1, 0.0), Duration::from_millis(2500));
        assert_eq!(S.backoff(1, 1.0), Duration::from_secs(5));
        assert_eq!(S.backoff(2, 0.0), Duration::from_secs(5));
        assert_eq!(
            S.backoff(2, 0.999_999),
            Duration::from_secs(10) - Duration::from_micros(5)
        );
        assert_eq!(S.backoff(3, 0.0), Duration::from_millis(7500));
        assert_eq!(S.backoff(3, 1.0), Duration::from_secs(15));
        assert_eq!(S.backoff(40, 0.5), Duration::from_millis(11250));
        assert_eq!(S.backoff(u32::MAX, 1.0), Duration::from_secs(15));
        // Out-of-range randomness is clamped, never a zero or a negative delay.
        assert_eq!(S.backoff(1, -3.0), Duration::from_millis(2500));
        assert_eq!(S.backoff(0, 7.0), Duration::from_secs(5));
    }

    #[test]
    fn the_spacing_follows_the_configured_rate() {
        assert_eq!(ThrottleSchedule::for_rate(5), S);
        assert_eq!(
            ThrottleSchedule::for_rate(10).spacing,
            Duration::from_micros(102_500)
        );
        assert_eq!(
            ThrottleSchedule::for_rate(100).spacing,
            Duration::from_micros(10_250)
        );
        assert_eq!(
            ThrottleSchedule::for_rate(0).spacing,
            Duration::from_millis(1025)
        );
    }

    #[test]
    fn no_wait_until_the_account_has_throttled_this_process() {
        let pace = AccountPace::new(S);
        let t0 = Instant::now();
        assert_eq!(pace.wait_at(t0), Duration::ZERO);
        pace.accepted(t0);
        assert_eq!(pace.wait_at(t0 + Duration::from_millis(1)), Duration::ZERO);
    }

    #[test]
    fn after_a_throttle_calls_are_spaced_from_the_last_accepted_one() {
        let pace = AccountPace::new(S);
        let t0 = Instant::now();
        pace.attempting(1);
        assert_eq!(pace.throttled(t0, 0.0), Duration::from_millis(2500));
        // Throttled but nothing accepted yet: the retry's own backoff is the wait.
        assert_eq!(pace.wait_at(t0), Duration::ZERO);
        let t1 = t0 + Duration::from_secs(3);
        pace.accepted(t1);
        assert_eq!(pace.wait_at(t1), S.spacing);
        assert_eq!(
            pace.wait_at(t1 + Duration::from_millis(100)),
            Duration::from_millis(105)
        );
        assert_eq!(pace.wait_at(t1 + S.spacing), Duration::ZERO);
        // The memory of a throttle fades: a warm process is back to full speed.
        let later = t0 + S.memory + Duration::from_secs(1);
        pace.accepted(later);
        assert_eq!(pace.wait_at(later), Duration::ZERO);
    }

    #[test]
    fn the_retry_delay_follows_the_attempt_in_flight() {
        let pace = AccountPace::new(S);
        let t0 = Instant::now();
        pace.attempting(3);
        assert_eq!(pace.throttled(t0, 1.0), Duration::from_secs(15));
        pace.attempting(1);
        assert_eq!(pace.throttled(t0, 1.0), Duration::from_secs(5));
    }
}
