//! The audit's findings in Security Hub end to end: moto's Security Hub (`BatchImportFindings`,
//! read back with `GetFindings`), the parent zone in moto read through the parent role, the child
//! zones on Knot DNS; the binary's `audit --security-hub` and the scheduled event with
//! `DELEGATION_AUDIT_SECURITY_HUB=true`.

use crate::audit::{
    DNS_ACCOUNT, DenyingMoto, NS, addresses_json, audit_args, invoke_audit_event, parent_role,
    parse_output, put, run, strings,
};
use crate::support::knot::{Knot, KnotZone};
use crate::support::*;
use aws_sdk_route53::types::ChangeAction;
use aws_sdk_securityhub::types::{AwsSecurityFinding, RecordState};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// ok.example.com served; gone.example.com not served until `fix` (dangling); stale.example.com
/// with another NS set at the child's apex than the parent's until `fix` (stale).
struct Scene {
    moto: Moto,
    parent: aws_sdk_route53::Client,
    zone: String,
    zone_id: String,
    knot: Knot,
    overrides: Vec<String>,
}

impl Scene {
    async fn new() -> Scene {
        let knot = Knot::start(&[
            KnotZone::new("ok.example.com", &NS),
            KnotZone::new("gone.example.com", &NS).not_loaded(),
            KnotZone::new("stale.example.com", &["ns1.dns.test", "ns3.dns.test"]),
        ])
        .await;
        let moto = Moto::start();
        let parent = moto.route53(DNS_ACCOUNT).await;
        let zone = create_zone(&parent, "example.com").await;
        for name in ["ok", "gone", "stale"] {
            put(
                &parent,
                &zone,
                &format!("{name}.example.com"),
                "NS",
                &strings(&NS),
            )
            .await;
        }
        let overrides = ["ns1.dns.test", "ns2.dns.test", "ns3.dns.test"]
            .iter()
            .map(|h| format!("{h}={}", knot.addr))
            .collect();
        let zone_id = zone.trim_start_matches("/hostedzone/").to_owned();
        Scene {
            moto,
            parent,
            zone,
            zone_id,
            knot,
            overrides,
        }
    }

    fn args(&self) -> Vec<String> {
        audit_args(
            &self.zone,
            &["--format", "json", "--security-hub"],
            &self.overrides,
        )
    }

    /// Serves gone.example.com, and points the parent's NS of stale.example.com at the child's.
    async fn fix(&self) {
        self.knot.serve("gone.example.com").await;
        change_record(
            &self.parent,
            &self.zone,
            ChangeAction::Upsert,
            "stale.example.com",
            "NS",
            300,
            &["ns1.dns.test.", "ns3.dns.test."],
        )
        .await;
    }

    /// Every finding moto's Security Hub holds, by name (the last part of the ID). Read on a
    /// thread of its own with a large stack: the SDK's ASFF deserializer, unoptimized, needs more
    /// than a test thread's 2 MiB.
    async fn findings(&self) -> BTreeMap<String, AwsSecurityFinding> {
        let config = self.moto.sdk_config().await;
        let reader = std::thread::Builder::new()
            .stack_size(READER_STACK)
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let hub = aws_sdk_securityhub::Client::new(&config);
                    let out = hub.get_findings().send().await.unwrap();
                    out.findings()
                        .iter()
                        .map(|f| {
                            let id = f.id().unwrap();
                            (id.rsplit('/').next().unwrap().to_owned(), f.clone())
                        })
                        .collect::<BTreeMap<_, _>>()
                })
            })
            .unwrap();
        tokio::task::spawn_blocking(move || reader.join().unwrap())
            .await
            .unwrap()
    }
}

/// The stack of the thread that reads the findings back.
const READER_STACK: usize = 64 * 1024 * 1024;

fn state(f: &AwsSecurityFinding) -> (&str, &str, &str) {
    (
        f.record_state().map_or("", RecordState::as_str),
        f.severity()
            .and_then(|s| s.label())
            .map_or("", |l| l.as_str()),
        f.compliance()
            .and_then(|c| c.status())
            .map_or("", |s| s.as_str()),
    )
}

fn hub_line(lines: &[Value]) -> &Value {
    lines
        .iter()
        .find(|l| l["record"] == "security-hub")
        .expect("a security-hub line")
}

#[tokio::test(flavor = "multi_thread")]
async fn findings_are_imported_updated_and_archived_once_fixed() {
    let scene = Scene::new().await;
    let out = run(&scene.moto.endpoint, scene.args()).await;
    assert_eq!(out.code, 1, "findings: {}", out.stderr);
    let hub = hub_line(&out.lines);
    assert_eq!(
        (hub["active"].clone(), hub["archived"].clone()),
        (json!(2), json!(1)),
        "{hub}"
    );
    assert_eq!(hub["calls"], 1);
    let first = scene.findings().await;
    assert_eq!(first.len(), 3, "{first:?}");
    assert_eq!(
        state(&first["gone.example.com"]),
        ("ACTIVE", "CRITICAL", "FAILED")
    );
    assert_eq!(
        state(&first["stale.example.com"]),
        ("ACTIVE", "MEDIUM", "FAILED")
    );
    assert_eq!(
        state(&first["ok.example.com"]),
        ("ARCHIVED", "INFORMATIONAL", "PASSED")
    );
    let gone = &first["gone.example.com"];
    assert_eq!(
        gone.id().unwrap(),
        format!("subdomain-delegation/{}/gone.example.com", scene.zone_id)
    );
    assert_eq!(
        gone.product_arn().unwrap(),
        format!("arn:aws:securityhub:us-east-1:{PARENT_ACCOUNT}:product/{PARENT_ACCOUNT}/default")
    );
    assert_eq!(gone.aws_account_id().unwrap(), PARENT_ACCOUNT);
    assert_eq!(gone.generator_id().unwrap(), "subdomain-delegation/audit");
    let resource = &gone.resources()[0];
    assert_eq!(resource.r#type().unwrap(), "AwsRoute53HostedZone");
    assert_eq!(
        resource.id().unwrap(),
        format!("arn:aws:route53:::hostedzone/{}", scene.zone_id)
    );
    let other = resource.details().unwrap().other().unwrap();
    assert!(
        other["Server ns1.dns.test"].contains("SERVFAIL"),
        "{other:?}"
    );
    assert_eq!(
        gone.product_fields().unwrap()["subdomain-delegation/Verdict"],
        "dangling"
    );
    assert!(gone.types().contains(&"Effects/Data Exposure".to_owned()));

    // The same run again: the same three findings, updated rather than duplicated.
    let out = run(&scene.moto.endpoint, scene.args()).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let again = scene.findings().await;
    assert_eq!(again.len(), 3, "updated, not duplicated: {again:?}");
    let updated = |f: &AwsSecurityFinding| f.updated_at().unwrap().to_owned();
    assert!(updated(&again["gone.example.com"]) >= updated(gone));

    // Fixed: every delegation ok, every finding archived and passed.
    scene.fix().await;
    let out = run(&scene.moto.endpoint, scene.args()).await;
    assert_eq!(
        out.code,
        0,
        "all ok now: {:?} {}",
        out.verdicts(),
        out.stderr
    );
    assert_eq!(hub_line(&out.lines)["archived"], 3);
    let fixed = scene.findings().await;
    assert_eq!(fixed.len(), 3);
    for (name, f) in &fixed {
        assert_eq!(state(f), ("ARCHIVED", "INFORMATIONAL", "PASSED"), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scheduled_audit_imports_when_the_deployment_says_so() {
    let scene = Scene::new().await;
    let addresses = addresses_json(&scene.overrides);
    let event = json!({"subdomainDelegationAudit": {
        "parentRoleArn": parent_role(), "nameserverAddresses": addresses, "timeoutSeconds": 1,
    }});
    let endpoint = scene.moto.endpoint.clone();
    let role = parent_role();
    let out = tokio::task::spawn_blocking(move || {
        invoke_audit_event(
            &endpoint,
            &event,
            &[
                ("DELEGATION_AUDIT_ZONES", "example.com"),
                ("DELEGATION_PARENT_ROLE_ARNS", &role),
                ("DELEGATION_AUDIT_SECURITY_HUB", "true"),
            ],
        )
    })
    .await
    .unwrap();
    let out = parse_output(0, &out.stdout, &out.stderr);
    let summary = out.summary();
    assert_eq!(summary["exit_code"], 1, "{summary} {}", out.stderr);
    assert_eq!(summary["security_hub"]["imported"], 3, "{summary}");
    assert_eq!(summary["security_hub"]["failed"], 0);
    assert_eq!(hub_line(&out.lines)["active"], 2);
    assert_eq!(scene.findings().await.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_security_hub_that_refuses_the_import_exits_with_the_error_code() {
    let scene = Scene::new().await;
    // Security Hub answers from a moto that knows none of the credentials: AccessDenied.
    let denying = DenyingMoto::start();
    let args = scene.args();
    let endpoint = scene.moto.endpoint.clone();
    let hub = denying.endpoint.clone();
    let out = tokio::task::spawn_blocking(move || {
        crate::audit::command(&endpoint)
            .env("AWS_ENDPOINT_URL_SECURITYHUB", hub)
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let out = parse_output(out.status.code().unwrap_or(-1), &out.stdout, &out.stderr);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_eq!(out.verdicts().len(), 3, "the audit itself ran");
    let hub = hub_line(&out.lines);
    let errors = hub["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{hub}");
    assert!(
        errors[0].as_str().unwrap().contains("BatchImportFindings"),
        "{hub}"
    );
    assert_eq!(out.summary()["exit_code"], 3);
}
