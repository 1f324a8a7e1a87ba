//! The provider's CloudWatch metrics in the Embedded Metric Format (docs/design.md, "Metrics"):
//! one JSON document per request and one per SQS batch, printed on stdout beside the summary
//! line, where Lambda's log pipeline turns them into metrics without an API call.

use crate::config::MetricsTarget;
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

/// What one request did, as its metrics count it.
pub struct RequestFigures<'a> {
    /// `Create`, `Update`, `Delete` or `Malformed`.
    pub request_type: &'a str,
    /// `SUCCESS` or `FAILED`.
    pub outcome: &'a str,
    pub route53_calls: u32,
    pub throttles: u32,
    pub duration_ms: u64,
}

/// What one SQS batch did.
pub struct BatchFigures {
    pub messages: usize,
    pub parent_calls: u32,
    pub throttles: u32,
    pub duration_ms: u64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// `Requests` by (FunctionName, RequestType, Outcome) and (FunctionName, Outcome), which the
/// FAILED alarm watches; every figure by FunctionName.
pub fn request_document(target: &MetricsTarget, f: &RequestFigures, timestamp_ms: u64) -> Value {
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": target.namespace,
                    "Dimensions": [["FunctionName", "RequestType", "Outcome"], ["FunctionName", "Outcome"]],
                    "Metrics": [{"Name": "Requests", "Unit": "Count"}],
                },
                {
                    "Namespace": target.namespace,
                    "Dimensions": [["FunctionName"]],
                    "Metrics": [
                        {"Name": "Route53Calls", "Unit": "Count"},
                        {"Name": "Throttles", "Unit": "Count"},
                        {"Name": "Duration", "Unit": "Milliseconds"},
                    ],
                },
            ],
        },
        "FunctionName": target.function_name,
        "RequestType": f.request_type,
        "Outcome": f.outcome,
        "Requests": 1,
        "Route53Calls": f.route53_calls,
        "Throttles": f.throttles,
        "Duration": f.duration_ms,
    })
}

/// A batch's messages, parent calls (the one change batch per parent zone), throttles and time.
pub fn batch_document(target: &MetricsTarget, f: &BatchFigures, timestamp_ms: u64) -> Value {
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": target.namespace,
                "Dimensions": [["FunctionName"]],
                "Metrics": [
                    {"Name": "BatchMessages", "Unit": "Count"},
                    {"Name": "ParentCalls", "Unit": "Count"},
                    {"Name": "BatchThrottles", "Unit": "Count"},
                    {"Name": "BatchDuration", "Unit": "Milliseconds"},
                ],
            }],
        },
        "FunctionName": target.function_name,
        "BatchMessages": f.messages,
        "ParentCalls": f.parent_calls,
        "BatchThrottles": f.throttles,
        "BatchDuration": f.duration_ms,
    })
}

/// Prints a document where Lambda reads logs: one line, whole.
pub fn emit(document: &Value) {
    println!("{document}");
}

/// Prints a request's metrics when the function has a target.
pub fn emit_request(target: Option<&MetricsTarget>, figures: &RequestFigures) {
    if let Some(target) = target {
        emit(&request_document(target, figures, now_ms()));
    }
}

/// Prints a batch's metrics when the function has a target.
pub fn emit_batch(target: Option<&MetricsTarget>, figures: &BatchFigures) {
    if let Some(target) = target {
        emit(&batch_document(target, figures, now_ms()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> MetricsTarget {
        MetricsTarget {
            namespace: "SubdomainDelegation".into(),
            function_name: "provider".into(),
        }
    }

    /// The EMF rules CloudWatch applies: every metric named in a directive is a top-level
    /// number, every dimension a top-level string, at most 30 dimensions per set.
    fn assert_valid_emf(doc: &Value) {
        for directive in doc["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            for metric in directive["Metrics"].as_array().unwrap() {
                let name = metric["Name"].as_str().unwrap();
                assert!(doc[name].is_number(), "{name} in {doc}");
            }
            for set in directive["Dimensions"].as_array().unwrap() {
                let set = set.as_array().unwrap();
                assert!(!set.is_empty() && set.len() <= 30);
                for dim in set {
                    assert!(doc[dim.as_str().unwrap()].is_string(), "{dim} in {doc}");
                }
            }
        }
        assert!(doc["_aws"]["Timestamp"].is_u64());
    }

    #[test]
    fn a_request_counts_by_type_and_outcome() {
        let doc = request_document(
            &target(),
            &RequestFigures {
                request_type: "Create",
                outcome: "FAILED",
                route53_calls: 4,
                throttles: 1,
                duration_ms: 1234,
            },
            1_700_000_000_000,
        );
        assert_valid_emf(&doc);
        assert_eq!(doc["Requests"], 1);
        assert_eq!(doc["Outcome"], "FAILED");
        assert_eq!(doc["RequestType"], "Create");
        assert_eq!(doc["Throttles"], 1);
        assert_eq!(doc["Duration"], 1234);
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "SubdomainDelegation"
        );
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"][1],
            json!(["FunctionName", "Outcome"])
        );
    }

    #[test]
    fn a_batch_counts_messages_and_parent_calls() {
        let doc = batch_document(
            &target(),
            &BatchFigures {
                messages: 10,
                parent_calls: 3,
                throttles: 0,
                duration_ms: 900,
            },
            1,
        );
        assert_valid_emf(&doc);
        assert_eq!(doc["BatchMessages"], 10);
        assert_eq!(doc["ParentCalls"], 3);
        assert_eq!(doc["FunctionName"], "provider");
    }
}
