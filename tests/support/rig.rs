//! The one CloudFormation harness of the end-to-end tests: moto ([`World`]) behind the fault proxy,
//! the loopback response receiver, the packaged binary's environment and request [`Driver`]s.
//! A request is sent the way CloudFormation sends it and checked the way every answer must pass
//! (a clean process, the echoed fields, exactly one PUT equal to the printed answer, one summary
//! line); the proxy's log is read per operation and account; the parent zone is compared with a
//! baseline taken before any request. The in-process [`Provider`] can be run over the same proxy.

use super::packaged::{FaultProxy, ROUTE53_WRITES, Run, invoke_packaged, lambda_env};
use super::{
    CHILD_ACCOUNT, Driver, PARENT_ACCOUNT, Put, Rec, Receiver, World, fqdn_sorted, name_servers,
    sdk_config, test_config,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;
use std::sync::Mutex;
use subdomain_delegation::aws::{SdkConnector, retry_config};
use subdomain_delegation::cfn::responder::Responder;
use subdomain_delegation::cfn::runner::Provider;

/// The binary's timeout (seconds) for [`Rig::send`] unless a test sets [`Rig::timeout`].
pub const DEFAULT_TIMEOUT: u64 = 120;

/// One stack's world: moto with `example.com` (parent account) and `dev.example.com` (child
/// account), the fault proxy in front of it, the receiver for the answers, the binary's
/// environment pointed at the proxy, and the parent zone as it was before any request.
pub struct Rig {
    pub w: World,
    pub proxy: FaultProxy,
    pub receiver: Receiver,
    /// The environment the binary runs with ([`lambda_env`] pointed at the proxy).
    pub env: Vec<(String, String)>,
    /// The usual stack: `dev-dns` in the child account, resource `Delegation`.
    pub driver: Driver,
    /// The binary's timeout for [`Rig::send`], [`Rig::send_with`], [`Rig::ok`], [`Rig::failed`].
    pub timeout: Option<u64>,
    /// The parent zone every step must leave alone ([`Rig::expect`]).
    pub baseline: Vec<Rec>,
    /// The fake CloudFormation's table, by StackId ([`Rig::set_stacks`]).
    stacks: Mutex<BTreeMap<String, Value>>,
}

/// One request through the binary: the run, the proxy's log entries made meanwhile and the
/// answers PUT meanwhile (exactly one). Derefs to the [`Run`].
#[derive(Debug)]
pub struct Outcome {
    pub run: Run,
    pub calls: Vec<Value>,
    pub puts: Vec<Put>,
}

impl Deref for Outcome {
    type Target = Run;
    fn deref(&self) -> &Run {
        &self.run
    }
}

impl Outcome {
    /// The calls to `service`, in `account` when given.
    pub fn calls_where(&self, service: &str, account: Option<&str>) -> Vec<&Value> {
        calls_where(&self.calls, service, account)
    }

    /// The calls of one operation, e.g. `DescribeStackResource`.
    pub fn operations(&self, operation: &str) -> Vec<&Value> {
        operations(&self.calls, operation)
    }

    /// The ChangeResourceRecordSets calls.
    pub fn change_calls(&self) -> Vec<&Value> {
        self.operations("ChangeResourceRecordSets")
    }

    /// The Route 53 calls in the parent (DNS) account.
    pub fn parent_route53(&self) -> Vec<&Value> {
        self.calls_where("route53", Some(PARENT_ACCOUNT))
    }
}

/// The log entries of calls to `service`, in `account` when given.
pub fn calls_where<'a>(log: &'a [Value], service: &str, account: Option<&str>) -> Vec<&'a Value> {
    log.iter()
        .filter(|c| c["service"] == service && account.is_none_or(|a| c["account"] == a))
        .collect()
}

/// The log entries of one operation.
pub fn operations<'a>(log: &'a [Value], operation: &str) -> Vec<&'a Value> {
    log.iter().filter(|c| c["operation"] == operation).collect()
}

/// The faults (`null` when none) of one operation's calls, in order.
pub fn faults_of(log: &[Value], operation: &str) -> Vec<Value> {
    operations(log, operation)
        .into_iter()
        .map(|e| e["fault"].clone())
        .collect()
}

/// The NS record the parent holds for a delegation of `name` to `zone` (read in `r53`'s
/// account) with `ttl`, as [`super::records`] shows it.
pub async fn ns_record(r53: &aws_sdk_route53::Client, zone: &str, name: &str, ttl: i64) -> Rec {
    let ns = name_servers(r53, zone).await;
    (format!("{name}."), "NS".into(), ttl, fqdn_sorted(&ns))
}

impl Rig {
    pub async fn new() -> Rig {
        Self::with_proxy_args(&[]).await
    }

    /// With extra arguments for the fault proxy, e.g. `["--mode", "strict"]`.
    pub async fn with_proxy_args(args: &[&str]) -> Rig {
        let w = World::new().await;
        let baseline = w.parent_records().await;
        let proxy = FaultProxy::start_with(&w.moto.endpoint, args);
        let receiver = Receiver::start().await;
        let env = lambda_env(&proxy.endpoint);
        let driver = Driver::new(CHILD_ACCOUNT, "dev-dns", "Delegation", &receiver);
        Rig {
            w,
            proxy,
            receiver,
            env,
            driver,
            timeout: Some(DEFAULT_TIMEOUT),
            baseline,
            stacks: Mutex::default(),
        }
    }

    /// Creates records of other owners in the parent zone ((name, type, value), TTL 300) and
    /// takes them into the baseline.
    pub async fn add_foreign_records(&mut self, records: &[(&str, &str, &str)]) {
        self.w.add_foreign_records(records).await;
        self.baseline = self.w.parent_records().await;
    }

    /// A driver for another stack or resource, answering to the receiver.
    pub fn driver_for(&self, account: &str, stack: &str, logical_id: &str) -> Driver {
        Driver::new(account, stack, logical_id, &self.receiver)
    }

    /// The binary's environment with these variables set (replacing any of the same name).
    pub fn env_with(&self, vars: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = self
            .env
            .iter()
            .filter(|(k, _)| !vars.iter().any(|(v, _)| v == k))
            .cloned()
            .collect();
        env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    }

    /// Sets these variables in the binary's environment (replacing any of the same name).
    pub fn set_vars(&mut self, vars: &[(&str, &str)]) {
        self.env = self.env_with(vars);
    }

    /// Removes these variables from the binary's environment.
    pub fn remove_vars(&mut self, names: &[&str]) {
        self.env.retain(|(k, _)| !names.contains(&k.as_str()));
    }

    /// The in-process provider (the tests' settings) over the fault proxy.
    pub async fn provider(&self, responder: Responder) -> Provider<SdkConnector> {
        Provider::new(
            SdkConnector::new(sdk_config(&self.proxy.endpoint).await, retry_config()),
            test_config(),
            responder,
        )
    }

    /// Runs the binary on one request: a clean process and one summary line, nothing about the
    /// answers (for tests that program the receiver to fail).
    pub async fn run(&self, event: &Value, timeout: Option<u64>) -> Run {
        self.run_with(event, &self.env, timeout).await
    }

    async fn run_with(&self, event: &Value, env: &[(String, String)], timeout: Option<u64>) -> Run {
        let run = invoke_packaged(event, env, timeout).await;
        run.assert_clean(&format!("{} request", event["RequestType"]));
        assert_eq!(
            run.summaries().len(),
            1,
            "one summary line per request:\n{}",
            run.logs
        );
        run
    }

    /// Sends one request with the rig's environment and timeout: see [`Rig::invoke_with`].
    pub async fn send(&self, event: &Value) -> Outcome {
        self.invoke_with(event, &self.env, self.timeout).await
    }

    /// Sends one request with another environment and the rig's timeout.
    pub async fn send_with(&self, event: &Value, env: &[(String, String)]) -> Outcome {
        self.invoke_with(event, env, self.timeout).await
    }

    /// Sends one request with the rig's environment and this timeout.
    pub async fn invoke(&self, event: &Value, timeout: Option<u64>) -> Outcome {
        self.invoke_with(event, &self.env, timeout).await
    }

    /// Sends one request: a clean process, one summary line, the answer's echoed fields, and
    /// exactly one answer PUT, the one printed; returns it with the proxy's calls meanwhile.
    pub async fn invoke_with(
        &self,
        event: &Value,
        env: &[(String, String)],
        timeout: Option<u64>,
    ) -> Outcome {
        let calls_before = self.proxy.log().await.len();
        let puts_before = self.receiver.puts().len();
        let run = self.run_with(event, env, timeout).await;
        for key in ["RequestId", "StackId", "LogicalResourceId"] {
            assert_eq!(
                run.answer[key], event[key],
                "{key} is echoed: {}",
                run.answer
            );
        }
        let puts = self.receiver.puts().split_off(puts_before);
        assert_eq!(puts.len(), 1, "one answer PUT per request:\n{}", run.logs);
        assert_eq!(puts[0].json(), run.answer, "the PUT is the printed answer");
        Outcome {
            calls: self.proxy.log().await.split_off(calls_before),
            puts,
            run,
        }
    }

    /// [`Rig::send`], answered SUCCESS.
    pub async fn ok(&self, event: &Value) -> Outcome {
        let out = self.send(event).await;
        assert_eq!(out.status(), "SUCCESS", "{}\n{}", out.answer, out.logs);
        out
    }

    /// [`Rig::send`], answered FAILED with a Reason that mentions `needle`.
    pub async fn failed(&self, event: &Value, needle: &str) -> Outcome {
        let out = self.send(event).await;
        assert_eq!(out.status(), "FAILED", "{}", out.answer);
        assert!(
            out.reason().contains(needle),
            "the reason {:?} should mention {needle:?}",
            out.reason()
        );
        out
    }

    /// The PhysicalResourceId of a delegation of `name` in the parent zone.
    pub fn id(&self, name: &str) -> String {
        format!("{}/{name}", self.w.parent_zone)
    }

    /// The NS record delegating `name` to the world's child zone with `ttl`.
    pub async fn expected_ns(&self, name: &str, ttl: i64) -> Rec {
        ns_record(&self.w.child, &self.w.child_zone, name, ttl).await
    }

    /// Asserts the parent zone holds exactly the baseline plus `ours`.
    pub async fn expect(&self, step: &str, ours: &[Rec]) {
        let mut want: Vec<Rec> = self.baseline.clone();
        want.extend(ours.iter().cloned());
        want.sort();
        let got = self.w.parent_records().await;
        if got != want {
            let got_set: BTreeSet<_> = got.iter().collect();
            let want_set: BTreeSet<_> = want.iter().collect();
            panic!(
                "after {step}: the parent zone differs\n  orphaned or unexpected: {:?}\n  missing or wrongly deleted: {:?}",
                got_set.difference(&want_set).collect::<Vec<_>>(),
                want_set.difference(&got_set).collect::<Vec<_>>()
            );
        }
    }

    /// The Route 53 writes ([`ROUTE53_WRITES`]) in the proxy's log.
    pub async fn writes(&self) -> Vec<Value> {
        self.proxy
            .log()
            .await
            .into_iter()
            .filter(|e| ROUTE53_WRITES.contains(&e["operation"].as_str().unwrap_or("")))
            .collect()
    }

    /// The operations of the Route 53 calls in the parent account in the proxy's log (since it
    /// was last reset).
    pub async fn parent_calls(&self) -> Vec<String> {
        calls_where(&self.proxy.log().await, "route53", Some(PARENT_ACCOUNT))
            .into_iter()
            .map(|e| e["operation"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Puts (or replaces) these stacks in the proxy's fake CloudFormation, keeping the others
    /// (see tests/faultproxy/faultproxy.py).
    pub async fn set_stacks(&self, specs: &[Value]) {
        let table: Vec<Value> = {
            let mut stacks = self.stacks.lock().unwrap();
            for spec in specs {
                stacks.insert(spec["stack_id"].as_str().unwrap().to_owned(), spec.clone());
            }
            stacks.values().cloned().collect()
        };
        self.proxy.stacks(Value::Array(table)).await;
    }
}
