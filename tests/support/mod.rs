//! Real parts for the tests: the moto server (Route 53 and STS, multi-account), a response
//! receiver that records every PUT, and a driver that builds CloudFormation's requests.
#![allow(dead_code)]

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, HostedZoneConfig, ResourceRecord, ResourceRecordSet, RrType,
    Vpc, VpcRegion,
};
use serde_json::{Value, json};
use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use subdomain_delegation::aws::{SdkConnector, retry_config};
use subdomain_delegation::cfn::responder::Responder;
use subdomain_delegation::cfn::runner::Provider;
use subdomain_delegation::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::Instant;

pub const PARENT_ACCOUNT: &str = "123456789012";
pub const CHILD_ACCOUNT: &str = "222222222222";
pub const OTHER_ACCOUNT: &str = "333333333333";
pub const READER_ROLE: &str = "SubdomainDelegationReader";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The moto server binary: `MOTO_SERVER`, else the project's venv. Missing is a failure, not a skip.
pub fn moto_server_path() -> PathBuf {
    if let Ok(p) = std::env::var("MOTO_SERVER") {
        return PathBuf::from(p);
    }
    let p = repo_root().join(".venv/bin/moto_server");
    assert!(
        p.exists(),
        "moto_server is missing at {}: run scripts/test (it installs moto[server] into .venv), or set MOTO_SERVER",
        p.display()
    );
    p
}

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A moto server on a free loopback port, stopped on drop.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Moto {
        let port = free_port();
        let child = Command::new(moto_server_path())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting moto_server");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not start within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        sdk_config(&self.endpoint).await
    }

    /// Route 53 acting in `account` (the default credentials act in the parent account).
    pub async fn route53(&self, account: &str) -> aws_sdk_route53::Client {
        let base = self.sdk_config().await;
        if account == PARENT_ACCOUNT {
            return aws_sdk_route53::Client::new(&base);
        }
        let sts = aws_sdk_sts::Client::new(&base);
        let out = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/Admin"))
            .role_session_name("test-setup")
            .send()
            .await
            .unwrap();
        let c = out.credentials().unwrap();
        let creds = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().into()),
            None,
            "test",
        );
        aws_sdk_route53::Client::from_conf(
            aws_sdk_route53::config::Builder::from(&base)
                .credentials_provider(creds)
                .build(),
        )
    }

    /// The provider, in-process, pointed at this moto.
    pub async fn provider(&self) -> Provider<SdkConnector> {
        provider_at(&self.endpoint).await
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .load()
        .await
}

/// Lets every test account delegate below example.com; the policy's own tests narrow it.
pub const TEST_POLICY: &str = r#"{"allow":[{"accounts":["*"],"names":["*.example.com"]}]}"#;

/// The settings tests run the provider with against moto: loopback answers allowed, request
/// verification off (moto cannot hold a resource *_IN_PROGRESS), the test policy.
pub fn test_config() -> Config {
    Config {
        allow_loopback_response_url: true,
        region: "us-east-1".into(),
        policy: Some(subdomain_delegation::domain::authority::Policy::parse(TEST_POLICY).unwrap()),
        skip_request_verification: true,
        parent_roles: Vec::new(),
        route53_requests_per_second:
            subdomain_delegation::config::DEFAULT_ROUTE53_REQUESTS_PER_SECOND,
        max_changes_per_batch: subdomain_delegation::config::DEFAULT_MAX_CHANGES_PER_BATCH,
        resource_types: vec!["Custom::SubdomainDelegation".into()],
        assume_role_patience: subdomain_delegation::ports::ASSUME_ROLE_PATIENCE,
        metrics: None,
        parent_scope: Default::default(),
    }
}

/// The environment the binary runs with in tests (beside the endpoint variables).
pub fn test_env() -> Vec<(&'static str, String)> {
    vec![
        ("DELEGATION_ALLOW_LOOPBACK_RESPONSE_URL", "true".into()),
        ("DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION", "true".into()),
        ("DELEGATION_POLICY", TEST_POLICY.into()),
    ]
}

pub async fn provider_at(endpoint: &str) -> Provider<SdkConnector> {
    provider_with(endpoint, test_config()).await
}

pub async fn provider_with(endpoint: &str, config: Config) -> Provider<SdkConnector> {
    let connector = SdkConnector::new(sdk_config(endpoint).await, retry_config());
    Provider::new(
        connector,
        config,
        Responder::new(4, Duration::from_millis(100)),
    )
}

pub fn role_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/{READER_ROLE}")
}

pub async fn create_zone(r53: &aws_sdk_route53::Client, name: &str) -> String {
    let out = r53
        .create_hosted_zone()
        .name(name)
        .caller_reference(format!("{name}-{}", fastrand::u64(..)))
        .send()
        .await
        .unwrap();
    out.hosted_zone()
        .unwrap()
        .id()
        .trim_start_matches("/hostedzone/")
        .to_string()
}

pub async fn create_private_zone(r53: &aws_sdk_route53::Client, name: &str) -> String {
    let out = r53
        .create_hosted_zone()
        .name(name)
        .caller_reference(format!("{name}-{}", fastrand::u64(..)))
        .hosted_zone_config(HostedZoneConfig::builder().private_zone(true).build())
        .vpc(
            Vpc::builder()
                .vpc_id("vpc-12345678")
                .vpc_region(VpcRegion::UsEast1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.hosted_zone()
        .unwrap()
        .id()
        .trim_start_matches("/hostedzone/")
        .to_string()
}

/// A simple record set, as the SDK writes or reads it.
pub fn record_set(name: &str, rtype: RrType, ttl: i64, values: &[&str]) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(name)
        .r#type(rtype)
        .ttl(ttl)
        .set_resource_records(Some(
            values
                .iter()
                .map(|v| ResourceRecord::builder().value(*v).build().unwrap())
                .collect(),
        ))
        .build()
        .unwrap()
}

/// The attributes of a SUCCESS answer to a Create or Update (docs/design.md, "The answer"),
/// sorted.
pub const DATA_KEYS: [&str; 7] = [
    "ChangeId",
    "ChildHostedZoneId",
    "DelegatedName",
    "DsRecord",
    "NameServers",
    "ParentHostedZoneId",
    "TTL",
];

pub async fn change_record(
    r53: &aws_sdk_route53::Client,
    zone: &str,
    action: ChangeAction,
    name: &str,
    rtype: &str,
    ttl: i64,
    values: &[&str],
) {
    let set = record_set(name, RrType::from(rtype), ttl, values);
    r53.change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(
            ChangeBatch::builder()
                .changes(
                    Change::builder()
                        .action(action)
                        .resource_record_set(set)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Changes per call when a test fills a zone: Route 53 takes at most 1,000 ResourceRecord
/// elements a call, and each set a test writes this way has one or two.
const SETUP_CHANGES_PER_CALL: usize = 500;

/// Creates `sets` in `zone` in few calls: the records of other owners that a test starts from.
pub async fn create_record_sets(
    r53: &aws_sdk_route53::Client,
    zone: &str,
    sets: Vec<ResourceRecordSet>,
) {
    let changes: Vec<Change> = sets
        .into_iter()
        .map(|set| {
            Change::builder()
                .action(ChangeAction::Create)
                .resource_record_set(set)
                .build()
                .unwrap()
        })
        .collect();
    for chunk in changes.chunks(SETUP_CHANGES_PER_CALL) {
        r53.change_resource_record_sets()
            .hosted_zone_id(zone)
            .change_batch(
                ChangeBatch::builder()
                    .set_changes(Some(chunk.to_vec()))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
}

/// A record set, flattened for comparison: (name, type, ttl, sorted lower-case values).
pub type Rec = (String, String, i64, Vec<String>);

pub async fn records(r53: &aws_sdk_route53::Client, zone: &str) -> Vec<Rec> {
    let out = r53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .unwrap();
    let mut all: Vec<Rec> = out
        .resource_record_sets()
        .iter()
        .map(|r| {
            let mut values: Vec<String> = r
                .resource_records()
                .iter()
                .map(|v| v.value().to_ascii_lowercase())
                .collect();
            values.sort();
            (
                r.name().to_ascii_lowercase(),
                r.r#type().as_str().to_string(),
                r.ttl().unwrap_or(-1),
                values,
            )
        })
        .collect();
    all.sort();
    all
}

/// The records below the apex (the apex SOA and NS are moto's own).
pub async fn delegations(r53: &aws_sdk_route53::Client, zone: &str, apex: &str) -> Vec<Rec> {
    let apex = format!("{apex}.");
    records(r53, zone)
        .await
        .into_iter()
        .filter(|r| r.0 != apex)
        .collect()
}

pub async fn name_servers(r53: &aws_sdk_route53::Client, zone: &str) -> Vec<String> {
    let out = r53.get_hosted_zone().id(zone).send().await.unwrap();
    out.delegation_set().unwrap().name_servers().to_vec()
}

pub fn fqdn_sorted(ns: &[String]) -> Vec<String> {
    let mut v: Vec<String> = ns
        .iter()
        .map(|n| format!("{}.", n.trim_end_matches('.').to_ascii_lowercase()))
        .collect();
    v.sort();
    v
}

/// One PUT as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Put {
    pub method: String,
    pub target: String,
    /// `None` when the header was absent.
    pub content_type: Option<String>,
    pub content_length: Option<usize>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Put {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the answer is JSON")
    }
}

/// A loopback HTTP server that records every request and answers with programmed statuses
/// (then 200).
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    puts: Arc<Mutex<Vec<Put>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let receiver = Receiver {
            url: format!("http://127.0.0.1:{port}/cfn-response/bucket-key"),
            puts: Arc::default(),
            statuses: Arc::default(),
        };
        let r = receiver.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let r = r.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    let header_end = loop {
                        let Ok(n) = sock.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
                    let mut lines = head.split("\r\n");
                    let mut first = lines.next().unwrap_or("").split(' ');
                    let method = first.next().unwrap_or("").to_string();
                    let target = first.next().unwrap_or("").to_string();
                    let mut content_type = None;
                    let mut content_length = None;
                    for line in lines {
                        if let Some((k, v)) = line.split_once(':') {
                            match k.trim().to_ascii_lowercase().as_str() {
                                "content-type" => content_type = Some(v.trim().to_string()),
                                "content-length" => content_length = v.trim().parse().ok(),
                                _ => {}
                            }
                        }
                    }
                    let want = content_length.unwrap_or(0);
                    while buf.len() - header_end < want {
                        let Ok(n) = sock.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let body = buf[header_end..].to_vec();
                    r.puts.lock().unwrap().push(Put {
                        method,
                        target,
                        content_type,
                        content_length,
                        body,
                        at: Instant::now(),
                    });
                    let status = {
                        let mut s = r.statuses.lock().unwrap();
                        if s.is_empty() { 200 } else { s.remove(0) }
                    };
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                    let _ = sock.write_all(reply.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        receiver
    }

    /// Answers the next requests with these statuses, in order.
    pub fn program(&self, statuses: &[u16]) {
        *self.statuses.lock().unwrap() = statuses.to_vec();
    }

    pub fn puts(&self) -> Vec<Put> {
        self.puts.lock().unwrap().clone()
    }

    pub fn clear(&self) {
        self.puts.lock().unwrap().clear();
    }

    /// The URL with a query string standing for the pre-signed credential.
    pub fn presigned(&self, request_id: &str) -> String {
        format!(
            "{}?X-Amz-Signature=SECRETSIGNATURE{request_id}&X-Amz-Credential=SECRETCRED",
            self.url
        )
    }
}

/// Builds the requests CloudFormation sends, with fresh RequestIds.
pub struct Driver {
    pub stack_id: String,
    pub logical_id: String,
    pub response_url: String,
}

impl Driver {
    pub fn new(account: &str, stack: &str, logical_id: &str, receiver: &Receiver) -> Driver {
        Driver {
            stack_id: format!(
                "arn:aws:cloudformation:us-east-1:{account}:stack/{stack}/{}",
                uuid()
            ),
            logical_id: logical_id.into(),
            response_url: receiver.url.clone(),
        }
    }

    fn base(&self, kind: &str, props: &Value) -> Value {
        let request_id = uuid();
        let mut props = props.clone();
        props["ServiceToken"] = json!(format!(
            "arn:aws:lambda:us-east-1:{PARENT_ACCOUNT}:function:subdomain-delegation"
        ));
        json!({
            "RequestType": kind,
            "ServiceToken": props["ServiceToken"],
            "ResponseURL": format!("{}?X-Amz-Signature=SECRETSIGNATURE{request_id}&X-Amz-Credential=SECRETCRED", self.response_url),
            "StackId": self.stack_id,
            "RequestId": request_id,
            "ResourceType": "Custom::SubdomainDelegation",
            "LogicalResourceId": self.logical_id,
            "ResourceProperties": props,
        })
    }

    pub fn create(&self, props: &Value) -> Value {
        self.base("Create", props)
    }

    pub fn update(&self, physical_id: &str, props: &Value, old: &Value) -> Value {
        let mut e = self.base("Update", props);
        e["PhysicalResourceId"] = json!(physical_id);
        let mut old = old.clone();
        old["ServiceToken"] = e["ServiceToken"].clone();
        e["OldResourceProperties"] = old;
        e
    }

    pub fn delete(&self, physical_id: &str, props: &Value) -> Value {
        let mut e = self.base("Delete", props);
        e["PhysicalResourceId"] = json!(physical_id);
        e
    }
}

/// The fields every summary log line carries (docs/design.md, "Logs").
pub const SUMMARY_FIELDS: [&str; 13] = [
    "version",
    "request_type",
    "requesting_account",
    "region",
    "stack_name",
    "request_id",
    "logical_id",
    "name",
    "parent_zone",
    "action",
    "route53_calls",
    "ms",
    "status",
];

pub fn assert_summary_fields(summary: &Value) {
    for key in SUMMARY_FIELDS {
        assert!(summary.get(key).is_some(), "summary lacks {key}: {summary}");
    }
    assert_eq!(summary["version"], env!("CARGO_PKG_VERSION"), "{summary}");
}

pub fn uuid() -> String {
    let r = || fastrand::u64(..);
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        r() as u32,
        r() as u16,
        r() & 0xfff,
        r() & 0xfff,
        r() & 0xffff_ffff_ffff
    )
}

/// Runs the in-process provider on one event with the given time budget; returns the answer sent.
pub async fn run(
    provider: &Provider<SdkConnector>,
    event: Value,
    budget: Duration,
) -> Option<Value> {
    provider
        .handle(event, Instant::now() + budget, "test-log-stream")
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
}

/// A parent zone `example.com` in the parent account and `dev.example.com` in the child account.
pub struct World {
    pub moto: Moto,
    pub parent: aws_sdk_route53::Client,
    pub child: aws_sdk_route53::Client,
    pub parent_zone: String,
    pub child_zone: String,
}

impl World {
    pub async fn new() -> World {
        let moto = Moto::start();
        let parent = moto.route53(PARENT_ACCOUNT).await;
        let child = moto.route53(CHILD_ACCOUNT).await;
        let parent_zone = create_zone(&parent, "example.com").await;
        let child_zone = create_zone(&child, "dev.example.com").await;
        World {
            moto,
            parent,
            child,
            parent_zone,
            child_zone,
        }
    }

    /// The usual properties: parent by ID, child in the child account through its reader role.
    pub fn props(&self) -> Value {
        json!({
            "ParentHostedZoneId": self.parent_zone,
            "ChildHostedZoneId": self.child_zone,
            "ChildRoleArn": role_arn(CHILD_ACCOUNT),
            "ChildExternalId": "delegation-ext-id",
        })
    }

    pub async fn parent_records(&self) -> Vec<Rec> {
        records(&self.parent, &self.parent_zone).await
    }

    pub async fn delegations(&self) -> Vec<Rec> {
        delegations(&self.parent, &self.parent_zone, "example.com").await
    }

    /// Creates records of other owners in the parent zone: (name, type, value), TTL 300.
    pub async fn add_foreign_records(&self, records: &[(&str, &str, &str)]) {
        for (name, rtype, value) in records {
            change_record(
                &self.parent,
                &self.parent_zone,
                ChangeAction::Create,
                name,
                rtype,
                300,
                &[value],
            )
            .await;
        }
    }
}

pub mod answers;
pub mod mocked;
// The packaged binary and the fault proxy (reliability tests).
pub mod packaged;
pub mod rig;
#[allow(unused_imports)]
pub use packaged::*;

// The audit's DNS servers: Knot DNS, and stand-ins for misbehaving servers.
pub mod dnsstub;
pub mod knot;
