//! Reading what CloudFormation sends: directly, or wrapped in an SNS notification.

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest;
use serde_json::Value;

pub use crate::domain::model::RequestKind;

/// The fields an answer must echo, whatever else is wrong with the request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    pub request_id: String,
    pub response_url: String,
    pub stack_id: String,
    pub logical_resource_id: String,
    pub physical_resource_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub envelope: Envelope,
    pub kind: RequestKind,
    pub resource_type: String,
    pub properties: Value,
}

#[derive(Debug, PartialEq)]
pub enum Incoming {
    Valid(Request),
    /// Not a well-formed request, but it names a ResponseURL: answer FAILED saying why.
    Malformed {
        envelope: Envelope,
        problem: String,
    },
    /// Nothing to answer to: log and drop.
    Unanswerable(String),
}

/// Parses a Lambda event: a CloudFormation request, or an SNS notification carrying one.
pub fn parse(event: Value) -> Incoming {
    let event = match unwrap_sns(event) {
        Ok(event) => event,
        Err(problem) => return Incoming::Unanswerable(problem),
    };
    if !event.is_object() {
        return Incoming::Unanswerable("the event is not a JSON object".into());
    }
    let Some(response_url) = event.get("ResponseURL").and_then(Value::as_str) else {
        return Incoming::Unanswerable(
            "the event has no ResponseURL, so it is not a CloudFormation custom resource request"
                .into(),
        );
    };
    let text = |key: &str| event.get(key).and_then(Value::as_str).map(str::to_owned);
    let envelope = Envelope {
        request_id: text("RequestId").unwrap_or_default(),
        response_url: response_url.to_owned(),
        stack_id: text("StackId").unwrap_or_default(),
        logical_resource_id: text("LogicalResourceId").unwrap_or_default(),
        physical_resource_id: text("PhysicalResourceId"),
    };
    if let Some(problem) = missing_envelope_field(&event) {
        return Incoming::Malformed { envelope, problem };
    }
    match serde_json::from_value::<CloudFormationCustomResourceRequest>(event) {
        Ok(request) => match from_library(request, envelope.clone()) {
            Some(request) => Incoming::Valid(request),
            None => Incoming::Malformed {
                envelope,
                problem: "the RequestType is not Create, Update or Delete".into(),
            },
        },
        Err(e) => Incoming::Malformed {
            envelope,
            problem: format!("the request is malformed: {e}"),
        },
    }
}

fn unwrap_sns(event: Value) -> Result<Value, String> {
    let Some(records) = event.get("Records") else {
        return Ok(event);
    };
    let message = records
        .get(0)
        .and_then(|r| r.get("Sns"))
        .and_then(notification_message)
        .ok_or("the event has Records but no Records[0].Sns.Message string")?;
    serde_json::from_str(message).map_err(|e| format!("the SNS message is not JSON: {e}"))
}

/// The message an SNS notification carries: Lambda's `Records[].Sns`, or an SQS body that SNS
/// delivered (`"Type": "Notification"`). Read leniently (only `Type` and `Message`), so that a
/// hostile or truncated notification is answered or dropped by what it carries, not refused whole.
pub(super) fn notification_message(notification: &Value) -> Option<&str> {
    let typed = notification.get("Type").and_then(Value::as_str);
    if !matches!(typed, None | Some("Notification")) {
        return None;
    }
    notification.get("Message").and_then(Value::as_str)
}

/// Checks the envelope strings first, so their absence is named plainly rather than as a serde error.
fn missing_envelope_field(event: &Value) -> Option<String> {
    let required: &[&str] = match event.get("RequestType").and_then(Value::as_str) {
        Some("Update") | Some("Delete") => &[
            "RequestId",
            "StackId",
            "LogicalResourceId",
            "ResourceType",
            "PhysicalResourceId",
        ],
        Some("Create") => &["RequestId", "StackId", "LogicalResourceId", "ResourceType"],
        Some(other) => {
            let shown: String = other.chars().take(40).collect();
            return Some(format!(
                "RequestType {shown:?} is not Create, Update or Delete"
            ));
        }
        None => return Some("the request has no RequestType string".into()),
    };
    for field in required {
        match event.get(*field) {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(Value::String(_)) => return Some(format!("the request's {field} is empty")),
            Some(_) => return Some(format!("the request's {field} is not a string")),
            None => return Some(format!("the request has no {field}")),
        }
    }
    if !matches!(event.get("ResourceProperties"), Some(Value::Object(_))) {
        return Some("the request's ResourceProperties is missing or not an object".into());
    }
    // Checked here too so the reason names them (the library's error would not).
    if event.get("RequestType").and_then(Value::as_str) == Some("Update")
        && event.get("OldResourceProperties").is_none()
    {
        return Some("the request has no OldResourceProperties".into());
    }
    if !matches!(
        event.get("ServiceToken"),
        None | Some(Value::Null) | Some(Value::String(_))
    ) {
        return Some("the request's ServiceToken is not a string".into());
    }
    None
}

fn from_library(
    request: CloudFormationCustomResourceRequest,
    envelope: Envelope,
) -> Option<Request> {
    Some(match request {
        CloudFormationCustomResourceRequest::Create(r) => Request {
            envelope,
            kind: RequestKind::Create,
            resource_type: r.resource_type,
            properties: r.resource_properties,
        },
        CloudFormationCustomResourceRequest::Update(r) => Request {
            envelope,
            kind: RequestKind::Update,
            resource_type: r.resource_type,
            properties: r.resource_properties,
        },
        CloudFormationCustomResourceRequest::Delete(r) => Request {
            envelope,
            kind: RequestKind::Delete,
            resource_type: r.resource_type,
            properties: r.resource_properties,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create() -> Value {
        json!({
            "RequestType": "Create",
            "ServiceToken": "arn:aws:lambda:us-east-1:111111111111:function:p",
            "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=s",
            "StackId": "arn:aws:cloudformation:us-east-1:111111111111:stack/s/1",
            "RequestId": "r-1",
            "ResourceType": "Custom::SubdomainDelegation",
            "LogicalResourceId": "Delegation",
            "ResourceProperties": {"ServiceToken": "x", "ParentHostedZoneId": "Z1", "ChildHostedZoneId": "Z2"}
        })
    }

    #[test]
    fn direct_and_sns_requests_parse_alike() {
        let Incoming::Valid(direct) = parse(create()) else {
            panic!()
        };
        assert_eq!(direct.kind, RequestKind::Create);
        assert_eq!(direct.envelope.request_id, "r-1");
        assert_eq!(direct.properties["ChildHostedZoneId"], "Z2");
        let sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": create().to_string()}}]});
        assert_eq!(parse(sns), Incoming::Valid(direct));
    }

    #[test]
    fn update_and_delete_carry_ids() {
        let mut e = create();
        e["RequestType"] = json!("Update");
        e["PhysicalResourceId"] = json!("Z1/dev.example.com");
        e["OldResourceProperties"] = json!({"TTL": "60"});
        let Incoming::Valid(r) = parse(e.clone()) else {
            panic!()
        };
        assert_eq!(r.kind, RequestKind::Update);
        assert_eq!(
            r.envelope.physical_resource_id.as_deref(),
            Some("Z1/dev.example.com")
        );
        e["RequestType"] = json!("Delete");
        let Incoming::Valid(r) = parse(e) else {
            panic!()
        };
        assert_eq!(r.kind, RequestKind::Delete);
    }

    #[test]
    fn malformed_requests_with_a_url_are_answerable() {
        let mut e = create();
        e["RequestType"] = json!("Replace");
        let Incoming::Malformed { envelope, problem } = parse(e) else {
            panic!()
        };
        assert_eq!(envelope.request_id, "r-1");
        assert!(
            problem.contains("\"Replace\" is not Create, Update or Delete"),
            "{problem}"
        );

        let mut e = create();
        e["RequestType"] = json!("Update");
        let Incoming::Malformed { problem, .. } = parse(e) else {
            panic!()
        };
        assert_eq!(problem, "the request has no PhysicalResourceId");

        let mut e = create();
        e["StackId"] = json!(5);
        let Incoming::Malformed { problem, .. } = parse(e) else {
            panic!()
        };
        assert_eq!(problem, "the request's StackId is not a string");

        let mut e = create();
        e["ResourceProperties"] = json!("Z1");
        assert!(matches!(parse(e), Incoming::Malformed { .. }));

        let mut e = create();
        e["ServiceToken"] = json!({"Fn::GetAtt": ["Provider", "Arn"]});
        let Incoming::Malformed { problem, .. } = parse(e) else {
            panic!()
        };
        assert_eq!(problem, "the request's ServiceToken is not a string");

        let mut e = create();
        e["RequestType"] = json!("Update");
        e["PhysicalResourceId"] = json!("Z1/dev.example.com");
        let Incoming::Malformed { problem, .. } = parse(e) else {
            panic!()
        };
        assert_eq!(problem, "the request has no OldResourceProperties");
    }

    #[test]
    fn events_without_a_url_are_unanswerable() {
        assert!(matches!(
            parse(json!({"hello": 1})),
            Incoming::Unanswerable(_)
        ));
        assert!(matches!(parse(json!([1, 2])), Incoming::Unanswerable(_)));
        assert!(matches!(
            parse(json!({"Records": []})),
            Incoming::Unanswerable(_)
        ));
        assert!(matches!(
            parse(json!({"Records": [{"Sns": {"Message": "not json"}}]})),
            Incoming::Unanswerable(_)
        ));
        let mut e = create();
        e["ResponseURL"] = json!(42);
        assert!(matches!(parse(e), Incoming::Unanswerable(_)));
    }
}
