//! The shipped artifact and the fault proxy, for the reliability tests: the packaged `bootstrap`
//! (from `cargo lambda build --release`) run as `bootstrap invoke EVENT.json`, configured only by
//! environment variables as in Lambda, and `tests/faultproxy/faultproxy.py` in front of moto.

use super::repo_root;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, SystemTime};

/// The packaged Lambda binary: `DELEGATION_BOOTSTRAP`, else
/// `target/lambda/subdomain-delegation/bootstrap`. Missing or older than the sources is a failure
/// (the test would otherwise judge an artifact nobody ships any more).
pub fn bootstrap() -> PathBuf {
    if let Ok(p) = std::env::var("DELEGATION_BOOTSTRAP") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "DELEGATION_BOOTSTRAP={} does not exist",
            p.display()
        );
        return p;
    }
    let p = repo_root().join("target/lambda/subdomain-delegation/bootstrap");
    assert!(
        p.is_file(),
        "the packaged binary {} is missing: run scripts/build-bootstrap (cargo lambda build --release) first, or set DELEGATION_BOOTSTRAP",
        p.display()
    );
    let built = modified(&p);
    let mut sources = vec![
        repo_root().join("Cargo.toml"),
        repo_root().join("Cargo.lock"),
    ];
    collect_rs(&repo_root().join("src"), &mut sources);
    if let Some(newer) = sources.iter().find(|s| modified(s) > built) {
        panic!(
            "the packaged binary {} is older than {}: rebuild it with scripts/build-bootstrap",
            p.display(),
            newer.display()
        );
    }
    p
}

fn modified(p: &Path) -> SystemTime {
    std::fs::metadata(p)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect_rs(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Python for the fault proxy: `PYTHON`, else the project venv's, else `python3`.
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("PYTHON") {
        return PathBuf::from(p);
    }
    let venv = repo_root().join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// The environment a Lambda would give the binary, pointed at `endpoint` for every AWS service,
/// with the tests' provider settings ([`super::test_env`]).
pub fn lambda_env(endpoint: &str) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_ENDPOINT_URL", endpoint),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.extend(
        super::test_env()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v)),
    );
    env
}

/// Variables a developer's shell may hold that must not reach the binary under test.
const SCRUBBED: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ROUTE_53",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_CLOUDFORMATION",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "DELEGATION_POLICY",
    "DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION",
    "DELEGATION_ALLOW_LOOPBACK_RESPONSE_URL",
    "DELEGATION_PARENT_ROLE_ARNS",
    "DELEGATION_ROUTE53_REQUESTS_PER_SECOND",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "RUST_LOG",
    "RUST_BACKTRACE",
];

/// One run of `bootstrap invoke EVENT.json`.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    /// The answer printed on stdout (`Value::Null` when none was due).
    pub answer: Value,
    pub stdout: String,
    pub logs: String,
    pub elapsed: Duration,
}

impl Run {
    /// Exit 0, no panic, stdout is the answer or `null`.
    pub fn assert_clean(&self, what: &str) {
        assert_eq!(
            self.code,
            Some(0),
            "{what}: the binary exited with {:?}\n{}",
            self.code,
            self.logs
        );
        assert!(
            !self.logs.contains("panicked"),
            "{what}: the binary panicked\n{}",
            self.logs
        );
    }

    pub fn status(&self) -> &str {
        self.answer["Status"].as_str().unwrap_or("")
    }

    pub fn reason(&self) -> &str {
        self.answer["Reason"].as_str().unwrap_or("")
    }

    pub fn physical_id(&self) -> &str {
        self.answer["PhysicalResourceId"].as_str().unwrap_or("")
    }

    /// The log lines marked `"summary": true`.
    pub fn summaries(&self) -> Vec<Value> {
        summary_lines(&self.logs)
    }
}

pub fn summary_lines(logs: &str) -> Vec<Value> {
    logs.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["summary"] == json!(true))
        .collect()
}

/// Runs the packaged binary on an event given as raw bytes (so malformed files go through
/// untouched). Blocking: call it from `spawn_blocking` (see [`invoke_packaged`]).
pub fn run_packaged(event: &[u8], env: &[(String, String)], timeout_secs: Option<u64>) -> Run {
    let dir = repo_root().join("target/test-events");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("event-{}.json", super::uuid()));
    std::fs::write(&path, event).unwrap();
    let mut cmd = Command::new(bootstrap());
    cmd.arg("invoke").arg(&path);
    if let Some(t) = timeout_secs {
        cmd.args(["--timeout", &t.to_string()]);
    }
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = std::time::Instant::now();
    let out = cmd.output().expect("running the packaged bootstrap");
    let elapsed = started.elapsed();
    std::fs::remove_file(&path).ok();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let answer = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    Run {
        code: out.status.code(),
        answer,
        stdout,
        logs: String::from_utf8_lossy(&out.stderr).to_string(),
        elapsed,
    }
}

/// [`run_packaged`] off the async runtime, so the receiver keeps answering meanwhile. The future
/// owns its inputs, so several can run at once (`tokio::spawn`).
pub fn invoke_packaged(
    event: &Value,
    env: &[(String, String)],
    timeout: Option<u64>,
) -> impl std::future::Future<Output = Run> + Send + use<> {
    let bytes = event.to_string().into_bytes();
    let env = env.to_vec();
    async move {
        tokio::task::spawn_blocking(move || run_packaged(&bytes, &env, timeout))
            .await
            .expect("the invocation thread")
    }
}

/// `tests/faultproxy/faultproxy.py` on a free loopback port in front of `upstream`. It exits when
/// dropped, and by itself when the test process dies (its stdin closes).
pub struct FaultProxy {
    child: Child,
    stdin: Option<ChildStdin>,
    pub endpoint: String,
    http: reqwest::Client,
}

impl FaultProxy {
    pub fn start(upstream: &str) -> FaultProxy {
        Self::start_with(upstream, &[])
    }

    pub fn start_with(upstream: &str, args: &[&str]) -> FaultProxy {
        let script = repo_root().join("tests/faultproxy/faultproxy.py");
        let mut child = Command::new(python())
            .arg(&script)
            .args(["--upstream", upstream, "--port", "0", "--exit-on-stdin-eof"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} with {:?}: {e}", script.display(), python()));
        let stdin = child.stdin.take();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let endpoint = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the fault proxy did not start: {first:?}"))
            .to_owned();
        FaultProxy {
            child,
            stdin,
            endpoint,
            http: reqwest::Client::new(),
        }
    }

    async fn admin(&self, method: reqwest::Method, what: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}/__faultproxy__/{what}", self.endpoint));
        if let Some(body) = body {
            req = req.body(body.to_string());
        }
        let resp = req.send().await.expect("the fault proxy's admin API");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status.is_success(), "fault proxy {what}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Installs rules (a JSON list), see the proxy's documentation.
    pub async fn rules(&self, rules: Value) {
        self.admin(reqwest::Method::POST, "rules", Some(rules))
            .await;
    }

    pub async fn mode(&self, mode: &str) {
        self.admin(reqwest::Method::POST, "mode", Some(json!({ "mode": mode })))
            .await;
    }

    /// Route 53's 2026 buckets (account and action buckets as the proxy's defaults) with a
    /// change-throughput bucket of `burst` changes refilling `per_second`.
    pub async fn change_bucket(&self, burst: u32, per_second: u32) {
        let mode = json!({ "mode": "buckets", "change_bucket": [burst, per_second] });
        self.admin(reqwest::Method::POST, "mode", Some(mode)).await;
    }

    /// Every proxied call so far: `{t, service, operation, account, status, fault, ...}`.
    pub async fn log(&self) -> Vec<Value> {
        match self.admin(reqwest::Method::GET, "log", None).await {
            Value::Array(v) => v,
            other => panic!("the proxy log is not a list: {other}"),
        }
    }

    /// Replaces the fake CloudFormation's stack table (a JSON list), see the proxy's documentation.
    pub async fn stacks(&self, table: Value) {
        self.admin(reqwest::Method::POST, "stacks", Some(table))
            .await;
    }

    pub async fn reset(&self) {
        self.admin(reqwest::Method::POST, "reset", None).await;
    }

    /// The calls of one operation, e.g. `ChangeResourceRecordSets`.
    pub async fn calls(&self, operation: &str) -> Vec<Value> {
        self.log()
            .await
            .into_iter()
            .filter(|e| e["operation"] == operation)
            .collect()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Route 53 operations that change something; none may appear for a request that must not write.
pub const ROUTE53_WRITES: &[&str] = &[
    "ChangeResourceRecordSets",
    "CreateHostedZone",
    "DeleteHostedZone",
    "UpdateHostedZoneComment",
    "ChangeTagsForResource",
];
