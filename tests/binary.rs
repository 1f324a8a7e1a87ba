//! The built binary's `invoke` path, configured only by environment variables as in Lambda:
//! the SDK's endpoint variables, JSON logs, one summary line per request, no leaked ResponseURL.

use crate::support::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

struct Invocation {
    answer: Value,
    logs: String,
}

fn invoke(event: &Value, env: &[(&str, String)]) -> Invocation {
    let dir = tempdir();
    let path = dir.join(format!("event-{}.json", uuid()));
    std::fs::write(&path, event.to_string()).unwrap();
    let out = invoke_file(&path, env);
    std::fs::remove_file(&path).ok();
    out
}

fn tempdir() -> std::path::PathBuf {
    let dir = repo_root().join("target/test-events");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The built binary with test credentials and nothing of the caller's AWS setup.
fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_subdomain-delegation"));
    for var in [
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_ROUTE_53",
        "AWS_ENDPOINT_URL_STS",
        "RUST_LOG",
        "AWS_SESSION_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

fn invoke_file(path: &Path, env: &[(&str, String)]) -> Invocation {
    let mut cmd = binary();
    cmd.arg("invoke")
        .arg(path)
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON");
    for (k, v) in test_env() {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("running the binary");
    assert!(
        out.status.success(),
        "invoke exited with {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    Invocation {
        answer: serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not the answer ({e}): {stdout}")),
        logs: String::from_utf8(out.stderr).unwrap(),
    }
}

fn summaries(logs: &str) -> Vec<Value> {
    logs.lines()
        .map(|l| {
            serde_json::from_str::<Value>(l)
                .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {l}"))
        })
        .filter(|v| v["summary"] == json!(true))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_lifecycle_through_the_binary_logs_json_and_never_the_url_query() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let env = [("AWS_ENDPOINT_URL", w.moto.endpoint.clone())];
    let driver = Driver::new(CHILD_ACCOUNT, "dev-dns", "Delegation", &receiver);
    let props = w.props();
    let mut all_logs = String::new();
    let mut step = |event: Value| {
        let inv = invoke(&event, &env);
        all_logs.push_str(&inv.logs);
        let s = summaries(&inv.logs);
        assert_eq!(s.len(), 1, "one summary line per request: {}", inv.logs);
        assert_summary_fields(&s[0]);
        assert_eq!(s[0]["status"], inv.answer["Status"]);
        (inv.answer, s[0].clone())
    };

    let (created, summary) = step(driver.create(&props));
    assert_eq!(created["Status"], "SUCCESS", "{created}");
    assert_eq!(summary["action"], "created");
    assert_eq!(summary["name"], "dev.example.com");
    assert_eq!(summary["logical_id"], "Delegation");
    let id = created["PhysicalResourceId"].as_str().unwrap().to_string();

    let mut ttl = props.clone();
    ttl["TTL"] = json!("300");
    let (updated, summary) = step(driver.update(&id, &ttl, &props));
    assert_eq!(
        (
            updated["Status"].as_str(),
            updated["PhysicalResourceId"].as_str()
        ),
        (Some("SUCCESS"), Some(id.as_str()))
    );
    assert_eq!(summary["action"], "updated");

    let test_zone = create_zone(&w.child, "test.example.com").await;
    let mut moved = ttl.clone();
    moved["ChildHostedZoneId"] = json!(test_zone);
    let (replaced, _) = step(driver.update(&id, &moved, &ttl));
    let new_id = replaced["PhysicalResourceId"].as_str().unwrap().to_string();
    assert_eq!(new_id, format!("{}/test.example.com", w.parent_zone));
    let (cleanup, summary) = step(driver.delete(&id, &ttl));
    assert_eq!(cleanup["Status"], "SUCCESS");
    assert_eq!(summary["action"], "deleted");
    let (deleted, _) = step(driver.delete(&new_id, &moved));
    assert_eq!(deleted["Status"], "SUCCESS");
    assert!(w.delegations().await.is_empty());

    // The answers were PUT, each with its pre-signed query; the logs hold none of it.
    assert_eq!(receiver.puts().len(), 5);
    assert!(
        receiver
            .puts()
            .iter()
            .all(|p| p.target.contains("X-Amz-Signature=SECRETSIGNATURE"))
    );
    assert!(
        !all_logs.contains("SECRETSIGNATURE"),
        "a log line leaked the ResponseURL signature"
    );
    assert!(
        !all_logs.contains("SECRETCRED"),
        "a log line leaked the ResponseURL credential"
    );
    assert!(!all_logs.contains("X-Amz-Signature"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_specific_endpoint_variables_reach_assumed_role_clients() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let dead = format!("http://127.0.0.1:{}", free_port());
    // The generic variable points nowhere: success proves both service variables were used,
    // by the provider's own clients and by the ones built on the child role's credentials.
    let env = [
        ("AWS_ENDPOINT_URL", dead),
        ("AWS_ENDPOINT_URL_ROUTE_53", w.moto.endpoint.clone()),
        ("AWS_ENDPOINT_URL_STS", w.moto.endpoint.clone()),
    ];
    let driver = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    let inv = invoke(&driver.create(&w.props()), &env);
    assert_eq!(inv.answer["Status"], "SUCCESS", "{}", inv.logs);
    assert_eq!(w.delegations().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_events_parse_and_failures_say_what_to_fix() {
    // The shipped example events name zones that do not exist here: each must come back FAILED
    // (NoSuchHostedZone) or SUCCESS (Delete of nothing), never panic or hang.
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let env = [("AWS_ENDPOINT_URL", w.moto.endpoint.clone())];
    let dir = repo_root().join("examples/events");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/events exists") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let mut event: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        // Point the answer at the receiver, wherever the example keeps the request.
        let target = if event.get("Records").is_some() {
            let mut inner: Value =
                serde_json::from_str(event["Records"][0]["Sns"]["Message"].as_str().unwrap())
                    .unwrap();
            inner["ResponseURL"] = json!(receiver.presigned("example"));
            event["Records"][0]["Sns"]["Message"] = json!(inner.to_string());
            inner
        } else {
            event["ResponseURL"] = json!(receiver.presigned("example"));
            event.clone()
        };
        let inv = invoke(&event, &env);
        seen += 1;
        let status = inv.answer["Status"].as_str().unwrap();
        match target["RequestType"].as_str().unwrap() {
            "Delete" => assert_eq!(status, "SUCCESS", "{}: {}", path.display(), inv.answer),
            _ => {
                assert_eq!(status, "FAILED", "{}: {}", path.display(), inv.answer);
                let reason = inv.answer["Reason"].as_str().unwrap();
                assert!(
                    reason.contains("NoSuchHostedZone")
                        && reason.contains("check ChildHostedZoneId"),
                    "{reason}"
                );
            }
        }
    }
    assert!(seen >= 4, "expected the example events, found {seen}");
}

/// The binary with arguments only, no AWS: `(exit code, stdout, stderr)`.
fn run_cli(args: &[&str], stdin: &[u8]) -> (Option<i32>, String, String) {
    use std::io::Write;
    let mut child = binary()
        .args(args)
        .env("DELEGATION_ALLOW_LOOPBACK_RESPONSE_URL", "true")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running the binary");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn version_and_help_go_to_stdout_with_exit_0_and_usage_errors_exit_2() {
    let (code, out, _) = run_cli(&["--version"], b"");
    assert_eq!(code, Some(0));
    assert_eq!(
        out.trim(),
        format!("subdomain-delegation {}", env!("CARGO_PKG_VERSION"))
    );
    for args in [&["--help"][..], &["audit", "--help"], &["invoke", "--help"]] {
        let (code, out, err) = run_cli(args, b"");
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(
            out.contains("Usage: subdomain-delegation"),
            "{args:?}: {out}"
        );
    }
    let (_, help, _) = run_cli(&["audit", "--help"], b"");
    assert!(
        help.contains("--format <FORMAT>") && help.contains("Exit codes"),
        "{help}"
    );
    for args in [&["bogus"][..], &["invoke"], &["audit", "--format=xml"]] {
        let (code, out, err) = run_cli(args, b"");
        assert_eq!(code, Some(2), "{args:?}");
        assert!(out.is_empty(), "{args:?}: errors go to stderr, not {out}");
        assert!(err.contains("error:"), "{args:?}: {err}");
    }
}

#[test]
fn invoke_reads_the_event_from_standard_input() {
    // A Create that names no child zone fails at parsing: no AWS call, and the answer is printed
    // (the loopback ResponseURL has no listener, so it is not delivered).
    let event = json!({
        "RequestType": "Create",
        "ResponseURL": "http://127.0.0.1:9/answer",
        "StackId": "arn:aws:cloudformation:us-east-1:111111111111:stack/s/1",
        "RequestId": "r-1",
        "LogicalResourceId": "Delegation",
        "ResourceType": "Custom::SubdomainDelegation",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:111111111111:function:f"},
    });
    let (code, out, err) = run_cli(
        &["invoke", "-", "--timeout=20"],
        event.to_string().as_bytes(),
    );
    assert_eq!(code, Some(0), "{err}");
    let answer: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    assert!(
        answer["Reason"]
            .as_str()
            .unwrap()
            .contains("ChildHostedZoneId"),
        "{answer}"
    );
}
