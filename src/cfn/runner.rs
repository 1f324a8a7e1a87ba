//! The CloudFormation runner: one event, start to end. It parses the request, applies the
//! ResponseURL policy, runs the use case under the deadline guard, words the Reason, PUTs the
//! answer and logs one summary line (docs/design.md, "The answer" and "Logs"). Business rules
//! live in the use cases.

use super::request::{Envelope, Incoming, Request, RequestKind, parse};
use super::responder::{Responder, check_response_url, redact};
use super::response::{Answer, body, failed_create_id};
use crate::config::Config;
use crate::domain::authority::StackRef;
use crate::domain::properties::Properties;
use crate::ports::{Connector, SessionContext};
use crate::text::cut_at_char_boundary;
use crate::usecase::{
    Context, DelegationRequest, Outcome, Progress, delegate, remove, session_name,
};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// The guard answers FAILED this long before the Lambda deadline…
pub const GUARD_MARGIN: Duration = Duration::from_secs(10);
/// …and no answer is PUT later than this before it (docs/design.md, "The answer": at least 5 s).
pub const ANSWER_MARGIN: Duration = Duration::from_secs(5);
/// CloudWatch splits events over 256 KB, and a split JSON line is no longer the summary.
const LOG_FIELD_BYTES: usize = 256;
const LOG_REASON_BYTES: usize = 4096;
const LOG_PHYSICAL_ID_BYTES: usize = 1024;

pub struct Provider<C: Connector> {
    connector: C,
    config: Config,
    responder: Responder,
}

/// What the summary line reports of a request.
struct Summary {
    kind: &'static str,
    action: String,
    answer: Answer,
}

impl<C: Connector> Provider<C> {
    pub fn new(connector: C, config: Config, responder: Responder) -> Self {
        Provider {
            connector,
            config,
            responder,
        }
    }

    /// The settings the provider runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Handles one Lambda event; returns the answer's body when one was due (sent or not).
    pub async fn handle(
        &self,
        event: Value,
        deadline: Instant,
        log_stream: &str,
    ) -> Option<Vec<u8>> {
        let started = Instant::now();
        let (envelope, request) = match parse(event) {
            Incoming::Unanswerable(why) => {
                tracing::error!(problem = %why, "ignoring an event that cannot be answered");
                return None;
            }
            Incoming::Malformed { envelope, problem } => (envelope, Err(problem)),
            Incoming::Valid(request) => (request.envelope.clone(), Ok(request)),
        };
        let url = match check_response_url(
            &envelope.response_url,
            self.config.allow_loopback_response_url,
        ) {
            Ok(url) => url,
            Err(why) => {
                tracing::error!(response_url = %redact(&envelope.response_url), problem = %why, "not answering: the ResponseURL is not allowed");
                return None;
            }
        };
        let guard_at = deadline
            .checked_sub(GUARD_MARGIN)
            .unwrap_or(started)
            .max(started);
        let progress = Progress::new(guard_at);
        let calls = Arc::new(AtomicU32::new(0));
        let mut summary = match &request {
            Err(problem) => Summary {
                kind: "Malformed",
                action: "rejected-request".into(),
                answer: Answer::failed(
                    fallback_id(&envelope, &progress),
                    format!(
                        "{problem}; this is not a CloudFormation request the provider can act on"
                    ),
                ),
            },
            Ok(request) => {
                self.run(request, &progress, calls.clone(), deadline, guard_at)
                    .await
            }
        };
        if let Some(reason) = &mut summary.answer.reason {
            *reason = format!(
                "{} failed: {}. Log stream: {log_stream}",
                summary.kind,
                reason.trim_end_matches('.')
            );
        }
        let bytes = body(&envelope, &summary.answer);
        let put_deadline = deadline.checked_sub(ANSWER_MARGIN).unwrap_or(started);
        let delivered = match self.responder.put(&url, bytes.clone(), put_deadline).await {
            Ok(code) => format!("delivered (HTTP {code})"),
            Err(e) => {
                tracing::error!(error = %e, response_url = %redact(&envelope.response_url), "the answer was not delivered");
                format!("not delivered: {e}")
            }
        };
        log_summary(&envelope, &summary, &progress, &calls, started, &delivered);
        Some(bytes)
    }

    /// Runs the request's use case under the deadline guard.
    async fn run(
        &self,
        request: &Request,
        progress: &Progress,
        calls: Arc<AtomicU32>,
        deadline: Instant,
        guard_at: Instant,
    ) -> Summary {
        let envelope = &request.envelope;
        let typed = DelegationRequest {
            kind: request.kind,
            stack_id: envelope.stack_id.clone(),
            logical_id: envelope.logical_resource_id.clone(),
            request_id: envelope.request_id.clone(),
            resource_type: request.resource_type.clone(),
            physical_id: envelope.physical_resource_id.clone(),
            props: Properties::from_json(&request.properties),
        };
        let sts_region = typed
            .props
            .as_ref()
            .ok()
            .and_then(|p| p.sts_region.as_deref());
        let cx = Context {
            connector: &self.connector,
            config: &self.config,
            session: SessionContext {
                session_name: session_name(&typed.stack_id, &typed.logical_id),
                sts_region: self.config.sts_region(sts_region),
                route53_calls: calls,
            },
            progress,
        };
        let work = async {
            match typed.kind {
                RequestKind::Create | RequestKind::Update => delegate::delegate(&cx, &typed).await,
                RequestKind::Delete => remove::remove(&cx, &typed).await,
            }
        };
        let kind = request.kind.as_str();
        let fallback = || fallback_id(envelope, progress);
        match tokio::time::timeout_at(guard_at, work).await {
            Ok(Ok(Outcome {
                physical_id,
                data,
                action,
            })) => Summary {
                kind,
                action: action.as_str().to_owned(),
                answer: Answer::success(physical_id, data),
            },
            Ok(Err(failure)) => Summary {
                kind,
                action: "failed".into(),
                answer: Answer::failed(fallback(), failure.to_string()),
            },
            Err(_) => Summary {
                kind,
                action: "timed-out".into(),
                answer: Answer::failed(
                    fallback(),
                    format!(
                        "the request did not finish before the Lambda deadline ({} s left when the guard answered); Route 53 or STS may be slow or unreachable. Retry the stack operation, or raise the function's timeout",
                        deadline.saturating_duration_since(Instant::now()).as_secs()
                    ),
                ),
            },
        }
    }
}

/// One JSON line per request, with what traces it to the stack that asked.
fn log_summary(
    envelope: &Envelope,
    summary: &Summary,
    progress: &Progress,
    calls: &AtomicU32,
    started: Instant,
    delivered: &str,
) {
    let identity = progress.identity();
    let stack = StackRef::parse(&envelope.stack_id);
    let answer = &summary.answer;
    tracing::info!(
        summary = true,
        request_type = summary.kind,
        requesting_account = stack.as_ref().map(|s| s.account.as_str()).unwrap_or_default(),
        region = stack.as_ref().map(|s| s.region.as_str()).unwrap_or_default(),
        stack_name = stack.as_ref().map(|s| s.name.as_str()).unwrap_or_default(),
        request_id = %cut_at_char_boundary(&envelope.request_id, LOG_FIELD_BYTES),
        logical_id = %cut_at_char_boundary(&envelope.logical_resource_id, LOG_FIELD_BYTES),
        name = identity.as_ref().map(|i| i.name.to_string()).unwrap_or_default(),
        parent_zone = identity.as_ref().map(|i| i.parent_zone_id.to_string()).unwrap_or_default(),
        action = %summary.action,
        route53_calls = calls.load(Ordering::Relaxed),
        ms = started.elapsed().as_millis() as u64,
        status = answer.status.as_str(),
        physical_id = %cut_at_char_boundary(&answer.physical_resource_id, LOG_PHYSICAL_ID_BYTES),
        answer = %delivered,
        reason = %cut_at_char_boundary(answer.reason.as_deref().unwrap_or(""), LOG_REASON_BYTES),
        "request handled"
    );
}

/// The ID a failed answer carries: the real one once Route 53 may have changed (so the rollback
/// Delete cleans up; a replacing Update that may have written its new record answers the new ID,
/// which would be orphaned otherwise), else the marker for a Create, else the existing ID.
fn fallback_id(envelope: &Envelope, progress: &Progress) -> String {
    match progress.identity() {
        Some(identity) if progress.may_have_written() => identity.to_string(),
        _ => envelope
            .physical_resource_id
            .clone()
            .unwrap_or_else(|| failed_create_id(&envelope.request_id)),
    }
}
