//! How AWS errors are classified for the use cases, and how every client retries.

use crate::domain::guardrail::ChangeRefusal;
use crate::ports::{AdapterError, ErrorKind};
use aws_config::retry::RetryConfig;
use aws_sdk_route53::config::retry::{RetryPartition, TokenBucket};
use aws_sdk_route53::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_smithy_runtime_api::client::result::SdkError;
use std::sync::OnceLock;
use std::time::Duration;

/// The first delay of the SDK's backoff for transient errors, and its cap.
const TRANSIENT_BACKOFF: Duration = Duration::from_secs(1);
const TRANSIENT_BACKOFF_CAP: Duration = Duration::from_secs(20);

/// Route 53's throttling error codes: the request rate, and a change still being applied.
pub(super) const THROTTLING_CODES: [&str; 3] = [
    "Throttling",
    "ThrottlingException",
    "PriorRequestNotComplete",
];

/// Any AWS SDK call's error, by what the caller can do about it.
pub fn classify<E, R>(what: &str, err: SdkError<E, R>) -> AdapterError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = match (err.code(), err.message()) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        _ => DisplayErrorContext(&err).to_string(),
    };
    let timed_out = match &err {
        SdkError::TimeoutError(_) => true,
        SdkError::DispatchFailure(failure) => failure.is_timeout(),
        _ => false,
    };
    let kind = match err.code().unwrap_or("") {
        _ if timed_out => ErrorKind::Timeout,
        "NoSuchHostedZone" | "NoSuchChange" | "HostedZoneNotFound" => ErrorKind::NotFound,
        "AccessDenied"
        | "AccessDeniedException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature" => ErrorKind::AccessDenied,
        code if THROTTLING_CODES.contains(&code) => ErrorKind::Throttled,
        "InvalidChangeBatch" if is_stale_batch(&message) => ErrorKind::Stale,
        "InvalidChangeBatch" | "InvalidInput" => {
            ErrorKind::Refused(ChangeRefusal::from_message(format!("{what}: {message}")))
        }
        _ => ErrorKind::Other,
    };
    AdapterError::new(kind, what, message)
}

/// Route 53's words for a DELETE (or CREATE) that no longer matches the live records: the record
/// changed between our read and our write, which a fresh read resolves. Anything else in an
/// `InvalidChangeBatch` (a guardrail, a malformed value) would be refused again.
fn is_stale_batch(message: &str) -> bool {
    const STALE: &[&str] = &[
        "but it was not found",
        "values provided do not match the current values",
        "but it already exists",
    ];
    STALE.iter().any(|s| message.contains(s))
}

/// How many times one SDK call may be tried. Not what bounds a request: a throttled call waits at
/// least 7.5 s between attempts once its backoff is capped, so 150 attempts outlast Lambda's 900 s
/// maximum, and a call that keeps being throttled is stopped by the request's deadline guard,
/// which answers FAILED in time.
pub const MAX_ATTEMPTS: u32 = 150;

/// Retries for every AWS client: standard mode, bounded by the time left before the deadline
/// rather than by a small count. Transient errors (5xx, timeouts, resets) back off with the SDK's
/// full jitter, each delay uniform in [0, min(20 s, 1 s × 2^attempt)]. Route 53's throttling errors
/// (`Throttling`, `PriorRequestNotComplete`) get the equal-jitter backoff and the per-account spacing
/// of `aws::pace` instead; with the Route 53 clients' retry quota (`route53_retry_partition`),
/// which never charges for them, a request queued behind Route 53's rate limit (a StackSet rollout
/// of hundreds of accounts into one parent zone) keeps its place until its deadline instead of
/// failing after a few attempts. The retry settings tried are in bench/README.md.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(TRANSIENT_BACKOFF)
        .with_max_backoff(TRANSIENT_BACKOFF_CAP)
}

/// The Route 53 clients' retry partition. The standard retry quota (500 tokens, 5 per retry)
/// refuses retries after about a hundred throttles in one process, which a request waiting behind
/// a rate limit reaches; here throttling retries cost nothing, while other errors (5xx, timeouts,
/// resets) keep the standard costs, so a broken endpoint still stops being retried.
pub(super) fn route53_retry_partition() -> RetryPartition {
    static PARTITION: OnceLock<RetryPartition> = OnceLock::new();
    PARTITION
        .get_or_init(|| {
            RetryPartition::custom("subdomain-delegation-route53")
                .token_bucket(TokenBucket::builder().throttling_retry_cost(0).build())
                .build()
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneError;

    #[test]
    fn a_call_that_timed_out_is_a_timeout_with_its_call_named() {
        let err: SdkError<GetHostedZoneError, ()> = SdkError::timeout_error("no answer in 3.1 s");
        let e = classify("GetHostedZone Z1", err);
        assert_eq!(e.kind, ErrorKind::Timeout);
        assert_eq!(e.call, "GetHostedZone Z1");
        assert!(e.to_string().starts_with("GetHostedZone Z1: "), "{e}");
    }
}
