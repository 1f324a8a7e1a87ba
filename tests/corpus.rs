//! The bad-input corpus (tests/corpus/cases, described in tests/corpus/generate.py and
//! expect.json) fed through the packaged binary (`bootstrap invoke FILE`), plus 10 MB events made
//! at run time. Every case: exit 0, no panic, every log line JSON, no Route 53 write; a FAILED
//! answer naming the problem whenever a usable ResponseURL exists; nothing sent otherwise.

use crate::support::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// CloudWatch Logs' limit on one log event; a longer line is split and no longer parses as JSON.
const MAX_LOG_LINE: usize = 256 * 1024;

struct Case {
    name: String,
    bytes: Vec<u8>,
    outcome: String,
    reason: Vec<String>,
}

fn replace_all(haystack: &[u8], needle: &str, with: &str) -> Vec<u8> {
    let needle = needle.as_bytes();
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with.as_bytes());
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

fn committed_cases() -> Vec<Case> {
    let dir = repo_root().join("tests/corpus");
    let expect: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expect.json")).unwrap()).unwrap();
    let files: Vec<String> = std::fs::read_dir(dir.join("cases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(
        files.len(),
        expect.len(),
        "tests/corpus/cases and expect.json disagree: run tests/corpus/generate.py"
    );
    expect
        .into_iter()
        .map(|(file, e)| Case {
            bytes: std::fs::read(dir.join("cases").join(&file))
                .unwrap_or_else(|err| panic!("tests/corpus/cases/{file}: {err}")),
            name: file.trim_end_matches(".json").to_owned(),
            outcome: e["outcome"].as_str().unwrap().to_owned(),
            reason: e["reason"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect(),
        })
        .collect()
}

const TEN_MB: usize = 10 * 1024 * 1024;

/// The 10 MB events, made here rather than committed.
fn huge_cases() -> Vec<Case> {
    let request = |props: Value| {
        json!({
            "RequestType": "Create",
            "ResponseURL": "@@URL@@",
            "StackId": "arn:aws:cloudformation:us-east-1:222222222222:stack/corpus/1",
            "RequestId": "@@CASE@@",
            "ResourceType": "Custom::SubdomainDelegation",
            "LogicalResourceId": "Delegation",
            "ResourceProperties": props,
        })
    };
    let base = || {
        json!({
            "ParentHostedZoneId": "@@PARENT@@",
            "ChildHostedZoneId": "@@CHILD2@@",
            "ChildRoleArn": "@@ROLE@@",
        })
    };
    // A 10 MB value must not reach a log line whole: CloudWatch would split it and the JSON break.
    let case = |name: &str, event: Value, outcome: &str, reason: &[&str]| Case {
        name: name.into(),
        bytes: event.to_string().into_bytes(),
        outcome: outcome.into(),
        reason: reason.iter().map(|s| s.to_string()).collect(),
    };
    let mut out = Vec::new();

    let mut p = base();
    p["ChildHostedZoneId"] = json!("Z".repeat(TEN_MB));
    out.push(case(
        "huge-10mb-child-zone-id",
        request(p),
        "failed",
        &["ChildHostedZoneId"],
    ));

    let mut p = base();
    p["TTL"] = json!(format!("-{}", "9".repeat(TEN_MB)));
    out.push(case(
        "huge-10mb-negative-ttl",
        request(p),
        "failed",
        &["TTL"],
    ));

    let mut p = base();
    for i in 0..TEN_MB / 64 {
        p[format!("UnknownProperty{i:08}-{}", "x".repeat(32))] = json!("v");
    }
    out.push(case(
        "huge-10mb-unknown-properties",
        request(p),
        "failed",
        &["unknown property"],
    ));

    let mut e = request(base());
    e["ResourceProperties"]["TTL"] = json!("0");
    e["LogicalResourceId"] = json!("L".repeat(TEN_MB));
    out.push(case("huge-10mb-logical-id", e, "failed", &["TTL"]));

    let mut e = request(base());
    e["Padding"] = json!("p".repeat(TEN_MB));
    e["ResourceProperties"]["OnConflict"] = json!("sometimes");
    out.push(case(
        "huge-10mb-unknown-envelope-field",
        e,
        "failed",
        &["OnConflict"],
    ));

    let mut junk = Vec::with_capacity(TEN_MB);
    let mut x: u32 = 0x1234_5678;
    while junk.len() < TEN_MB {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        junk.push(b"{[\"ResponseURL\":@@URL@@ ,]}"[(x % 27) as usize]);
    }
    out.push(Case {
        name: "huge-10mb-junk".into(),
        bytes: junk,
        outcome: "silent".into(),
        reason: vec![],
    });
    out
}

/// What a run of some cases found: problems by check, and the world-wide ones.
struct Findings {
    /// (case, check, message)
    by_case: Vec<(String, &'static str, String)>,
    world: Vec<String>,
}

/// Runs `cases` through the packaged binary, two at a time, in a world of their own, and checks
/// each against its expectation and the world against "nothing written".
async fn run_cases(cases: &[Case]) -> Findings {
    let w = World::new().await;
    let child2 = create_zone(&w.child, "test.example.com").await;
    w.add_foreign_records(&[
        ("www.example.com", "A", "192.0.2.10"),
        ("ops.example.com", "NS", "ns1.elsewhere.example.net"),
    ])
    .await;
    let parent_before = w.parent_records().await;
    let child_before = records(&w.child, &child2).await;
    let proxy = FaultProxy::start(&w.moto.endpoint);
    let receiver = Receiver::start().await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let env = lambda_env(&proxy.endpoint);

    let fill = |case: &Case| {
        let url = format!(
            "http://127.0.0.1:{port}/cfn-response/{}?X-Amz-Signature=SECRETSIGNATURE-{}&X-Amz-Credential=SECRETCRED",
            case.name, case.name
        );
        let mut b = replace_all(&case.bytes, "@@URL@@", &url);
        for (k, v) in [
            ("@@PORT@@", port.as_str()),
            ("@@CASE@@", case.name.as_str()),
            ("@@PARENT@@", w.parent_zone.as_str()),
            ("@@CHILD2@@", child2.as_str()),
            ("@@CHILD@@", w.child_zone.as_str()),
            ("@@ROLE@@", &role_arn(CHILD_ACCOUNT)),
        ] {
            b = replace_all(&b, k, v);
        }
        b
    };
    let work: Vec<(String, Vec<u8>)> = cases.iter().map(|c| (c.name.clone(), fill(c))).collect();

    // Two at a time (two cores), off the async runtime so the receiver keeps answering.
    let queue = Arc::new(Mutex::new(work));
    let results: Arc<Mutex<BTreeMap<String, Run>>> = Arc::default();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let queue = queue.clone();
            let results = results.clone();
            let env = env.clone();
            tokio::task::spawn_blocking(move || {
                loop {
                    let Some((name, bytes)) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    let run = run_packaged(&bytes, &env, Some(60));
                    results.lock().unwrap().insert(name, run);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let results = std::mem::take(&mut *results.lock().unwrap());
    let puts = receiver.puts();

    let mut by_case = Vec::new();
    if std::env::var_os("CORPUS_VERBOSE").is_some() {
        for case in cases {
            let run = &results[&case.name];
            eprintln!(
                "{:<60} {:<8} {}",
                case.name,
                run.answer["Status"].as_str().unwrap_or("-"),
                cut(run.reason())
            );
        }
    }
    for case in cases {
        for (check, message) in check(case, &results[&case.name], &puts) {
            by_case.push((case.name.clone(), check, message));
        }
    }

    // Nothing anywhere was written, and nothing reached a hostile URL.
    let mut world = Vec::new();
    let writes: Vec<Value> = proxy
        .log()
        .await
        .into_iter()
        .filter(|e| ROUTE53_WRITES.contains(&e["operation"].as_str().unwrap_or("")))
        .collect();
    if !writes.is_empty() {
        world.push(format!("Route 53 writes: {writes:?}"));
    }
    let parent_after = w.parent_records().await;
    if parent_after != parent_before {
        world.push(format!(
            "the parent zone changed from {parent_before:?} to {parent_after:?}"
        ));
    }
    if records(&w.child, &child2).await != child_before {
        world.push("the child zone changed".into());
    }
    let strays: Vec<&str> = puts
        .iter()
        .map(|p| p.target.as_str())
        .filter(|t| !t.starts_with("/cfn-response/"))
        .collect();
    if !strays.is_empty() {
        world.push(format!("answers reached hostile URLs: {strays:?}"));
    }
    Findings { by_case, world }
}

/// Everything wrong with one case's run, each tagged with the check it failed.
fn check(case: &Case, run: &Run, puts: &[Put]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut fail = |check: &'static str, what: String| out.push((check, what));
    if run.code != Some(0) {
        fail(
            "exit",
            format!("exit code {:?}; stderr: {}", run.code, cut(&run.logs)),
        );
    }
    if run.logs.contains("panicked") {
        fail("panic", format!("panicked: {}", cut(&run.logs)));
    }
    for line in run.logs.lines() {
        if line.len() > MAX_LOG_LINE {
            fail(
                "log_line",
                format!(
                    "a log line of {} bytes (CloudWatch keeps {MAX_LOG_LINE}): {}",
                    line.len(),
                    cut(line)
                ),
            );
        }
        if !serde_json::from_str::<Value>(line).is_ok_and(|v| v.is_object()) {
            fail(
                "log_json",
                format!("a log line is not a JSON object: {}", cut(line)),
            );
        }
    }
    for secret in ["SECRETSIGNATURE", "SECRETCRED"] {
        if run.logs.contains(secret) {
            fail(
                "secret",
                format!("the log leaked the ResponseURL's {secret}"),
            );
        }
    }
    let own_path = format!("/cfn-response/{}", case.name);
    let mine: Vec<&Put> = puts
        .iter()
        .filter(|p| p.target.starts_with(&format!("{own_path}?")) || p.target == own_path)
        .collect();
    let summaries = run.summaries();
    if case.outcome == "silent" {
        if run.stdout.trim() != "null" {
            fail(
                "outcome",
                format!("answered although nothing should be: {}", cut(&run.stdout)),
            );
        }
        if !mine.is_empty() {
            fail(
                "outcome",
                format!("{} PUTs although nothing should be sent", mine.len()),
            );
        }
        if !run.logs.contains("\"level\":\"ERROR\"") {
            fail(
                "outcome",
                "no error was logged for an event that was dropped".into(),
            );
        }
        return out;
    }
    let want = if case.outcome == "failed" {
        "FAILED"
    } else {
        "SUCCESS"
    };
    if run.status() != want {
        fail(
            "outcome",
            format!(
                "answered {:?}, expected {want}: {}",
                run.status(),
                cut(&run.stdout)
            ),
        );
        return out;
    }
    if mine.len() != 1 {
        fail(
            "put",
            format!("{} PUTs to its ResponseURL, expected 1", mine.len()),
        );
    } else {
        if mine[0].body.len() > 4096 {
            fail(
                "put",
                format!("a {} byte answer (limit 4096)", mine[0].body.len()),
            );
        }
        if mine[0].json() != run.answer {
            fail("put", "the PUT differs from the printed answer".into());
        }
    }
    let id = run.physical_id();
    if id.is_empty() || id.len() > 1024 {
        fail("put", format!("PhysicalResourceId of {} bytes", id.len()));
    }
    for needle in &case.reason {
        if !run.reason().contains(needle.as_str()) {
            fail(
                "reason",
                format!("the reason does not name {needle:?}: {}", cut(run.reason())),
            );
        }
    }
    if summaries.len() != 1 || summaries[0]["status"] != want {
        fail(
            "summary",
            format!(
                "{} summary lines, expected one with status {want}",
                summaries.len()
            ),
        );
    }
    out
}

fn all_cases() -> (Vec<Case>, usize) {
    let mut cases = committed_cases();
    let committed = cases.len();
    assert!(
        committed >= 200,
        "the corpus holds {committed} cases; the issue asks for at least 200"
    );
    cases.extend(huge_cases());
    (cases, committed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_is_refused_cleanly_and_writes_nothing() {
    let (cases, committed) = all_cases();
    let started = std::time::Instant::now();
    let findings = run_cases(&cases).await;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for case in &cases {
        *counts.entry(case.outcome.as_str()).or_default() += 1;
    }
    eprintln!(
        "corpus: {} cases ({committed} committed, {} of 10 MB made here) in {:?}: {counts:?}",
        cases.len(),
        cases.len() - committed,
        started.elapsed(),
    );
    let mut problems = findings.world;
    problems.extend(
        findings
            .by_case
            .into_iter()
            .map(|(name, check, message)| format!("{name} [{check}]: {message}")),
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn cut(s: &str) -> String {
    let mut end = s.len().min(600);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}
