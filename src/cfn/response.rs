//! The answer CloudFormation reads from the ResponseURL.

use super::request::Envelope;
use crate::text::cut_at_char_boundary;
use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus,
};
use std::collections::BTreeMap;

/// CloudFormation rejects larger bodies ("Response object is too long").
pub const MAX_BODY_BYTES: usize = 4096;
/// CloudFormation's limit on a PhysicalResourceId.
const MAX_PHYSICAL_ID_BYTES: usize = 1024;
/// Room for each echoed field; real ones are far shorter (a UUID, an ARN, a logical ID).
const ECHO_BYTES: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Success,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "SUCCESS",
            Status::Failed => "FAILED",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: Status,
    pub physical_resource_id: String,
    pub reason: Option<String>,
    pub data: BTreeMap<String, String>,
}

impl Answer {
    pub fn success(physical_resource_id: String, data: BTreeMap<String, String>) -> Self {
        Answer {
            status: Status::Success,
            physical_resource_id,
            reason: None,
            data,
        }
    }

    pub fn failed(physical_resource_id: String, reason: String) -> Self {
        Answer {
            status: Status::Failed,
            physical_resource_id,
            reason: Some(reason),
            data: BTreeMap::new(),
        }
    }
}

/// The marker ID of a Create that failed before it changed anything; a later Delete of it is a no-op.
pub fn failed_create_id(request_id: &str) -> String {
    cut(format!("failed-create:{request_id}"), ECHO_BYTES)
}

fn cut(mut s: String, max: usize) -> String {
    let end = cut_at_char_boundary(&s, max).len();
    s.truncate(end);
    s
}

/// Serialises the answer, shortening the reason (keeping its start) until the body fits.
pub fn body(envelope: &Envelope, answer: &Answer) -> Vec<u8> {
    let mut response = CloudFormationCustomResourceResponse::default();
    response.status = match answer.status {
        Status::Success => CloudFormationCustomResourceResponseStatus::Success,
        Status::Failed => CloudFormationCustomResourceResponseStatus::Failed,
    };
    response.physical_resource_id = if answer.physical_resource_id.is_empty() {
        failed_create_id(&envelope.request_id)
    } else {
        cut(answer.physical_resource_id.clone(), MAX_PHYSICAL_ID_BYTES)
    };
    // Echoed fields of a malformed request may be huge; CloudFormation would reject them anyway.
    response.stack_id = cut(envelope.stack_id.clone(), ECHO_BYTES);
    response.request_id = cut(envelope.request_id.clone(), ECHO_BYTES);
    response.logical_resource_id = cut(envelope.logical_resource_id.clone(), ECHO_BYTES);
    response.data = answer.data.clone().into_iter().collect();
    response.reason = answer.reason.clone();
    let fits = |r: &CloudFormationCustomResourceResponse| serialize(r).len() <= MAX_BODY_BYTES;
    // JSON escaping can make an echoed field six times its length (control characters in a
    // hand-made request): shorten the echoes until they leave room for a reason.
    let mut limit = ECHO_BYTES;
    while limit > 16 && {
        let mut bare = response.clone();
        bare.reason = None;
        bare.data.clear();
        serialize(&bare).len() > MAX_BODY_BYTES - 512
    } {
        limit /= 2;
        for field in [
            &mut response.stack_id,
            &mut response.request_id,
            &mut response.logical_resource_id,
            &mut response.physical_resource_id,
        ] {
            *field = cut(std::mem::take(field), limit);
        }
    }
    if !fits(&response)
        && let Some(reason) = response.reason.take()
    {
        // Keep the longest start of the reason that fits (escaping makes bytes hard to predict).
        let ends: Vec<usize> = reason.char_indices().map(|(i, _)| i).collect();
        let (mut lo, mut hi) = (0, ends.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            response.reason = Some(format!("{}…", &reason[..ends[mid]]));
            if fits(&response) {
                lo = mid
            } else {
                hi = mid - 1
            }
        }
        // FAILED always carries a Reason (docs/design.md, "The answer"), however short.
        response.reason = Some(format!("{}…", &reason[..ends[lo]]));
    }
    if !fits(&response) {
        // Only Data can be too long now; drop it rather than send something CloudFormation rejects.
        response.data.clear();
    }
    serialize(&response)
}

/// The body with only the fields that have values: no `"Reason": null` on SUCCESS, no empty
/// `Data`, no `"NoEcho": false` (CloudFormation reads each as optional; a null where it expects a
/// string is a needless risk).
fn serialize(response: &CloudFormationCustomResourceResponse) -> Vec<u8> {
    let mut value = serde_json::to_value(response).expect("a response of strings serialises");
    if let Some(fields) = value.as_object_mut() {
        fields.retain(|_, v| match v {
            serde_json::Value::Null => false,
            serde_json::Value::Bool(b) => *b,
            serde_json::Value::Object(o) => !o.is_empty(),
            _ => true,
        });
    }
    serde_json::to_vec(&value).expect("a JSON value serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn envelope() -> Envelope {
        Envelope {
            request_id: "r-1".into(),
            response_url: "https://x.s3.amazonaws.com/y".into(),
            stack_id: "arn:aws:cloudformation:us-east-1:111111111111:stack/s/1".into(),
            logical_resource_id: "Delegation".into(),
            physical_resource_id: None,
        }
    }

    #[test]
    fn success_body_has_every_field() {
        let data = BTreeMap::from([("TTL".to_string(), "300".to_string())]);
        let body: Value = serde_json::from_slice(&body(
            &envelope(),
            &Answer::success("Z1/dev.example.com".into(), data),
        ))
        .unwrap();
        assert_eq!(body["Status"], "SUCCESS");
        assert_eq!(body["PhysicalResourceId"], "Z1/dev.example.com");
        assert_eq!(
            body["StackId"],
            "arn:aws:cloudformation:us-east-1:111111111111:stack/s/1"
        );
        assert_eq!(body["RequestId"], "r-1");
        assert_eq!(body["LogicalResourceId"], "Delegation");
        assert_eq!(body["Data"]["TTL"], "300");
        // Only fields with values: no null Reason, no false NoEcho.
        let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "Data",
                "LogicalResourceId",
                "PhysicalResourceId",
                "RequestId",
                "StackId",
                "Status"
            ]
        );
    }

    #[test]
    fn failed_bodies_always_carry_a_reason_and_no_empty_fields() {
        let body: Value = serde_json::from_slice(&body(
            &envelope(),
            &Answer::failed("failed-create:r-1".into(), "the child zone is gone".into()),
        ))
        .unwrap();
        assert_eq!(body["Reason"], "the child zone is gone");
        assert!(body.get("Data").is_none(), "{body}");
        assert!(body.get("NoEcho").is_none(), "{body}");
        let empty_success: Value = serde_json::from_slice(&body_of_success()).unwrap();
        assert!(empty_success.get("Reason").is_none(), "{empty_success}");
        assert!(empty_success.get("Data").is_none(), "{empty_success}");
    }

    fn body_of_success() -> Vec<u8> {
        body(
            &envelope(),
            &Answer::success("Z1/x.example.com".into(), BTreeMap::new()),
        )
    }

    #[test]
    fn long_reasons_are_cut_keeping_their_start() {
        let reason = format!("the parent zone refused: {}", "é\"x".repeat(3000));
        let bytes = body(
            &envelope(),
            &Answer::failed("failed-create:r-1".into(), reason),
        );
        assert!(bytes.len() <= MAX_BODY_BYTES, "{}", bytes.len());
        assert!(bytes.len() > MAX_BODY_BYTES - 16, "{}", bytes.len());
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(
            v["Reason"]
                .as_str()
                .unwrap()
                .starts_with("the parent zone refused: é\"x")
        );
        assert!(v["Reason"].as_str().unwrap().ends_with('…'));
    }

    #[test]
    fn echoed_fields_that_escape_long_still_fit() {
        let control = "\u{1}".repeat(600);
        let e = Envelope {
            request_id: control.clone(),
            stack_id: control.clone(),
            logical_resource_id: control.clone(),
            ..envelope()
        };
        let answer = Answer::failed(control, "the request is malformed".into());
        let bytes = body(&e, &answer);
        assert!(bytes.len() <= MAX_BODY_BYTES, "{}", bytes.len());
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(
            v["Reason"]
                .as_str()
                .unwrap()
                .starts_with("the request is malformed")
        );
        assert!(!v["PhysicalResourceId"].as_str().unwrap().is_empty());
    }

    #[test]
    fn huge_echoed_fields_still_fit() {
        let mut e = envelope();
        e.request_id = "r".repeat(100_000);
        let bytes = body(&e, &Answer::failed(String::new(), "bad".into()));
        assert!(bytes.len() <= MAX_BODY_BYTES);
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(
            v["PhysicalResourceId"]
                .as_str()
                .unwrap()
                .starts_with("failed-create:rrr")
        );
    }
}
