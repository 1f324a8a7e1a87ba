//! The packaged binary under a real Lambda Runtime API emulator: `cargo lambda watch
//! --only-lambda-apis` serves the Runtime API, the binary built by `cargo lambda build --release`
//! polls it exactly as in Lambda (AWS_LAMBDA_RUNTIME_API), and `cargo lambda invoke --data-file`
//! sends it the shipped `examples/events/*.json` (zone IDs mapped to moto's, ResponseURL to a
//! loopback receiver). Checks the lifecycle, the JSON logs (AWS_LAMBDA_LOG_FORMAT=JSON), one
//! summary line per request, that the runtime survives events it cannot answer, and the scheduled
//! audit event (its summary returned, its findings and EMF metrics printed). Offline:
//! cargo-lambda comes from the project venv, and a missing one fails the test.

use crate::support::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const LOG_STREAM: &str = "2026/11/27/[$LATEST]0123456789abcdef";

/// cargo-lambda: `CARGO_LAMBDA`, else the project venv's. Missing is a failure, not a skip.
fn cargo_lambda() -> PathBuf {
    let p = std::env::var("CARGO_LAMBDA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join(".venv/bin/cargo-lambda"));
    assert!(
        p.exists(),
        "cargo-lambda is missing at {}: run scripts/venv (it installs cargo-lambda from scripts/requirements.txt), or set CARGO_LAMBDA",
        p.display()
    );
    p
}

/// A process killed (and reaped) on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `cargo lambda watch --only-lambda-apis` on a free loopback port.
fn start_runtime_api(port: u16) -> Proc {
    let child = Command::new(cargo_lambda())
        .args(["lambda", "watch", "--only-lambda-apis", "--ignore-changes"])
        .args(["-A", "127.0.0.1", "-P", &port.to_string()])
        .current_dir(repo_root())
        .env("CARGO_NET_OFFLINE", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting cargo lambda watch");
    let proc = Proc(child);
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "cargo lambda watch did not listen on {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    proc
}

/// `cargo lambda invoke --data-file`; returns what the function returned.
fn lambda_invoke(port: u16, event: &Value) -> String {
    let dir = repo_root().join("target/test-events");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("runtime-{}.json", uuid()));
    std::fs::write(&path, serde_json::to_vec_pretty(event).unwrap()).unwrap();
    let out = Command::new(cargo_lambda())
        .args([
            "lambda",
            "invoke",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
        ])
        .arg("--data-file")
        .arg(&path)
        .arg("_")
        .env("CARGO_NET_OFFLINE", "true")
        .output()
        .expect("running cargo lambda invoke");
    std::fs::remove_file(&path).ok();
    assert!(
        out.status.success(),
        "cargo lambda invoke failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The packaged bootstrap polling the Runtime API on `port`, with the environment Lambda sets for
/// a provided.al2023 function plus the provider's test settings; its output goes to the returned
/// log file.
fn start_function(port: u16, moto_endpoint: &str) -> (Proc, PathBuf) {
    let log_path = repo_root().join(format!("target/test-events/runtime-{}.log", uuid()));
    std::fs::create_dir_all(log_path.parent().unwrap()).unwrap();
    let log_file = std::fs::File::create(&log_path).unwrap();
    let mut function = Command::new(bootstrap());
    for var in [
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL_ROUTE_53",
        "AWS_ENDPOINT_URL_STS",
        "AWS_SESSION_TOKEN",
        "RUST_LOG",
    ] {
        function.env_remove(var);
    }
    function
        .envs(lambda_env(moto_endpoint))
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("http://127.0.0.1:{port}/.rt"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            "/aws/lambda/subdomain-delegation",
        )
        .env("AWS_LAMBDA_LOG_STREAM_NAME", LOG_STREAM)
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file);
    let function = Proc(function.spawn().expect("starting the packaged bootstrap"));
    (function, log_path)
}

/// Checks that the function is still serving the runtime, stops it and returns its output.
fn stop_function(mut function: Proc, log_path: &Path) -> String {
    assert!(
        function.0.try_wait().unwrap().is_none(),
        "the function process is still serving the runtime"
    );
    drop(function);
    let logs = std::fs::read_to_string(log_path).unwrap();
    std::fs::remove_file(log_path).ok();
    logs
}

/// An example event with moto's zone IDs and the receiver's URL, wherever the request sits.
fn localise(file: &str, w: &World, receiver: &Receiver) -> Value {
    let text = std::fs::read_to_string(repo_root().join("examples/events").join(file))
        .unwrap_or_else(|e| panic!("examples/events/{file}: {e}"))
        .replace("Z0EXAMPLEPARENT00001", &w.parent_zone)
        .replace("Z0EXAMPLECHILD000001", &w.child_zone);
    let mut event: Value = serde_json::from_str(&text).unwrap();
    let url = receiver.presigned(file);
    if let Some(message) = event["Records"][0]["Sns"]["Message"].as_str() {
        let mut inner: Value = serde_json::from_str(message).unwrap();
        inner["ResponseURL"] = json!(url);
        event["Records"][0]["Sns"]["Message"] = json!(inner.to_string());
    } else {
        event["ResponseURL"] = json!(url);
    }
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packaged_binary_under_cargo_lambda_watch_handles_the_example_events() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let port = free_port();
    let _api = start_runtime_api(port);

    let (function, log_path) = start_function(port, &w.moto.endpoint);

    let ns = fqdn_sorted(&name_servers(&w.child, &w.child_zone).await);
    let dev = |ttl: i64| {
        (
            "dev.example.com.".to_string(),
            "NS".to_string(),
            ttl,
            ns.clone(),
        )
    };
    // (event file, the parent zone's delegations afterwards)
    let steps: Vec<(&str, Vec<Rec>)> = vec![
        ("create.json", vec![dev(172800)]),
        ("update-ttl.json", vec![dev(300)]),
        ("delete.json", vec![]),
        ("create-parent-by-name.json", vec![dev(172800)]),
        ("create-via-sns.json", vec![dev(172800)]),
        ("delete.json", vec![]),
    ];
    let mut sent = 0;
    for (i, (file, want)) in steps.iter().enumerate() {
        let event = localise(file, &w, &receiver);
        let returned = tokio::task::spawn_blocking(move || lambda_invoke(port, &event))
            .await
            .unwrap();
        assert_eq!(returned, "null", "{file}: the function's own result");
        sent += 1;
        let puts = receiver.puts();
        assert_eq!(puts.len(), sent, "step {i} ({file}) answered once");
        let answer = puts[sent - 1].json();
        assert_eq!(
            answer["Status"],
            "SUCCESS",
            "step {i} ({file}): {answer}\n{}",
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
        assert_eq!(puts[sent - 1].content_type.as_deref(), Some(""));
        assert_eq!(
            puts[sent - 1].content_length,
            Some(puts[sent - 1].body.len())
        );
        assert_eq!(&w.delegations().await, want, "after step {i} ({file})");
    }

    // Events the runtime must survive: not a CloudFormation request (logged, no answer), and a
    // request with a bad property (FAILED naming it, with the log stream).
    let garbage = json!({"hello": "world"});
    let returned = tokio::task::spawn_blocking(move || lambda_invoke(port, &garbage))
        .await
        .unwrap();
    assert_eq!(returned, "null");
    let mut bad = localise("create.json", &w, &receiver);
    bad["ResourceProperties"]["TTL"] = json!("ten minutes");
    let returned = tokio::task::spawn_blocking(move || lambda_invoke(port, &bad))
        .await
        .unwrap();
    assert_eq!(returned, "null");
    let puts = receiver.puts();
    assert_eq!(puts.len(), sent + 1, "the garbage event got no answer");
    let failed = puts[sent].json();
    assert_eq!(failed["Status"], "FAILED");
    let reason = failed["Reason"].as_str().unwrap();
    assert!(reason.contains("TTL"), "{reason}");
    assert!(
        reason.ends_with(&format!("Log stream: {LOG_STREAM}")),
        "the reason ends with the Lambda log stream: {reason}"
    );

    let logs = stop_function(function, &log_path);

    // Every line is JSON: a log line with a level and a message, inside the runtime's span with
    // the Lambda request ID, or a request's metrics (Embedded Metric Format).
    let (metrics, lines): (Vec<Value>, Vec<Value>) = logs
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}"))
        })
        .partition(|l: &Value| l.get("_aws").is_some());
    for line in &lines {
        assert!(
            line["level"].is_string() && line["timestamp"].is_string(),
            "{line}"
        );
        assert!(line.get("message").is_some(), "{line}");
    }
    let request_ids: BTreeSet<String> = lines
        .iter()
        .filter_map(|l| l["span"]["requestId"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        request_ids.len(),
        steps.len() + 2,
        "each invocation's lines carry its own Lambda request ID"
    );
    let summaries: Vec<&Value> = lines
        .iter()
        .filter(|l| l["summary"] == json!(true))
        .collect();
    assert_eq!(
        summaries.len(),
        steps.len() + 1,
        "one summary line per CloudFormation request, none for the garbage event"
    );
    let mut ids = BTreeSet::new();
    for s in &summaries {
        assert_summary_fields(s);
        assert_eq!(s["level"], "INFO");
        ids.insert(s["span"]["requestId"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), summaries.len(), "one summary per invocation");
    let kinds: Vec<&str> = summaries
        .iter()
        .map(|s| s["request_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "Create", "Update", "Delete", "Create", "Create", "Delete", "Create"
        ]
    );
    assert_eq!(summaries[0]["action"], "created");
    assert_eq!(summaries[0]["name"], "dev.example.com");
    assert_eq!(summaries[0]["parent_zone"], w.parent_zone.as_str());
    assert_eq!(summaries[6]["status"], "FAILED");
    // One metrics document per request, beside its summary line.
    let counted: Vec<(&str, &str)> = metrics
        .iter()
        .map(|m| {
            assert_eq!(m["Requests"], 1, "{m}");
            assert_eq!(m["FunctionName"], "_", "{m}");
            assert_eq!(
                m["_aws"]["CloudWatchMetrics"][0]["Namespace"],
                "SubdomainDelegation"
            );
            (
                m["RequestType"].as_str().unwrap(),
                m["Outcome"].as_str().unwrap(),
            )
        })
        .collect();
    let summarized: Vec<(&str, &str)> = summaries
        .iter()
        .map(|s| {
            (
                s["request_type"].as_str().unwrap(),
                s["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(counted, summarized);
    assert!(
        lines.iter().any(|l| l["level"] == "ERROR"
            && l["problem"]
                .as_str()
                .is_some_and(|p| p.contains("ResponseURL"))),
        "the garbage event is logged as an error"
    );
    for secret in ["X-Amz-Signature", "SECRETSIGNATURE", "SECRETCRED"] {
        assert!(!logs.contains(secret), "a log line leaked {secret}");
    }
}

/// The scheduled audit's event through the Runtime API, as EventBridge Scheduler sends it: the
/// function returns the summary, and its stdout holds one JSON line per finding and the Embedded
/// Metric Format documents CloudWatch turns into metrics; the runtime goes on serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_event_under_cargo_lambda_watch_prints_findings_and_metrics() {
    use crate::support::knot::{Knot, KnotZone};
    let w = World::new().await;
    // dev.example.com delegated to a server that does not serve it: dangling.
    let knot = Knot::start(&[KnotZone::new("unrelated.test", &["ns1.dns.test"])]).await;
    change_record(
        &w.parent,
        &w.parent_zone,
        aws_sdk_route53::types::ChangeAction::Create,
        "dev.example.com",
        "NS",
        300,
        &["ns1.dns.test."],
    )
    .await;
    let port = free_port();
    let _api = start_runtime_api(port);
    let (function, log_path) = start_function(port, &w.moto.endpoint);
    let event = json!({"subdomainDelegationAudit": {
        "nameserverAddresses": {"ns1.dns.test": knot.addr.to_string()},
        "timeoutSeconds": 0.5,
    }});
    let returned = tokio::task::spawn_blocking(move || lambda_invoke(port, &event))
        .await
        .unwrap();
    let summary: Value = serde_json::from_str(&returned).unwrap();
    assert_eq!(summary["record"], "summary", "{returned}");
    assert_eq!(summary["zones"], json!(["example.com"]));
    assert_eq!(summary["verdicts"]["dangling"], 1);
    assert_eq!(summary["exit_code"], 1);
    assert_eq!(summary["version"], env!("CARGO_PKG_VERSION"));
    let logs = stop_function(function, &log_path);
    let lines: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let finding = lines
        .iter()
        .find(|l| l["record"] == "delegation")
        .unwrap_or_else(|| panic!("a finding line: {logs}"));
    assert_eq!(finding["name"], "dev.example.com");
    assert_eq!(finding["verdict"], "dangling");
    assert_eq!(finding["servers"][0]["rcode"], "REFUSED");
    let emf: Vec<&Value> = lines.iter().filter(|l| l.get("_aws").is_some()).collect();
    assert_eq!(
        emf.len(),
        6,
        "one document per verdict for the one zone: {logs}"
    );
    let dangling = emf.iter().find(|d| d["Verdict"] == "dangling").unwrap();
    assert_eq!(dangling["Delegations"], 1);
    assert_eq!(dangling["ParentZone"], "example.com");
    assert!(dangling["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
}
