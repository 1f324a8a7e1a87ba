//! The batch runner: an SQS event of CloudFormation requests (docs/design.md, "Batches"), each
//! body an SNS notification carrying the request, or the request itself. The requests run
//! together through the batch use case; each gets its own answer and summary line, and the
//! messages whose answer could not be PUT are reported as batch item failures so that SQS
//! delivers them again.

use super::metrics::{BatchFigures, emit_batch};
use super::request::notification_message;
use super::runner::{Delivery, GUARD_MARGIN, Provider, malformed, summary_of, typed};
use crate::ports::{CallTally, Connector};
use crate::usecase::Progress;
use crate::usecase::pipeline::{self, Item};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How many answers of a batch are PUT at once.
const PUT_CONCURRENCY: usize = 16;

/// The SQS event's records as (message ID, body), or `None` when the event is not from SQS. An
/// SQS event that does not parse has no message to answer: it is logged and yields none.
pub fn sqs_records(event: &Value) -> Option<Vec<(String, String)>> {
    let source = event
        .get("Records")?
        .get(0)?
        .get("eventSource")
        .and_then(Value::as_str);
    if source != Some("aws:sqs") {
        return None;
    }
    match SqsEvent::deserialize(event) {
        Ok(sqs) => Some(
            sqs.records
                .into_iter()
                .map(|r| (r.message_id.unwrap_or_default(), r.body.unwrap_or_default()))
                .collect(),
        ),
        Err(e) => {
            tracing::error!(error = %e, "ignoring an SQS event that does not parse");
            Some(Vec::new())
        }
    }
}

/// The CloudFormation request in an SQS message body: an SNS notification's `Message`, or the
/// body itself.
fn request_of(body: &str) -> Value {
    let value: Value = serde_json::from_str(body).unwrap_or(Value::String(body.to_owned()));
    let carried = (value.get("Type").is_some())
        .then(|| notification_message(&value))
        .flatten();
    match carried {
        Some(message) => serde_json::from_str(message).unwrap_or(Value::String(message.to_owned())),
        None => value,
    }
}

/// One message, once parsed: answerable now, answerable after the batch, or not at all.
struct Message {
    id: String,
    request: super::request::Request,
    url: url::Url,
    calls: Arc<CallTally>,
}

impl<C: Connector> Provider<C> {
    /// Handles an SQS event; returns the messages whose answer was not delivered, for the event
    /// source mapping to deliver again.
    pub async fn handle_queue(
        &self,
        event: &Value,
        deadline: Instant,
        log_stream: &str,
    ) -> SqsBatchResponse {
        let started = Instant::now();
        let records = sqs_records(event).unwrap_or_default();
        let guard_at = deadline
            .checked_sub(GUARD_MARGIN)
            .unwrap_or(started)
            .max(started);
        let mut messages = Vec::new();
        let mut undelivered = Vec::new();
        for (id, body) in records {
            match self.admit(&id, &body, deadline, started, log_stream).await {
                Ok(Some(message)) => messages.push(message),
                Ok(None) => {}
                Err(()) => undelivered.push(id),
            }
        }
        let requests = messages.len();
        let pending: Vec<(Message, Item)> = messages
            .into_iter()
            .map(|m| {
                let request = typed(&m.request);
                let item = Item {
                    session: self.session(&request, m.calls.clone()),
                    request,
                    progress: Progress::new(guard_at),
                    defer_role_refusal: false,
                    result: None,
                };
                (m, item)
            })
            .collect();
        let parent_calls = Arc::new(CallTally::default());
        let report = self
            .run_passes(
                pending,
                &parent_calls,
                (deadline, started, guard_at),
                log_stream,
                &mut undelivered,
            )
            .await;
        tracing::info!(
            batch_summary = true,
            version = crate::cli::VERSION,
            requests,
            parent_zones = report.parent_zones,
            parent_calls = parent_calls.calls(),
            parent_throttles = parent_calls.throttles(),
            change_calls = report.change_calls,
            changes_written = report.changes_written,
            throttle_shrinks = report.throttle_shrinks,
            undelivered = undelivered.len(),
            ms = started.elapsed().as_millis() as u64,
            "batch handled"
        );
        emit_batch(
            self.config().metrics.as_ref(),
            &BatchFigures {
                messages: requests,
                parent_calls: parent_calls.calls(),
                throttles: parent_calls.throttles(),
                duration_ms: started.elapsed().as_millis() as u64,
            },
        );
        let mut response = SqsBatchResponse::default();
        for id in undelivered {
            response.add_failure(id);
        }
        response
    }

    /// Runs the batch use case in two passes and answers each request as soon as its pass ends.
    /// First pass: every role is tried once, so that a role that refuses (a forged request, or
    /// one still propagating) holds nobody; the ready requests are answered at once. Second pass:
    /// the refused ones again, with the patience of the direct mode from the batch's start
    /// (docs/design.md, "Batches"). Adds the messages whose answer was not delivered.
    async fn run_passes(
        &self,
        mut pending: Vec<(Message, Item)>,
        parent_calls: &Arc<CallTally>,
        (deadline, started, guard_at): (Instant, Instant, Instant),
        log_stream: &str,
        undelivered: &mut Vec<String>,
    ) -> pipeline::Report {
        let mut report = pipeline::Report::default();
        for (pass, patience) in [Duration::ZERO, self.config().assume_role_patience]
            .into_iter()
            .enumerate()
        {
            let first = pass == 0;
            let (mut msgs, mut items): (Vec<Message>, Vec<Item>) = pending.into_iter().unzip();
            for item in &mut items {
                item.session.role_patience_until = started + patience;
                item.defer_role_refusal = first;
            }
            let finished = tokio::time::timeout_at(
                guard_at,
                pipeline::run(
                    &self.connector,
                    &self.config,
                    &mut items,
                    parent_calls.clone(),
                ),
            )
            .await;
            if let Ok(pass_report) = &finished {
                report.add(pass_report);
            }
            // After the guard, nothing is deferred: an empty result answers that time ran out.
            let (now, later): (Vec<_>, Vec<_>) = msgs
                .drain(..)
                .zip(items)
                .partition(|(_, item)| item.result.is_some() || finished.is_err() || !first);
            let answered: Vec<(String, bool)> = stream::iter(now)
                .map(|(m, item)| async move {
                    self.answer_item(&m, item, (deadline, started), log_stream)
                        .await
                })
                .buffered(PUT_CONCURRENCY)
                .collect()
                .await;
            undelivered.extend(answered.into_iter().filter(|(_, ok)| !ok).map(|(id, _)| id));
            pending = later;
            if pending.is_empty() {
                break;
            }
        }
        report
    }

    /// Parses one message. A malformed request with a usable ResponseURL is answered FAILED at
    /// once; one without is logged and dropped (delivering it again would not help). `Err` when
    /// an answer was due but not delivered.
    async fn admit(
        &self,
        id: &str,
        body: &str,
        deadline: Instant,
        started: Instant,
        log_stream: &str,
    ) -> Result<Option<Message>, ()> {
        let Some((envelope, request, url)) = self.answerable(request_of(body), id) else {
            return Ok(None);
        };
        let calls = Arc::new(CallTally::default());
        match request {
            Ok(request) => Ok(Some(Message {
                id: id.to_owned(),
                request,
                url,
                calls,
            })),
            Err(problem) => {
                let progress = Progress::new(started);
                let mut summary = malformed(&envelope, &problem, &progress);
                let to = Delivery {
                    envelope: &envelope,
                    url: &url,
                    log_stream,
                    deadline,
                    started,
                };
                let (_, ok) = self.answer(to, &mut summary, &progress, &calls).await;
                if ok { Ok(None) } else { Err(()) }
            }
        }
    }

    async fn answer_item(
        &self,
        message: &Message,
        item: Item,
        (deadline, started): (Instant, Instant),
        log_stream: &str,
    ) -> (String, bool) {
        let mut summary = summary_of(&message.request, item.result, &item.progress, deadline);
        let to = Delivery {
            envelope: &message.request.envelope,
            url: &message.url,
            log_stream,
            deadline,
            started,
        };
        let (_, ok) = self
            .answer(to, &mut summary, &item.progress, &message.calls)
            .await;
        (message.id.clone(), ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sqs_bodies_carry_sns_notifications_or_raw_requests() {
        let request =
            json!({"RequestType": "Create", "ResponseURL": "https://x.s3.amazonaws.com/y"});
        let sns = json!({"Type": "Notification", "Message": request.to_string()});
        assert_eq!(request_of(&sns.to_string()), request);
        assert_eq!(request_of(&request.to_string()), request);
        assert_eq!(request_of("not json"), Value::String("not json".into()));
        let event = json!({"Records": [
            {"messageId": "m1", "body": sns.to_string(), "eventSource": "aws:sqs"},
            {"messageId": "m2", "body": "x", "eventSource": "aws:sqs"}
        ]});
        let records = sqs_records(&event).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].0, "m1");
        assert!(sqs_records(&json!({"Records": [{"Sns": {"Message": "{}"}}]})).is_none());
        assert!(sqs_records(&request).is_none());
    }
}
