//! The CloudFormation runner: one event, start to end. It parses the request, applies the
//! ResponseURL policy, runs the use case under the deadline guard, words the Reason, PUTs the
//! answer and logs one summary line (docs/design.md, "The answer" and "Logs"). Business rules
//! live in the use cases.

use super::metrics::{RequestFigures, emit_request};
use super::request::{Envelope, Incoming, Request, parse};
use super::responder::{Responder, redact};
use super::response::{Answer, body, failed_create_id};
use crate::config::Config;
use crate::domain::authority::StackRef;
use crate::domain::model::RequestKind;
use crate::domain::properties::Properties;
use crate::ports::{CallTally, Connector, SessionContext};
use crate::text::cut_at_char_boundary;
use crate::usecase::Action;
use crate::usecase::pipeline::{self, Item};
use crate::usecase::{DelegationRequest, Failure, Outcome, Progress, session_name};
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
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
    pub(super) connector: C,
    pub(super) config: Config,
    pub(super) responder: Responder,
}

/// What the summary line reports of a request.
pub(super) struct Summary {
    /// `None` for an event that is not a request the provider can act on.
    pub kind: Option<RequestKind>,
    pub ending: Ending,
    pub answer: Answer,
}

impl Summary {
    /// The request type as the Reason and the summary line name it.
    fn kind_name(&self) -> &'static str {
        self.kind.map_or("Malformed", RequestKind::as_str)
    }
}

/// How a request ended, as the summary line's `action` says it (docs/design.md, "Logs").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ending {
    Done(Action),
    Failed,
    /// The deadline guard answered first.
    TimedOut,
    /// Not a request the provider can act on.
    Rejected,
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Done(action) => action.fmt(f),
            Ending::Failed => f.write_str("failed"),
            Ending::TimedOut => f.write_str("timed-out"),
            Ending::Rejected => f.write_str("rejected-request"),
        }
    }
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
        let (envelope, request, url) = self.answerable(event, "")?;
        let guard_at = deadline
            .checked_sub(GUARD_MARGIN)
            .unwrap_or(started)
            .max(started);
        let progress = Progress::new(guard_at);
        let calls = Arc::new(CallTally::default());
        let (mut summary, progress) = match &request {
            Err(problem) => (malformed(&envelope, problem, &progress), progress),
            Ok(request) => {
                self.run(request, progress, calls.clone(), deadline, guard_at)
                    .await
            }
        };
        let (bytes, _) = self
            .answer(
                Delivery {
                    envelope: &envelope,
                    url: &url,
                    log_stream,
                    deadline,
                    started,
                },
                &mut summary,
                &progress,
                &calls,
            )
            .await;
        Some(bytes)
    }

    /// The request with its envelope and allowed ResponseURL; `None` (logged) when nothing can be
    /// answered: no ResponseURL, or one that is not allowed. `message_id` names an SQS message.
    pub(super) fn answerable(
        &self,
        event: Value,
        message_id: &str,
    ) -> Option<(Envelope, Result<Request, String>, url::Url)> {
        let (envelope, request) = match parse(event) {
            Incoming::Unanswerable(why) => {
                tracing::error!(message_id, problem = %why, "ignoring an event that cannot be answered");
                return None;
            }
            Incoming::Malformed { envelope, problem } => (envelope, Err(problem)),
            Incoming::Valid(request) => (request.envelope.clone(), Ok(request)),
        };
        match self.responder.check_url(
            &envelope.response_url,
            self.config.allow_loopback_response_url,
        ) {
            Ok(url) => Some((envelope, request, url)),
            Err(why) => {
                tracing::error!(message_id, response_url = %redact(&envelope.response_url), problem = %why, "not answering: the ResponseURL is not allowed");
                None
            }
        }
    }

    /// Words the Reason, PUTs the answer and logs the summary line; returns the body and whether
    /// it was delivered.
    pub(super) async fn answer(
        &self,
        to: Delivery<'_>,
        summary: &mut Summary,
        progress: &Progress,
        calls: &CallTally,
    ) -> (Vec<u8>, bool) {
        let kind = summary.kind_name();
        if let Some(reason) = &mut summary.answer.reason {
            *reason = format!(
                "{} failed: {}. Log stream: {}",
                kind,
                reason.trim_end_matches('.'),
                to.log_stream
            );
        }
        let bytes = body(to.envelope, &summary.answer);
        let put_deadline = to.deadline.checked_sub(ANSWER_MARGIN).unwrap_or(to.started);
        let (delivered, ok) = match self
            .responder
            .put(to.url, bytes.clone(), put_deadline)
            .await
        {
            Ok(code) => (format!("delivered (HTTP {code})"), true),
            Err(e) => {
                tracing::error!(error = %e, response_url = %redact(&to.envelope.response_url), "the answer was not delivered");
                (format!("not delivered: {e}"), false)
            }
        };
        // One duration for the summary line and the metrics.
        let ms = to.started.elapsed().as_millis() as u64;
        log_summary(to.envelope, summary, progress, calls, ms, &delivered);
        emit_request(
            self.config.metrics.as_ref(),
            &RequestFigures {
                request_type: kind,
                outcome: summary.answer.status.as_str(),
                route53_calls: calls.calls(),
                throttles: calls.throttles(),
                duration_ms: ms,
            },
        );
        (bytes, ok)
    }

    /// Runs the request through the pipeline, as a batch of one, under the deadline guard.
    async fn run(
        &self,
        request: &Request,
        progress: Progress,
        calls: Arc<CallTally>,
        deadline: Instant,
        guard_at: Instant,
    ) -> (Summary, Progress) {
        let typed = typed(request);
        let session = self.session(&typed, calls.clone());
        let mut items = [Item {
            request: typed,
            session,
            progress,
            defer_role_refusal: false,
            result: None,
        }];
        let work = pipeline::run(&self.connector, &self.config, &mut items, calls);
        // After the guard, an empty result answers that time ran out.
        let _ = tokio::time::timeout_at(guard_at, work).await;
        let [item] = items;
        let summary = summary_of(request, item.result, &item.progress, deadline);
        (summary, item.progress)
    }

    /// Who the request's adapters act as: a session name traceable to its stack, and STS's region.
    pub(super) fn session(
        &self,
        request: &DelegationRequest,
        calls: Arc<CallTally>,
    ) -> SessionContext {
        let sts_region = request
            .props
            .as_ref()
            .ok()
            .and_then(|p| p.sts_region.as_deref());
        SessionContext {
            session_name: session_name(&request.stack_id, &request.logical_id),
            sts_region: self.config.sts_region(sts_region),
            route53: calls,
            role_patience_until: Instant::now() + self.config.assume_role_patience,
        }
    }
}

/// The use cases' view of a parsed request.
pub(super) fn typed(request: &Request) -> DelegationRequest {
    let envelope = &request.envelope;
    DelegationRequest {
        kind: request.kind,
        stack_id: envelope.stack_id.clone(),
        logical_id: envelope.logical_resource_id.clone(),
        request_id: envelope.request_id.clone(),
        resource_type: request.resource_type.clone(),
        physical_id: envelope.physical_resource_id.clone(),
        props: Properties::from_json(&request.properties),
    }
}

/// What a request's result answers; `None` when the deadline guard stopped it first.
pub(super) fn summary_of(
    request: &Request,
    result: Option<Result<Outcome, Failure>>,
    progress: &Progress,
    deadline: Instant,
) -> Summary {
    let kind = Some(request.kind);
    let fallback = || fallback_id(&request.envelope, progress);
    match result {
        Some(Ok(Outcome {
            physical_id,
            data,
            action,
        })) => Summary {
            kind,
            ending: Ending::Done(action),
            answer: Answer::success(physical_id, data),
        },
        Some(Err(failure)) => Summary {
            kind,
            ending: Ending::Failed,
            answer: Answer::failed(fallback(), failure.to_string()),
        },
        None => Summary {
            kind,
            ending: Ending::TimedOut,
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

/// The answer to an event that names a ResponseURL but is not a request the provider can act on.
pub(super) fn malformed(envelope: &Envelope, problem: &str, progress: &Progress) -> Summary {
    Summary {
        kind: None,
        ending: Ending::Rejected,
        answer: Answer::failed(
            fallback_id(envelope, progress),
            format!("{problem}; this is not a CloudFormation request the provider can act on"),
        ),
    }
}

/// Where and by when an answer goes.
pub(super) struct Delivery<'a> {
    pub envelope: &'a Envelope,
    pub url: &'a url::Url,
    pub log_stream: &'a str,
    pub deadline: Instant,
    pub started: Instant,
}

/// One JSON line per request, with what traces it to the stack that asked.
fn log_summary(
    envelope: &Envelope,
    summary: &Summary,
    progress: &Progress,
    calls: &CallTally,
    ms: u64,
    delivered: &str,
) {
    let identity = progress.identity();
    let stack = StackRef::parse(&envelope.stack_id);
    let answer = &summary.answer;
    tracing::info!(
        summary = true,
        version = crate::cli::VERSION,
        request_type = summary.kind_name(),
        requesting_account = stack.as_ref().map(|s| s.account.as_str()).unwrap_or_default(),
        region = stack.as_ref().map(|s| s.region.as_str()).unwrap_or_default(),
        stack_name = stack.as_ref().map(|s| s.name.as_str()).unwrap_or_default(),
        request_id = %cut_at_char_boundary(&envelope.request_id, LOG_FIELD_BYTES),
        logical_id = %cut_at_char_boundary(&envelope.logical_resource_id, LOG_FIELD_BYTES),
        name = identity.as_ref().map(|i| i.name.to_string()).unwrap_or_default(),
        parent_zone = identity.as_ref().map(|i| i.parent_zone_id.to_string()).unwrap_or_default(),
        action = %summary.ending,
        route53_calls = calls.calls(),
        route53_throttles = calls.throttles(),
        ms,
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
pub(super) fn fallback_id(envelope: &Envelope, progress: &Progress) -> String {
    match progress.identity() {
        Some(identity) if progress.may_have_written() => identity.to_string(),
        _ => envelope
            .physical_resource_id
            .clone()
            .unwrap_or_else(|| failed_create_id(&envelope.request_id)),
    }
}
