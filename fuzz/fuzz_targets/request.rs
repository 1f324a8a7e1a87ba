//! A Lambda event, as bytes, through everything the provider does before it talks to AWS: the
//! event is read like `invoke` reads a file, parsed (direct or SNS), its properties and IDs
//! validated, the ResponseURL checked, and the answer serialised. Nothing may panic, and every
//! answer must be JSON of at most 4096 bytes that echoes the request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::collections::BTreeMap;
use subdomain_delegation::cfn::request::{Envelope, Incoming, parse};
use subdomain_delegation::cfn::responder::{check_response_url, redact};
use subdomain_delegation::cfn::response::{Answer, MAX_BODY_BYTES, body, failed_create_id};
use subdomain_delegation::domain::plan::Identity;
use subdomain_delegation::domain::properties::Properties;

fn check_answer(envelope: &Envelope, answer: &Answer) {
    let bytes = body(envelope, answer);
    assert!(
        bytes.len() <= MAX_BODY_BYTES,
        "a {} byte answer (echoed fields of {}, {} and {} bytes, ID of {})",
        bytes.len(),
        envelope.request_id.len(),
        envelope.stack_id.len(),
        envelope.logical_resource_id.len(),
        answer.physical_resource_id.len()
    );
    let v: Value = serde_json::from_slice(&bytes).expect("the answer is JSON");
    assert_eq!(v["Status"], answer.status.as_str());
    let id = v["PhysicalResourceId"]
        .as_str()
        .expect("a PhysicalResourceId");
    assert!(!id.is_empty() && id.len() <= 1024);
    // Echoed fields are the request's own, at most cut short.
    for (key, sent) in [
        ("RequestId", &envelope.request_id),
        ("StackId", &envelope.stack_id),
        ("LogicalResourceId", &envelope.logical_resource_id),
    ] {
        let echoed = v[key].as_str().expect("echoed as a string");
        assert!(
            sent.starts_with(echoed),
            "{key} {echoed:?} is not a prefix of {sent:?}"
        );
    }
}

fn check_envelope(envelope: &Envelope) {
    for allow_loopback in [false, true] {
        if let Ok(url) = check_response_url(&envelope.response_url, allow_loopback) {
            let host = url.host_str().unwrap_or("").to_ascii_lowercase();
            let aws = url.scheme() == "https"
                && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"));
            assert!(
                aws || allow_loopback,
                "{:?} admitted without the loopback setting",
                envelope.response_url
            );
            assert!(url.username().is_empty() && url.password().is_none());
        }
    }
    let shown = redact(&envelope.response_url);
    if let Some((base, _)) = envelope.response_url.split_once('?') {
        assert_eq!(
            shown,
            format!("{base}?<redacted>"),
            "the query survived redaction"
        );
    }
    if let Some(id) = &envelope.physical_resource_id
        && let Some(identity) = Identity::parse(id)
    {
        assert_eq!(&identity.to_string(), id, "an Identity is its exact text");
    }
}

fuzz_target!(|data: &[u8]| {
    // What `invoke` does with a file, and what Lambda hands over: JSON, else a JSON string.
    let event = serde_json::from_slice::<Value>(data)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(data).into_owned()));
    match parse(event) {
        Incoming::Unanswerable(problem) => assert!(!problem.is_empty()),
        Incoming::Malformed { envelope, problem } => {
            assert!(!problem.is_empty());
            check_envelope(&envelope);
            check_answer(
                &envelope,
                &Answer::failed(failed_create_id(&envelope.request_id), problem),
            );
        }
        Incoming::Valid(request) => {
            check_envelope(&request.envelope);
            let outcome = Properties::from_json(&request.properties);
            let answer = match outcome {
                Err(e) => Answer::failed(
                    request
                        .envelope
                        .physical_resource_id
                        .clone()
                        .unwrap_or_default(),
                    e.to_string(),
                ),
                Ok(props) => {
                    let data: BTreeMap<String, String> = [
                        ("TTL".to_owned(), props.ttl.to_string()),
                        (
                            "DelegatedName".to_owned(),
                            props
                                .delegated_name
                                .map(|n| n.to_string())
                                .unwrap_or_default(),
                        ),
                        (
                            "ChildHostedZoneId".to_owned(),
                            props.child_zone_id.to_string(),
                        ),
                    ]
                    .into();
                    Answer::success(
                        request
                            .envelope
                            .physical_resource_id
                            .clone()
                            .unwrap_or_default(),
                        data,
                    )
                }
            };
            check_answer(&request.envelope, &answer);
        }
    }
});
