//! Issue "Route 53 as it is now: change guardrails …": the packaged binary against the fault
//! proxy's Route 53 Change Guardrail refusals (docs/design.md, "Lifecycle", Change Guardrails).
//! A refusal is definite: exactly one ChangeResourceRecordSets call, one FAILED answer whose Reason
//! names the guardrail, says what to do and quotes Route 53, the parent zone unchanged, and the
//! PhysicalResourceId the lifecycle rules give. (A concurrent edit on Delete is not a guardrail:
//! tests/rules.rs and tests/sdk_mocks.rs show it read again and retried.) Every answer body is checked against CloudFormation's response
//! object (a strict schema written out below) and the project's "only fields with values" rule.
//!
//! Request verification stays off here, as in tests/reliability.rs (tests/forgery.rs has it on).

use crate::support::rig::{Outcome, Rig};
use crate::support::*;
use serde_json::{Map, Value, json};
use std::ops::Deref;

/// CloudFormation's limit on the response object.
const MAX_BODY: usize = 4096;

// ---- the response object -------------------------------------------------------------------

/// CloudFormation's custom resource response object as a strict JSON schema:
/// `{"type": "object", "additionalProperties": false,
///   "required": ["Status", "PhysicalResourceId", "StackId", "RequestId", "LogicalResourceId"],
///   "properties": {"Status": {"enum": ["SUCCESS", "FAILED"]},
///     "PhysicalResourceId": {"type": "string", "minLength": 1, "maxBytes": 1024},
///     "StackId": {"type": "string"}, "RequestId": {"type": "string"},
///     "LogicalResourceId": {"type": "string"}, "Reason": {"type": "string"},
///     "NoEcho": {"type": "boolean"},
///     "Data": {"type": "object", "additionalProperties": {"type": "string"}}},
///   "if": {"properties": {"Status": {"const": "FAILED"}}}, "then": {"required": ["Reason"]}}`
/// and the whole body at most 4096 bytes. Returns every violation.
fn schema_violations(body: &[u8]) -> Vec<String> {
    let mut errors = Vec::new();
    if body.len() > MAX_BODY {
        errors.push(format!("the body is {} bytes, over {MAX_BODY}", body.len()));
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return vec![format!("not JSON: {e}")],
    };
    let Some(fields) = value.as_object() else {
        return vec![format!("not a JSON object: {value}")];
    };
    const REQUIRED: [&str; 5] = [
        "Status",
        "PhysicalResourceId",
        "StackId",
        "RequestId",
        "LogicalResourceId",
    ];
    const OPTIONAL: [&str; 3] = ["Reason", "NoEcho", "Data"];
    for key in fields.keys() {
        if !REQUIRED.contains(&key.as_str()) && !OPTIONAL.contains(&key.as_str()) {
            errors.push(format!("additional property {key:?}"));
        }
    }
    for key in REQUIRED {
        if !fields.contains_key(key) {
            errors.push(format!("required property {key:?} is missing"));
        }
    }
    let string = |key: &str, errors: &mut Vec<String>| -> Option<String> {
        match fields.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                errors.push(format!("{key} must be a string, not {other}"));
                None
            }
        }
    };
    let status = string("Status", &mut errors);
    if let Some(status) = &status
        && status != "SUCCESS"
        && status != "FAILED"
    {
        errors.push(format!("Status {status:?} is neither SUCCESS nor FAILED"));
    }
    if let Some(id) = string("PhysicalResourceId", &mut errors) {
        if id.is_empty() {
            errors.push("PhysicalResourceId is empty".into());
        }
        if id.len() > 1024 {
            errors.push(format!(
                "PhysicalResourceId is {} bytes, over 1024",
                id.len()
            ));
        }
    }
    for key in ["StackId", "RequestId", "LogicalResourceId", "Reason"] {
        string(key, &mut errors);
    }
    if status.as_deref() == Some("FAILED") && !fields.contains_key("Reason") {
        errors.push("a FAILED answer requires a Reason".into());
    }
    if let Some(no_echo) = fields.get("NoEcho")
        && !no_echo.is_boolean()
    {
        errors.push(format!("NoEcho must be a boolean, not {no_echo}"));
    }
    match fields.get("Data") {
        None => {}
        Some(Value::Object(data)) => {
            for (k, v) in data {
                if !v.is_string() {
                    errors.push(format!("Data.{k} must be a string, not {v}"));
                }
            }
        }
        Some(other) => errors.push(format!("Data must be an object, not {other}")),
    }
    errors
}

/// The project's rule on top of the schema (docs/design.md, "The answer"): only fields that have
/// values: no null, no empty `Data`, no `"NoEcho": false`.
fn empty_fields(body: &[u8]) -> Vec<String> {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return vec!["not a JSON object".into()];
    };
    fields
        .iter()
        .filter_map(|(k, v)| match v {
            Value::Null => Some(format!("\"{k}\": null")),
            Value::Bool(false) => Some(format!("\"{k}\": false")),
            Value::Object(o) if o.is_empty() => Some(format!("\"{k}\": {{}}")),
            _ => None,
        })
        .collect()
}

/// A PUT answer is a valid response object with only valued fields, echoing the request.
fn assert_valid_answer(put: &Put, event: &Value) {
    let text = String::from_utf8_lossy(&put.body);
    let violations = schema_violations(&put.body);
    assert!(violations.is_empty(), "{violations:?}: {text}");
    let empty = empty_fields(&put.body);
    assert!(empty.is_empty(), "fields without values {empty:?}: {text}");
    assert_eq!(put.method, "PUT");
    assert_eq!(put.content_type.as_deref(), Some(""), "{text}");
    assert_eq!(put.content_length, Some(put.body.len()));
    let answer = put.json();
    for key in ["StackId", "RequestId", "LogicalResourceId"] {
        assert_eq!(answer[key], event[key], "{key} is echoed: {text}");
    }
}

#[test]
fn the_schema_check_refuses_what_cloudformation_would() {
    let good = json!({
        "Status": "FAILED", "Reason": "r", "PhysicalResourceId": "p", "StackId": "s",
        "RequestId": "q", "LogicalResourceId": "l",
    });
    assert_eq!(
        schema_violations(good.to_string().as_bytes()),
        Vec::<String>::new()
    );
    let mut ok_success = good.clone();
    ok_success["Status"] = json!("SUCCESS");
    ok_success.as_object_mut().unwrap().remove("Reason");
    ok_success["NoEcho"] = json!(true);
    ok_success["Data"] = json!({"A": "1", "B": ""});
    assert_eq!(
        schema_violations(ok_success.to_string().as_bytes()),
        Vec::<String>::new()
    );
    assert_eq!(
        empty_fields(ok_success.to_string().as_bytes()),
        Vec::<String>::new()
    );

    let with = |key: &str, value: Value| {
        let mut v = good.clone();
        v[key] = value;
        v.to_string().into_bytes()
    };
    let without = |key: &str| {
        let mut v: Map<String, Value> = good.as_object().unwrap().clone();
        v.remove(key);
        Value::Object(v).to_string().into_bytes()
    };
    for (what, bad) in [
        ("status", with("Status", json!("OK"))),
        ("null reason", with("Reason", Value::Null)),
        ("numeric reason", with("Reason", json!(3))),
        ("empty id", with("PhysicalResourceId", json!(""))),
        (
            "long id",
            with("PhysicalResourceId", json!("x".repeat(1025))),
        ),
        ("null stack", with("StackId", Value::Null)),
        ("string NoEcho", with("NoEcho", json!("true"))),
        ("numeric data", with("Data", json!({"TTL": 300}))),
        ("array data", with("Data", json!(["a"]))),
        ("extra", with("Extra", json!("x"))),
        ("no reason on FAILED", without("Reason")),
        ("no request id", without("RequestId")),
        ("too long", with("Reason", json!("r".repeat(MAX_BODY)))),
        ("not an object", b"[]".to_vec()),
    ] {
        assert!(
            !schema_violations(&bad).is_empty(),
            "{what} must be refused"
        );
    }
    for (what, bad) in [
        ("null reason", with("Reason", Value::Null)),
        ("false NoEcho", with("NoEcho", json!(false))),
        ("empty data", with("Data", json!({}))),
    ] {
        assert!(!empty_fields(&bad).is_empty(), "{what} must be refused");
    }
}

// ---- the rig ---------------------------------------------------------------------------------

/// The [`Rig`] with a 60 s timeout, every answer also checked against the response object.
struct Guarded(Rig);

impl Deref for Guarded {
    type Target = Rig;
    fn deref(&self) -> &Rig {
        &self.0
    }
}

impl Guarded {
    async fn new() -> Guarded {
        let mut rig = Rig::new().await;
        rig.timeout = Some(60);
        Guarded(rig)
    }

    /// One invocation ([`Rig::send`]: exactly one answer PUT, the one printed, one summary
    /// line), the answer valid; the proxy's log entries of the request.
    async fn invoke(&self, event: &Value) -> Outcome {
        let out = self.send(event).await;
        assert_valid_answer(&out.puts[0], event);
        out
    }

    async fn guardrail(&self, guardrail: &str, action: &str, count: Option<u32>) {
        let mut rule = json!({
            "service": "route53",
            "fault": "guardrail",
            "guardrail": guardrail,
            "change_action": action,
            "record_name": "dev.example.com",
        });
        if let Some(n) = count {
            rule["count"] = json!(n);
        }
        self.proxy.rules(json!([rule])).await;
    }

    async fn create(&self, props: &Value) -> String {
        let out = self.invoke(&self.driver.create(props)).await;
        assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
        assert_eq!(out.run.physical_id(), self.id("dev.example.com"));
        self.id("dev.example.com")
    }
}

/// A definite refusal: FAILED, its Reason in the answer's shape naming the guardrail, what to do
/// and Route 53's words; ONE ChangeResourceRecordSets call; the parent zone as before.
async fn assert_definite_refusal(
    rig: &Rig,
    what: &str,
    out: &Outcome,
    kind: &str,
    words: &[&str],
    want_id: &str,
    before: &[Rec],
) {
    let run = &out.run;
    assert_eq!(run.status(), "FAILED", "{what}: {}", run.logs);
    let reason = run.reason();
    assert!(
        reason.starts_with(&format!("{kind} failed: "))
            && reason.ends_with("Log stream: local-invoke"),
        "{what}: the Reason's shape: {reason}"
    );
    for w in words {
        assert!(
            reason.contains(w),
            "{what}: the Reason says {w:?}: {reason}"
        );
    }
    let changes = out.change_calls();
    assert_eq!(
        changes.len(),
        1,
        "{what}: a definite refusal is not retried: {changes:?}"
    );
    assert_eq!(changes[0]["status"], 400, "{what}");
    assert_eq!(run.physical_id(), want_id, "{what}");
    assert_eq!(
        rig.w.parent_records().await,
        before,
        "{what}: nothing is changed"
    );
    let summary = &run.summaries()[0];
    assert_eq!(summary["status"], "FAILED", "{summary}");
    assert_eq!(summary["action"], "failed", "{summary}");
}

// ---- the tests -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guardrail_refusals_on_create_are_definite_and_change_nothing() {
    let rig = Guarded::new().await;
    let before = rig.w.parent_records().await;
    for (guardrail, advice) in [
        ("NS_DELEGATION_AUTHORITY_CHECK", "check the child zone"),
        ("NS_FORMAT_CHECK", "check the child zone's name servers"),
        ("NS_OCCLUSION_CHECK", "Move or delete those records first"),
    ] {
        rig.proxy.reset().await;
        rig.guardrail(guardrail, "UPSERT", None).await;
        let event = rig.driver.create(&rig.w.props());
        let out = rig.invoke(&event).await;
        assert_definite_refusal(
            &rig,
            guardrail,
            &out,
            "Create",
            &[
                &format!("Route 53's Change Guardrail {guardrail} refused the change"),
                advice,
                "Route 53 said: ",
                &format!("[RRSet with DNS name dev.example.com., type NS] rejected by Change Guardrail {guardrail}: "),
            ],
            &format!("failed-create:{}", event["RequestId"].as_str().unwrap()),
            &before,
        )
        .await;
    }

    // Any other InvalidChangeBatch that is not a concurrent edit is just as definite.
    rig.proxy.reset().await;
    rig.proxy
        .rules(json!([{"fault": "invalid_change_batch", "change_action": "UPSERT"}]))
        .await;
    let event = rig.driver.create(&rig.w.props());
    let out = rig.invoke(&event).await;
    assert_definite_refusal(
        &rig,
        "an invalid batch",
        &out,
        "Create",
        &[
            "Route 53 refused the change batch: ",
            "InvalidChangeBatch: [Tried to upsert resource record set [name='dev.example.com.', type='NS'] but the change batch is invalid]",
        ],
        &format!("failed-create:{}", event["RequestId"].as_str().unwrap()),
        &before,
    )
    .await;

    // Once Route 53 lets it through, the same Create succeeds.
    rig.proxy.reset().await;
    rig.create(&rig.w.props()).await;
    assert_eq!(
        rig.w.delegations().await,
        vec![rig.expected_ns("dev.example.com", 172800).await]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guardrail_refusals_on_an_update_answer_the_existing_id() {
    let rig = Guarded::new().await;
    let props = rig.w.props();
    let id = rig.create(&props).await;
    let before = rig.w.parent_records().await;
    let mut new_ttl = props.clone();
    new_ttl["TTL"] = json!("300");

    // Converging in place (same identity, another TTL).
    for (guardrail, advice) in [
        ("NS_FORMAT_CHECK", "check the child zone's name servers"),
        ("NS_OCCLUSION_CHECK", "Move or delete those records first"),
        ("NS_DELEGATION_AUTHORITY_CHECK", "check the child zone"),
    ] {
        rig.proxy.reset().await;
        rig.guardrail(guardrail, "UPSERT", None).await;
        let out = rig.invoke(&rig.driver.update(&id, &new_ttl, &props)).await;
        assert_definite_refusal(
            &rig,
            guardrail,
            &out,
            "Update",
            &[guardrail, advice, "Route 53 said:"],
            &id,
            &before,
        )
        .await;
    }

    // A replacing Update (another name) refused before it wrote anything keeps the existing ID.
    let other_zone = create_zone(&rig.w.child, "dev2.example.com").await;
    let mut other = props.clone();
    other["ChildHostedZoneId"] = json!(other_zone);
    rig.proxy.reset().await;
    rig.proxy
        .rules(json!([{"fault": "guardrail", "guardrail": "NS_DELEGATION_AUTHORITY_CHECK", "record_name": "dev2.example.com"}]))
        .await;
    let out = rig.invoke(&rig.driver.update(&id, &other, &props)).await;
    assert_definite_refusal(
        &rig,
        "a replacing Update",
        &out,
        "Update",
        &[
            "NS_DELEGATION_AUTHORITY_CHECK",
            "check the child zone",
            "dev2.example.com.",
        ],
        &id,
        &before,
    )
    .await;

    // Allowed again: the TTL converges.
    rig.proxy.reset().await;
    let out = rig.invoke(&rig.driver.update(&id, &new_ttl, &props)).await;
    assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
    assert_eq!(out.run.physical_id(), id);
    assert_eq!(
        rig.w.delegations().await,
        vec![rig.expected_ns("dev.example.com", 300).await]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guardrail_refusals_on_delete_fail_the_delete_and_the_retry_succeeds() {
    let rig = Guarded::new().await;
    let props = rig.w.props();
    for (guardrail, words) in [
        (
            "ACTIVE_DELEGATION_CHECK",
            &[
                "move traffic off the child zone first",
                "DELETE_FAILED",
                "DeletionPolicy: Retain",
            ][..],
        ),
        ("ACTIVE_RECORD_CHECK", &["move traffic off it first"][..]),
        (
            "ALIAS_TARGET_CHECK",
            &["change or delete the alias first"][..],
        ),
    ] {
        let id = rig.create(&props).await;
        let before = rig.w.parent_records().await;
        rig.proxy.reset().await;
        // Route 53 refuses once; the stack shows DELETE_FAILED; the retried Delete passes.
        rig.guardrail(guardrail, "DELETE", Some(1)).await;
        let out = rig.invoke(&rig.driver.delete(&id, &props)).await;
        assert_definite_refusal(
            &rig,
            guardrail,
            &out,
            "Delete",
            &[&[guardrail, "Route 53 said:"][..], words].concat(),
            &id,
            &before,
        )
        .await;
        let retried = rig.invoke(&rig.driver.delete(&id, &props)).await;
        assert_eq!(retried.run.status(), "SUCCESS", "{}", retried.run.logs);
        assert_eq!(retried.run.physical_id(), id);
        assert_eq!(retried.change_calls().len(), 1);
        assert!(
            rig.w.delegations().await.is_empty(),
            "{guardrail}: the record is gone"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_blocked_by_an_active_delegation_succeeds_once_route53_allows_it() {
    let rig = Guarded::new().await;
    let props = rig.w.props();
    let id = rig.create(&props).await;
    let before = rig.w.parent_records().await;
    rig.proxy.reset().await;
    rig.guardrail("ACTIVE_DELEGATION_CHECK", "DELETE", None)
        .await;
    // CloudFormation's Delete, then the operator's retry while traffic still flows.
    for attempt in 1..=2 {
        let out = rig.invoke(&rig.driver.delete(&id, &props)).await;
        assert_definite_refusal(
            &rig,
            &format!("attempt {attempt}"),
            &out,
            "Delete",
            &[
                "ACTIVE_DELEGATION_CHECK",
                "move traffic off the child zone first",
                "DELETE_FAILED",
            ],
            &id,
            &before,
        )
        .await;
    }
    // Traffic moved off: Route 53 allows the deletion.
    rig.proxy.reset().await;
    let out = rig.invoke(&rig.driver.delete(&id, &props)).await;
    assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
    assert_eq!(out.change_calls().len(), 1);
    assert!(rig.w.delegations().await.is_empty());
    assert_eq!(out.run.summaries()[0]["action"], "deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_bodies_hold_only_valued_fields_within_cloudformations_schema() {
    let rig = Guarded::new().await;
    let props = rig.w.props();
    // SUCCESS with Data (every value a string, DsRecord empty), then a Delete with none.
    let created = rig.invoke(&rig.driver.create(&props)).await;
    assert_eq!(created.run.status(), "SUCCESS");
    let data = created.run.answer["Data"].as_object().unwrap();
    let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, DATA_KEYS);
    assert!(created.run.answer.get("Reason").is_none());
    let deleted = rig
        .invoke(&rig.driver.delete(created.run.physical_id(), &props))
        .await;
    assert_eq!(deleted.run.status(), "SUCCESS");
    assert!(
        deleted.run.answer.get("Data").is_none(),
        "{}",
        deleted.run.answer
    );
    // A Delete of a marker: SUCCESS, no AWS call.
    let marker = rig
        .invoke(&rig.driver.delete("failed-create:abc", &props))
        .await;
    assert_eq!(marker.run.status(), "SUCCESS");
    assert!(marker.calls.is_empty(), "{:?}", marker.calls);

    // FAILED: a guardrail (above), a bad property, a Reason far over the limit, huge echoes.
    rig.guardrail("NS_FORMAT_CHECK", "UPSERT", None).await;
    let refused = rig.invoke(&rig.driver.create(&props)).await;
    assert_eq!(refused.run.status(), "FAILED");
    rig.proxy.reset().await;
    let mut bad = props.clone();
    bad[format!("Typo{}", "x".repeat(6000))] = json!("1");
    let failed = rig.invoke(&rig.driver.create(&bad)).await;
    assert_eq!(failed.run.status(), "FAILED", "{}", failed.run.logs);
    assert!(failed.run.reason().starts_with("Create failed: "));
    let mut huge = rig.driver.create(&props);
    huge["LogicalResourceId"] = json!("L".repeat(5000));
    huge["RequestId"] = json!("r".repeat(5000));
    huge["ResourceProperties"]["TTL"] = json!("not a number");
    let run = invoke_packaged(&huge, &rig.env, Some(60)).await;
    run.assert_clean("huge echoes");
    assert_eq!(run.status(), "FAILED", "{}", run.logs);
    let put = rig.receiver.puts().pop().unwrap();
    let violations = schema_violations(&put.body);
    assert!(violations.is_empty(), "{violations:?}");
    assert!(empty_fields(&put.body).is_empty());
    assert!(put.body.len() <= MAX_BODY);
}
