//! What the rule tests share about answers: one responder, the SQS event a batch arrives in, and
//! the shape of a FAILED answer (docs/design.md, "The answer").

use super::Receiver;
use serde_json::{Value, json};
use std::sync::OnceLock;
use std::time::Duration;
use subdomain_delegation::cfn::responder::Responder;
use subdomain_delegation::cfn::runner::Provider;
use subdomain_delegation::domain::guardrail::ChangeRefusal;
use subdomain_delegation::ports::Connector;
use subdomain_delegation::ports::{AdapterError, ErrorKind};
use tokio::time::Instant;

/// One responder for all tests: building its HTTP client (TLS roots) takes longer than a test.
/// The receiver closes every connection, so nothing pooled outlives a test's runtime.
pub fn responder() -> Responder {
    static SHARED: OnceLock<Responder> = OnceLock::new();
    SHARED
        .get_or_init(|| Responder::new(2, Duration::from_millis(10)))
        .clone()
}

/// An SQS event of these requests, each body the request itself.
pub fn sqs_event(requests: &[Value]) -> Value {
    let records: Vec<Value> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| json!({"messageId": format!("m{i}"), "body": r.to_string(), "eventSource": "aws:sqs"}))
        .collect();
    json!({ "Records": records })
}

pub fn reason(answer: &Value) -> &str {
    answer["Reason"].as_str().unwrap_or_default()
}

/// FAILED, with a Reason in the documented shape that contains `needle`.
pub fn assert_failed(answer: &Value, needle: &str) {
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    let reason = reason(answer);
    let kinds = ["Create", "Update", "Delete"];
    let shaped = kinds.map(|k| format!("{k} failed: "));
    assert!(shaped.iter().any(|p| reason.starts_with(p)), "{reason}");
    assert!(reason.contains(needle), "{reason:?} lacks {needle:?}");
    assert!(
        reason.ends_with(". Log stream: test-log-stream"),
        "{reason}"
    );
    assert!(answer.get("Data").is_none(), "{answer}");
}

pub fn marker(event: &Value) -> String {
    format!("failed-create:{}", event["RequestId"].as_str().unwrap())
}

pub fn refusal(message: &str) -> AdapterError {
    AdapterError::new(
        ErrorKind::Refused(ChangeRefusal::from_message(message.to_owned())),
        "",
        message,
    )
}

/// Hands an SQS batch of these requests to the provider, which must report no item failure;
/// returns the answers PUT, in the order sent.
pub async fn run_batch<C: Connector>(
    provider: &Provider<C>,
    receiver: &Receiver,
    requests: &[Value],
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let failures = provider
        .handle_queue(&sqs_event(requests), deadline, "test-log-stream")
        .await;
    assert!(failures.batch_item_failures.is_empty(), "{failures:?}");
    answers_to(receiver, requests)
}

/// The one answer PUT for each request, in the order of the requests.
pub fn answers_to(receiver: &Receiver, requests: &[Value]) -> Vec<Value> {
    let puts: Vec<Value> = receiver.puts().iter().map(|p| p.json()).collect();
    requests
        .iter()
        .map(|r| {
            let mine: Vec<&Value> = puts
                .iter()
                .filter(|a| a["RequestId"] == r["RequestId"])
                .collect();
            assert_eq!(mine.len(), 1, "one answer per request");
            mine[0].clone()
        })
        .collect()
}
