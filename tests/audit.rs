//! The audit end to end: the parent zone in moto (in another account, read through a parent role),
//! the child zones on a real authoritative server (Knot DNS) and on loopback stand-ins, the audit
//! run as the binary (`subdomain-delegation audit`, and the scheduled event through `invoke`).

use crate::support::dnsstub::{Silent, garbage, truncating};
use crate::support::knot::{Knot, KnotZone};
use crate::support::*;
use aws_sdk_route53::types::{ChangeAction, ResourceRecordSet, RrType};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The parent zone's account: not the credentials' own, so every run needs the parent role.
pub(crate) const DNS_ACCOUNT: &str = OTHER_ACCOUNT;
pub(crate) const NS: [&str; 2] = ["ns1.dns.test", "ns2.dns.test"];
const IDN: &str = "xn--bcher-kva.example.com";

pub(crate) fn parent_role() -> String {
    format!("arn:aws:iam::{DNS_ACCOUNT}:role/dns-auditor")
}

/// A name of exactly 253 octets below example.com.
fn longest_name() -> String {
    let tail = ".example.com";
    let mut labels = Vec::new();
    let mut len = tail.len() - 1;
    while len + 64 <= 253 {
        labels.push("a".repeat(63));
        len += 64;
    }
    let rest = 253 - len - 1;
    labels.push("b".repeat(rest));
    let name = format!("{}{tail}", labels.join("."));
    assert_eq!(name.len(), 253);
    name
}

/// Every verdict, each on its own delegation.
struct Scene {
    moto: Moto,
    parent: aws_sdk_route53::Client,
    zone: String,
    knot: Knot,
    _refuser: Knot,
    _silent: Silent,
    overrides: Vec<String>,
    expected: BTreeMap<String, &'static str>,
}

pub(crate) async fn put(
    r53: &aws_sdk_route53::Client,
    zone: &str,
    name: &str,
    rtype: &str,
    values: &[String],
) {
    change_record(
        r53,
        zone,
        ChangeAction::Create,
        name,
        rtype,
        300,
        &values.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
}

pub(crate) fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| format!("{s}.")).collect()
}

impl Scene {
    async fn new() -> Scene {
        let longest = longest_name();
        let knot = Knot::start(&[
            KnotZone::new("ok.example.com", &NS),
            KnotZone::new(IDN, &NS),
            KnotZone::new(&longest, &NS),
            KnotZone::new("stale.example.com", &["ns1.dns.test", "ns3.dns.test"]),
            KnotZone::new("lame.example.com", &["ns1.dns.test", "ns1.refuser.test"]),
            KnotZone::new("signed.example.com", &NS).signed(),
            KnotZone::new("broken.example.com", &NS).signed(),
            KnotZone::new("flappy.example.com", &NS).not_loaded(),
        ])
        .await;
        let refuser = Knot::start(&[KnotZone::new("unrelated.test", &["ns1.refuser.test"])]).await;
        let silent = Silent::start();
        let trunc = truncating("trunc.example.com", &["ns1.trunc.test"]).await;
        let junk = garbage().await;
        let overrides = vec![
            format!("ns1.dns.test={}", knot.addr),
            format!("ns2.dns.test={}", knot.addr),
            format!("ns3.dns.test={}", knot.addr),
            format!("ns1.refuser.test={}", refuser.addr),
            format!("ns1.silent.test={}", silent.addr),
            format!("ns1.trunc.test={trunc}"),
            format!("ns1.garbage.test={junk}"),
        ];
        let moto = Moto::start();
        let parent = moto.route53(DNS_ACCOUNT).await;
        let zone = create_zone(&parent, "example.com").await;
        let ns = strings(&NS);
        let mut expected = BTreeMap::new();
        for (name, verdict) in [
            ("ok.example.com", "ok"),
            (IDN, "ok"),
            (longest.as_str(), "ok"),
            ("stale.example.com", "stale"),
            ("dangling.example.com", "dangling"),
            ("dangling-ds.example.com", "dangling"),
            ("flappy.example.com", "dangling"),
            ("notallowed.example.com", "dangling"),
        ] {
            put(&parent, &zone, name, "NS", &ns).await;
            expected.insert(name.to_owned(), verdict);
        }
        let ds = knot.ds("signed.example.com");
        put(&parent, &zone, "signed.example.com", "NS", &ns).await;
        put(&parent, &zone, "signed.example.com", "DS", &ds).await;
        put(&parent, &zone, "broken.example.com", "NS", &ns).await;
        put(
            &parent,
            &zone,
            "broken.example.com",
            "DS",
            &[bump_tag(&knot.ds("broken.example.com")[0])],
        )
        .await;
        put(&parent, &zone, "dangling-ds.example.com", "DS", &ds).await;
        put(
            &parent,
            &zone,
            "lame.example.com",
            "NS",
            &strings(&["ns1.dns.test", "ns1.refuser.test"]),
        )
        .await;
        put(
            &parent,
            &zone,
            "unknown.example.com",
            "NS",
            &strings(&["ns1.silent.test"]),
        )
        .await;
        put(
            &parent,
            &zone,
            "trunc.example.com",
            "NS",
            &strings(&["ns1.trunc.test"]),
        )
        .await;
        put(
            &parent,
            &zone,
            "garbage.example.com",
            "NS",
            &strings(&["ns1.garbage.test"]),
        )
        .await;
        for (name, verdict) in [
            ("signed.example.com", "ok"),
            ("broken.example.com", "dnssec-broken"),
            ("lame.example.com", "lame"),
            ("unknown.example.com", "unknown"),
            ("trunc.example.com", "ok"),
            ("garbage.example.com", "unknown"),
        ] {
            expected.insert(name.to_owned(), verdict);
        }
        // Records that are no delegation: other types, and a DS without NS.
        put(
            &parent,
            &zone,
            "www.example.com",
            "A",
            &["192.0.2.1".to_owned()],
        )
        .await;
        Scene {
            moto,
            parent,
            zone,
            knot,
            _refuser: refuser,
            _silent: silent,
            overrides,
            expected,
        }
    }

    fn args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = audit_args(&self.zone, &["--timeout", "1"], &self.overrides);
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }
}

/// `audit ZONE EXTRA… --parent-role-arn … --nameserver-address …` for a scene's zone and servers.
pub(crate) fn audit_args(zone: &str, extra: &[&str], overrides: &[String]) -> Vec<String> {
    let mut args = vec!["audit".to_owned(), zone.to_owned()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["--parent-role-arn".to_owned(), parent_role()]);
    for o in overrides {
        args.extend(["--nameserver-address".to_owned(), o.clone()]);
    }
    args
}

/// A scene's `HOST=ADDR` overrides as an audit event's `nameserverAddresses`.
pub(crate) fn addresses_json(overrides: &[String]) -> serde_json::Map<String, Value> {
    overrides
        .iter()
        .map(|o| {
            let (host, addr) = o.split_once('=').unwrap();
            (host.to_owned(), json!(addr))
        })
        .collect()
}

/// A DS with another key tag than the key's.
pub(crate) fn bump_tag(ds: &str) -> String {
    let (tag, rest) = ds.split_once(' ').unwrap();
    format!("{} {rest}", (tag.parse::<u32>().unwrap() + 1) % 65536)
}

pub(crate) fn command(endpoint: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_subdomain-delegation"));
    for var in [
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL_ROUTE_53",
        "AWS_ENDPOINT_URL_STS",
        "RUST_LOG",
        "AWS_SESSION_TOKEN",
        "DELEGATION_AUDIT_ZONES",
        "DELEGATION_AUDIT_DISABLED",
        "DELEGATION_AUDIT_REMOVE_DANGLING",
        "DELEGATION_AUDIT_ALLOWED_NAMES",
        "DELEGATION_AUDIT_SECURITY_HUB",
        "AWS_ENDPOINT_URL_SECURITYHUB",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

pub(crate) struct Output {
    pub(crate) code: i32,
    pub(crate) lines: Vec<Value>,
    pub(crate) stderr: String,
}

impl Output {
    pub(crate) fn verdicts(&self) -> BTreeMap<String, &'static str> {
        self.lines
            .iter()
            .filter(|l| l["record"] == "delegation")
            .map(|l| {
                let v = l["verdict"].as_str().unwrap();
                let v = [
                    "ok",
                    "dangling",
                    "lame",
                    "stale",
                    "dnssec-broken",
                    "unknown",
                ]
                .into_iter()
                .find(|k| *k == v)
                .unwrap();
                (l["name"].as_str().unwrap().to_owned(), v)
            })
            .collect()
    }

    pub(crate) fn summary(&self) -> &Value {
        self.lines
            .last()
            .filter(|l| l["record"] == "summary")
            .expect("a summary line last")
    }

    pub(crate) fn of(&self, record: &str) -> Vec<&Value> {
        self.lines
            .iter()
            .filter(|l| l["record"] == record)
            .collect()
    }
}

pub(crate) async fn run(endpoint: &str, args: Vec<String>) -> Output {
    let endpoint = endpoint.to_owned();
    tokio::task::spawn_blocking(move || {
        let out = command(&endpoint).args(&args).output().unwrap();
        parse_output(out.status.code().unwrap_or(-1), &out.stdout, &out.stderr)
    })
    .await
    .unwrap()
}

pub(crate) fn parse_output(code: i32, stdout: &[u8], stderr: &[u8]) -> Output {
    let stdout = String::from_utf8_lossy(stdout);
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    Output {
        code,
        lines,
        stderr: String::from_utf8_lossy(stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_verdict_is_found_with_its_evidence() {
    let scene = Scene::new().await;
    let out = run(&scene.moto.endpoint, scene.args(&["--format=json"])).await;
    assert_eq!(out.verdicts(), scene.expected, "stderr: {}", out.stderr);
    assert_eq!(out.code, 1, "findings exit 1: {}", out.stderr);
    let summary = out.summary();
    assert_eq!(
        summary["route53_calls"], 2,
        "GetHostedZone and one page: {summary}"
    );
    assert_eq!(summary["exit_code"], 1);
    let by_name = |name: &str| {
        out.of("delegation")
            .into_iter()
            .find(|l| l["name"] == name)
            .unwrap()
            .clone()
    };
    let dangling = by_name("dangling.example.com");
    assert_eq!(dangling["conclusive"], true);
    for server in dangling["servers"].as_array().unwrap() {
        assert_eq!(server["rcode"], "REFUSED", "{dangling}");
        assert_eq!(server["aa"], false);
        assert_eq!(server["address"], scene.knot.addr.to_string());
    }
    assert_eq!(
        by_name("flappy.example.com")["servers"][0]["rcode"],
        "SERVFAIL"
    );
    let ok = by_name("ok.example.com");
    assert_eq!(ok["servers"][0]["rcode"], "NOERROR");
    assert_eq!(ok["servers"][0]["aa"], true);
    assert!(
        ok["apex_ns"].as_str().unwrap().contains("ns1.dns.test"),
        "{ok}"
    );
    assert!(
        by_name("stale.example.com")["reason"]
            .as_str()
            .unwrap()
            .contains("ns3.dns.test")
    );
    let broken = by_name("broken.example.com");
    assert!(
        broken["reason"]
            .as_str()
            .unwrap()
            .contains("matches a DNSKEY"),
        "{broken}"
    );
    assert!(
        broken["dnskey"].as_str().unwrap().contains("DNSKEY"),
        "{broken}"
    );
    assert!(
        by_name("signed.example.com")["dnskey"]
            .as_str()
            .unwrap()
            .contains("flags 257")
    );
    let unknown = by_name("unknown.example.com");
    assert_eq!(unknown["servers"][0]["rcode"], Value::Null);
    assert!(
        unknown["servers"][0]["answer"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{unknown}"
    );
    let junk = by_name("garbage.example.com");
    assert!(
        junk["servers"][0]["answer"]
            .as_str()
            .unwrap()
            .contains("not DNS"),
        "{junk}"
    );
    assert!(
        by_name("lame.example.com")["reason"]
            .as_str()
            .unwrap()
            .contains("ns1.refuser.test")
    );
    // Each delegation: one SOA per server, the NS set and the DNSKEY set once; retries only for the
    // silent and garbage servers (one retry each).
    let queries = summary["dns_queries"].as_u64().unwrap();
    assert!(
        queries <= 8 * scene.expected.len() as u64,
        "{queries} queries"
    );

    // The same audit as a table, for people.
    let args = scene.args(&["--format", "table"]);
    let endpoint = scene.moto.endpoint.clone();
    let out = tokio::task::spawn_blocking(move || command(&endpoint).args(args).output().unwrap())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("ZONE"), "{text}");
    assert!(
        text.contains("dangling.example.com") && text.contains("REFUSED"),
        "{text}"
    );
    let last = format!("{} delegations in 1 zones", scene.expected.len());
    assert!(text.lines().last().unwrap().starts_with(&last), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_dangling_removes_exactly_the_confirmed_dangling_ones() {
    let scene = Scene::new().await;
    let args = scene.args(&[
        "--format",
        "json",
        "--remove-dangling",
        "--allowed-names",
        "dangling.example.com,dangling-ds.example.com,flappy.example.com",
        "--recheck-after",
        "5",
    ]);
    // The second probe of flappy.example.com finds it served: Knot loads its zone meanwhile.
    let endpoint = scene.moto.endpoint.clone();
    let mut child = command(&endpoint)
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("rechecking")
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(());
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    rx.await.expect("the audit announces its second probe");
    scene.knot.serve("flappy.example.com").await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = reader.join().unwrap();
    let out = parse_output(
        out.status.code().unwrap_or(-1),
        &out.stdout,
        stderr.as_bytes(),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let removals: BTreeMap<String, Value> = out
        .of("removal")
        .into_iter()
        .map(|r| (r["name"].as_str().unwrap().to_owned(), r.clone()))
        .collect();
    assert_eq!(
        removals.keys().collect::<Vec<_>>(),
        [
            "dangling-ds.example.com",
            "dangling.example.com",
            "flappy.example.com",
            "notallowed.example.com"
        ]
    );
    assert_eq!(
        removals["dangling.example.com"]["removed"], true,
        "{removals:?}"
    );
    assert_eq!(removals["dangling-ds.example.com"]["removed"], true);
    let records = removals["dangling-ds.example.com"]["records"]
        .as_array()
        .unwrap();
    assert!(
        records[0].as_str().unwrap().starts_with("DS 300 "),
        "DS first: {records:?}"
    );
    assert_eq!(removals["flappy.example.com"]["removed"], false);
    assert!(
        removals["flappy.example.com"]["kept"]
            .as_str()
            .unwrap()
            .contains("second probe disagrees")
    );
    assert_eq!(removals["notallowed.example.com"]["removed"], false);
    assert!(
        removals["notallowed.example.com"]["kept"]
            .as_str()
            .unwrap()
            .contains("allowed names")
    );
    assert_eq!(out.summary()["removed"], 2);
    let after = scene.parent_records().await;
    let names_after: Vec<&str> = after.iter().map(|r| r.0.as_str()).collect();
    assert!(!names_after.contains(&"dangling.example.com."), "{after:?}");
    assert!(
        !names_after.contains(&"dangling-ds.example.com."),
        "{after:?}"
    );
    for kept in [
        "flappy.example.com.",
        "notallowed.example.com.",
        "unknown.example.com.",
        "lame.example.com.",
        "stale.example.com.",
        "broken.example.com.",
        "example.com.",
    ] {
        assert!(names_after.contains(&kept), "{kept} kept: {after:?}");
    }
}

impl Scene {
    async fn parent_records(&self) -> Vec<Rec> {
        records(&self.parent, &self.zone).await
    }
}

/// moto with IAM enforced: the tests' credentials are unknown to it, so every call is denied.
pub(crate) struct DenyingMoto {
    child: std::process::Child,
    pub(crate) endpoint: String,
}

impl DenyingMoto {
    pub(crate) fn start() -> DenyingMoto {
        let port = free_port();
        let child = Command::new(moto_server_path())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed().as_secs() < 30, "moto did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        DenyingMoto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for DenyingMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_zones_and_denied_reads_exit_with_the_error_code() {
    let moto = Moto::start();
    let parent = moto.route53(PARENT_ACCOUNT).await;
    let zone = create_zone(&parent, "example.com").await;
    put(
        &parent,
        &zone,
        "dangling.example.com",
        "NS",
        &strings(&["ns1.silent.test"]),
    )
    .await;
    let silent = Silent::start();
    let ns = format!("ns1.silent.test={}", silent.addr);
    let args = |extra: &[&str]| {
        let mut v: Vec<String> = [
            "audit",
            "--format",
            "json",
            "--timeout",
            "0.2",
            "--nameserver-address",
            &ns,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    // An unknown zone ID and an unknown name are errors; the known zone is still audited.
    let out = run(
        &moto.endpoint,
        args(&["Z0NOSUCHZONE", "nosuch.example.org", "example.com"]),
    )
    .await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    let errors = out.of("error");
    assert_eq!(errors.len(), 2, "{:?}", out.lines);
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap()
            .contains("NoSuchHostedZone"),
        "{errors:?}"
    );
    assert!(
        errors[1]["error"]
            .as_str()
            .unwrap()
            .contains("nosuch.example.org"),
        "{errors:?}"
    );
    assert_eq!(out.verdicts().get("dangling.example.com"), Some(&"unknown"));
    // Usage errors.
    for bad in [
        &["--format", "xml"][..],
        &["--remove-dangling"],
        &["not..a..zone"],
    ] {
        let out = tokio::task::spawn_blocking({
            let endpoint = moto.endpoint.clone();
            let a = args(bad);
            move || command(&endpoint).args(a).output().unwrap()
        })
        .await
        .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: ") && err.contains("--help"),
            "{bad:?}: {err}"
        );
    }
    // No permission: every Route 53 read is denied.
    let denying = DenyingMoto::start();
    let out = run(&denying.endpoint, args(&["example.com"])).await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    let error = out.of("error")[0]["error"].as_str().unwrap().to_owned();
    assert!(error.contains("ListHostedZonesByName"), "{error}");
    let out = run(&denying.endpoint, args(&[])).await;
    assert_eq!(out.code, 3);
    assert!(
        out.of("error")[0]["error"]
            .as_str()
            .unwrap()
            .contains("ListHostedZones")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parent_of_ten_thousand_records_is_read_in_pages_of_300() {
    let moto = Moto::start();
    let parent = moto.route53(PARENT_ACCOUNT).await;
    let zone = create_zone(&parent, "example.com").await;
    let knot = Knot::start(&[KnotZone::new("d0.example.com", &NS)]).await;
    // 9,988 A records, 10 delegations: 9,998 + the apex SOA and NS = 10,000 record sets.
    let mut sets: Vec<ResourceRecordSet> = (0..9_988)
        .map(|i| {
            record_set(
                &format!("host{i}.example.com"),
                RrType::A,
                300,
                &["192.0.2.1"],
            )
        })
        .collect();
    sets.extend((0..10).map(|i| {
        record_set(
            &format!("d{i}.example.com"),
            RrType::Ns,
            300,
            &["ns1.dns.test.", "ns2.dns.test."],
        )
    }));
    create_record_sets(&parent, &zone, sets).await;
    let ns1 = format!("ns1.dns.test={}", knot.addr);
    let ns2 = format!("ns2.dns.test={}", knot.addr);
    let args: Vec<String> = [
        "audit",
        &zone,
        "--format",
        "json",
        "--nameserver-address",
        &ns1,
        "--nameserver-address",
        &ns2,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = run(&moto.endpoint, args).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let verdicts = out.verdicts();
    assert_eq!(verdicts.len(), 10);
    assert_eq!(verdicts["d0.example.com"], "ok");
    assert_eq!(verdicts.values().filter(|v| **v == "dangling").count(), 9);
    // GetHostedZone, then ceil(10,000 / 300) = 34 pages.
    assert_eq!(out.summary()["route53_calls"], 35);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scheduled_event_logs_findings_and_publishes_metrics() {
    let scene = Scene::new().await;
    let overrides = addresses_json(&scene.overrides);
    // The deployment's audit zones: the scene's example.com and a second one; a third zone the
    // parent role can list is not the deployment's, so the event (which names none) skips it.
    create_zone(&scene.parent, "example.org").await;
    create_zone(&scene.parent, "example.net").await;
    let event = json!({"subdomainDelegationAudit": {
        "parentRoleArn": parent_role(),
        "nameserverAddresses": overrides,
        "timeoutSeconds": 1,
    }});
    let dir = repo_root().join("target/test-events");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("audit-{}.json", uuid()));
    std::fs::write(&path, event.to_string()).unwrap();
    let endpoint = scene.moto.endpoint.clone();
    let out = tokio::task::spawn_blocking(move || {
        command(&endpoint)
            .arg("invoke")
            .arg(&path)
            .env("DELEGATION_AUDIT_ZONES", "example.com,example.org")
            .env("DELEGATION_PARENT_ROLE_ARNS", parent_role())
            .env("DELEGATION_AUDIT_REMOVE_DANGLING", "true")
            .env("DELEGATION_AUDIT_ALLOWED_NAMES", "*.example.com")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = parse_output(0, &out.stdout, &out.stderr);
    // One line per finding (a delegation not ok, or ok with warnings: here single-provider, as
    // every name server is under dns.test), no removal (the event overrides addresses).
    let lines = out.of("delegation");
    let (findings, warned): (Vec<&Value>, Vec<&Value>) =
        lines.iter().partition(|f| f["verdict"] != "ok");
    let expected_findings = scene.expected.values().filter(|v| **v != "ok").count();
    assert_eq!(findings.len(), expected_findings, "{:?}", out.lines);
    assert!(
        warned
            .iter()
            .all(|f| !f["warnings"].as_array().unwrap().is_empty()),
        "an ok delegation is printed only for its warnings: {warned:?}"
    );
    assert!(out.of("removal").is_empty());
    assert!(
        out.stderr.contains("removal is on, but not for this run"),
        "{}",
        out.stderr
    );
    let summary = out.summary();
    assert_eq!(summary["zones"], json!(["example.com", "example.org"]));
    assert_eq!(summary["verdicts"]["dangling"], 4);
    // EMF: one document per zone and verdict, zeros included.
    let emf: Vec<&Value> = out
        .lines
        .iter()
        .filter(|l| l.get("_aws").is_some())
        .collect();
    assert_eq!(emf.len(), 12);
    let count = |zone: &str, verdict: &str| {
        emf.iter()
            .find(|d| d["ParentZone"] == zone && d["Verdict"] == verdict)
            .unwrap()["Delegations"]
            .clone()
    };
    assert_eq!(count("example.com", "dangling"), 4);
    assert_eq!(count("example.com", "dnssec-broken"), 1);
    assert_eq!(count("example.com", "ok"), 5);
    assert_eq!(count("example.org", "dangling"), 0);
    assert_eq!(
        emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "SubdomainDelegation/Audit"
    );
}

/// Writes an audit event to a file and runs it through `invoke`, with extra variables.
pub(crate) fn invoke_audit_event(
    endpoint: &str,
    event: &Value,
    vars: &[(&str, &str)],
) -> std::process::Output {
    let dir = repo_root().join("target/test-events");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("audit-{}.json", uuid()));
    std::fs::write(&path, event.to_string()).unwrap();
    let mut cmd = command(endpoint);
    cmd.arg("invoke")
        .arg(&path)
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let _ = std::fs::remove_file(&path);
    out
}

/// An audit event may only narrow the deployment's audit (docs/design.md, "Who may ask"). Each
/// refusal answers at once with one JSON summary line naming the rule, and asks neither Route 53
/// nor a name server: the endpoints point where nothing answers (a call would end as an error
/// after retries, not as a refusal), and no test server is started.
#[test]
fn audit_events_beyond_the_deployments_audit_are_refused_without_a_call() {
    // The discard port on loopback: nothing listens, and nothing leaves the machine.
    const NOWHERE: &str = "http://127.0.0.1:9";
    let role = parent_role();
    let cases = [
        (
            "zones",
            vec![("DELEGATION_AUDIT_ZONES", "example.com,Z0PARENT")],
            json!({"zones": ["example.com", "example.org"]}),
        ),
        // No audit zones configured: every listed zone, and an event may name none.
        ("zones", vec![], json!({"zones": ["example.com"]})),
        (
            "disabled",
            vec![("DELEGATION_AUDIT_DISABLED", "true")],
            json!({}),
        ),
        (
            "nameserver-addresses",
            // TEST-NET-1: not loopback, so not an emulator; never reached either.
            vec![("AWS_ENDPOINT_URL_ROUTE_53", "http://192.0.2.1:9")],
            json!({"nameserverAddresses": {"ns1.dns.test": "127.0.0.1:9"}}),
        ),
        ("concurrency", vec![], json!({"concurrency": 1024})),
        ("timeout", vec![], json!({"timeoutSeconds": 30})),
        ("parent-role", vec![], json!({"parentRoleArn": role})),
    ];
    for (rule, vars, settings) in cases {
        let event = json!({"subdomainDelegationAudit": settings});
        let started = std::time::Instant::now();
        let out = invoke_audit_event(NOWHERE, &event, &vars);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{event}: {stderr}");
        let out = parse_output(0, &out.stdout, &out.stderr);
        assert_eq!(
            out.lines.len(),
            1,
            "{event}: only the refusal: {:?}",
            out.lines
        );
        let summary = out.summary();
        assert_eq!(summary["refused"], rule, "{event}: {summary}");
        assert_eq!(summary["exit_code"], 2, "{summary}");
        assert_eq!(summary["route53_calls"], 0, "{summary}");
        assert_eq!(summary["dns_queries"], 0, "{summary}");
        assert!(!summary["error"].as_str().unwrap().is_empty(), "{summary}");
        let logged: Vec<Value> = stderr
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        assert!(
            logged
                .iter()
                .any(|l| l["level"] == "ERROR" && l["rule"] == rule),
            "a JSON error line naming the rule: {stderr}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{event}: refused at once, not after retries ({:?})",
            started.elapsed()
        );
    }
}
