//! Issue "a forged request can borrow any in-progress stack of the DNS account": the packaged
//! binary with request verification ON (docs/design.md, "Who may ask"), the fault proxy in front
//! of moto (Route 53 and STS), and the proxy's fake CloudFormation answering as stacks in progress
//! do (moto cannot hold a stack or a resource `*_IN_PROGRESS`).
//!
//! Accounts: the DNS account (the provider's own) is moto's default `PARENT_ACCOUNT`; B
//! (`CHILD_ACCOUNT`) is allotted `b.example.com` and `b2.example.com`; M (`M_ACCOUNT`) is allotted
//! `m.example.com` only, and owns a zone of its own named `b.example.com`, which it tries to get
//! delegated in place of B's.
//!
//! moto gives every hosted zone the same four name servers, so M's `b.example.com` zone cannot be
//! told from B's by its name servers: every forged request here asks for a TTL (60) that B's
//! genuine delegation (3600) does not have, so a hijack would change the parent's records visibly.
//! Beyond the records, every refused request must cost the DNS account's Route 53 nothing: no
//! proxied Route 53 call in the parent account while it runs (child-account reads, STS and
//! CloudFormation calls are allowed).

use crate::support::rig::{Outcome, Rig, ns_record};
use crate::support::*;
use serde_json::{Value, json};
use std::ops::Deref;
use std::time::Duration;

/// Account B: owns `b.example.com` and is allotted it.
const B: &str = CHILD_ACCOUNT;
/// Account M: allotted `m.example.com` only.
const M_ACCOUNT: &str = "444444444444";
const T: &str = "Custom::SubdomainDelegation";
const EXTERNAL_ID: &str = "delegation-ext-id";
/// The TTL of B's genuine delegation …
const B_TTL: i64 = 3600;
/// … and the one every forged request asks for, so that a hijack shows in the records.
const FORGED_TTL: i64 = 60;
const VERIFICATION_SWITCH: &str = "DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION";
const WRITER_ROLE: &str = "arn:aws:iam::123456789012:role/DelegationWriter";

fn policy() -> String {
    json!({"allow": [
        {"accounts": [B], "names": ["b.example.com", "b2.example.com"]},
        {"accounts": [M_ACCOUNT], "names": ["m.example.com"]},
    ]})
    .to_string()
}

/// The account and name of a stack, from its StackId.
fn stack_of(stack_id: &str) -> (String, String) {
    let fields: Vec<&str> = stack_id.split(':').collect();
    let name = fields[5].split('/').nth(1).unwrap();
    (fields[4].to_owned(), name.to_owned())
}

fn resource(logical_id: &str, rtype: &str, status: &str, physical_id: Option<&str>) -> Value {
    let mut r = json!({"logical_id": logical_id, "type": rtype, "status": status});
    if let Some(id) = physical_id {
        r["physical_id"] = json!(id);
    }
    r
}

/// A stack event (same shape as a resource).
fn event(logical_id: &str, rtype: &str, status: &str, physical_id: Option<&str>) -> Value {
    resource(logical_id, rtype, status, physical_id)
}

/// A stack of the fake CloudFormation for the driver's StackId (events newest first).
fn stack(driver: &Driver, status: &str, resources: Value, events: Value) -> Value {
    let (account, name) = stack_of(&driver.stack_id);
    json!({
        "account": account,
        "region": "us-east-1",
        "stack_id": driver.stack_id,
        "stack_name": name,
        "status": status,
        "resources": resources,
        "events": events,
    })
}

/// The [`Rig`] with request verification ON (the tests' switch removed), [`policy`], a 60 s
/// timeout, and the accounts' zones.
struct Forgery {
    rig: Rig,
    /// Route 53 acting in account M.
    m: aws_sdk_route53::Client,
    /// B's `b.example.com` and `b2.example.com`.
    b_zone: String,
    b2_zone: String,
    /// M's own zone named `b.example.com`, and its allotted `m.example.com`.
    m_hijack_zone: String,
    m_zone: String,
}

impl Deref for Forgery {
    type Target = Rig;
    fn deref(&self) -> &Rig {
        &self.rig
    }
}

impl Forgery {
    async fn new() -> Forgery {
        let mut rig = Rig::new().await;
        rig.timeout = Some(60);
        rig.remove_vars(&[VERIFICATION_SWITCH]);
        rig.set_vars(&[("DELEGATION_POLICY", &policy())]);
        let m = rig.w.moto.route53(M_ACCOUNT).await;
        let b_zone = create_zone(&rig.w.child, "b.example.com").await;
        let b2_zone = create_zone(&rig.w.child, "b2.example.com").await;
        let m_hijack_zone = create_zone(&m, "b.example.com").await;
        let m_zone = create_zone(&m, "m.example.com").await;
        Forgery {
            rig,
            m,
            b_zone,
            b2_zone,
            m_hijack_zone,
            m_zone,
        }
    }

    /// B's properties: its zone read through its own reader role.
    fn b_props(&self, zone: &str) -> Value {
        json!({
            "ParentHostedZoneId": self.w.parent_zone,
            "ChildHostedZoneId": zone,
            "ChildRoleArn": role_arn(B),
            "ChildExternalId": EXTERNAL_ID,
            "TTL": B_TTL.to_string(),
        })
    }

    /// What M asks for: its own `b.example.com` zone in place of B's, replacing B's record.
    fn m_hijack_props(&self) -> Value {
        json!({
            "ParentHostedZoneId": self.w.parent_zone,
            "ChildHostedZoneId": self.m_hijack_zone,
            "ChildRoleArn": role_arn(M_ACCOUNT),
            "ChildExternalId": EXTERNAL_ID,
            "OnConflict": "replace",
            "TTL": FORGED_TTL.to_string(),
        })
    }

    /// B's genuine delegation of `b.example.com` from B's own stack, verified against B's stack
    /// while its resource is CREATE_IN_PROGRESS; then the stack completes. Returns the driver.
    async fn genuine_b_delegation(&self) -> Driver {
        let driver = self.driver_for(B, "b-dns", "Delegation");
        self.set_stacks(&[stack(
            &driver,
            "CREATE_IN_PROGRESS",
            json!([resource("Delegation", T, "CREATE_IN_PROGRESS", None)]),
            json!([event("Delegation", T, "CREATE_IN_PROGRESS", None)]),
        )])
        .await;
        let out = self.send(&driver.create(&self.b_props(&self.b_zone))).await;
        assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
        let id = self.id("b.example.com");
        assert_eq!(out.run.physical_id(), id);
        // Verified in B's account, through B's reader role.
        let verified: Vec<&Value> = out.operations("DescribeStackResource");
        assert_eq!(verified.len(), 1, "{:?}", out.calls);
        assert_eq!(verified[0]["account"], B);
        assert_eq!(
            self.w.delegations().await,
            vec![self.b_record().await],
            "B's genuine delegation"
        );
        self.set_stacks(&[stack(
            &driver,
            "CREATE_COMPLETE",
            json!([resource("Delegation", T, "CREATE_COMPLETE", Some(&id))]),
            json!([
                event(
                    "b-dns",
                    "AWS::CloudFormation::Stack",
                    "CREATE_COMPLETE",
                    Some(&driver.stack_id)
                ),
                event("Delegation", T, "CREATE_COMPLETE", Some(&id)),
                event("Delegation", T, "CREATE_IN_PROGRESS", Some(&id)),
                event("Delegation", T, "CREATE_IN_PROGRESS", None),
            ]),
        )])
        .await;
        driver
    }

    async fn b_record(&self) -> Rec {
        ns_record(&self.w.child, &self.b_zone, "b.example.com", B_TTL).await
    }

    /// A refused request: FAILED naming the rule, the expected ID, one answer PUT (the one
    /// printed), no ExternalId echoed, the parent zone's records exactly as before, no Route 53
    /// call in the DNS account, and a summary line that traces the stack it named.
    /// A CDK app deploys in the DNS account, its bucket deployment (another provider's custom
    /// resource) CREATE_IN_PROGRESS; a Create of `props` borrows it, claiming its type. Refused as
    /// a type this provider does not serve, with the parent zone left as `before`.
    async fn assert_borrowed_cdk_deployment_refused(
        &self,
        what: &str,
        props: &Value,
        before: &[Rec],
    ) {
        let cdk = self.driver_for(PARENT_ACCOUNT, "cdk-app", "DeployWebsite");
        self.set_stacks(&[stack(
            &cdk,
            "UPDATE_IN_PROGRESS",
            json!([resource(
                "DeployWebsite",
                "Custom::CDKBucketDeployment",
                "CREATE_IN_PROGRESS",
                None
            )]),
            json!([]),
        )])
        .await;
        let mut forged = cdk.create(props);
        forged["ResourceType"] = json!("Custom::CDKBucketDeployment");
        let out = self.send(&forged).await;
        self.assert_refused(
            what,
            &out,
            &forged,
            &[
                "request verification failed",
                "is not a type this provider serves (DELEGATION_RESOURCE_TYPES: Custom::SubdomainDelegation)",
            ],
            &failed_create(&forged),
            before,
        )
        .await;
    }

    async fn assert_refused(
        &self,
        what: &str,
        out: &Outcome,
        event: &Value,
        rule: &[&str],
        want_id: &str,
        before: &[Rec],
    ) {
        let run = &out.run;
        assert_eq!(run.status(), "FAILED", "{what}: {}", run.logs);
        let reason = run.reason();
        for words in rule {
            assert!(
                reason.contains(words),
                "{what}: the reason names the rule ({words:?}): {reason}"
            );
        }
        assert!(
            !reason.contains(EXTERNAL_ID),
            "{what}: an ExternalId is never echoed: {reason}"
        );
        assert_eq!(run.physical_id(), want_id, "{what}");
        assert_eq!(out.puts.len(), 1, "{what}: one answer");
        assert_eq!(out.puts[0].json(), run.answer, "{what}");
        assert_eq!(
            self.w.parent_records().await,
            before,
            "{what}: the parent zone must not change"
        );
        let parent_route53 = out.calls_where("route53", Some(PARENT_ACCOUNT));
        assert!(
            parent_route53.is_empty(),
            "{what}: a forged request cost the DNS account's Route 53 {} calls: {parent_route53:?}",
            parent_route53.len()
        );
        let summary = &run.summaries()[0];
        assert_summary_fields(summary);
        let (account, stack_name) = stack_of(event["StackId"].as_str().unwrap());
        for (key, want) in [
            ("requesting_account", json!(account)),
            ("region", json!("us-east-1")),
            ("stack_name", json!(stack_name)),
            ("logical_id", event["LogicalResourceId"].clone()),
            ("request_id", event["RequestId"].clone()),
            ("request_type", event["RequestType"].clone()),
            ("status", json!("FAILED")),
            (
                "route53_calls",
                json!(out.calls_where("route53", None).len()),
            ),
        ] {
            assert_eq!(summary[key], want, "{what}: summary {key}: {summary}");
        }
    }
}

fn failed_create(event: &Value) -> String {
    format!("failed-create:{}", event["RequestId"].as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_borrowed_wait_condition_in_progress_cannot_hijack_another_accounts_name() {
    let rig = Forgery::new().await;
    rig.genuine_b_delegation().await;
    let before = rig.w.parent_records().await;

    // A DNS-account stack is deploying; its wait condition is CREATE_IN_PROGRESS. M names it.
    let dns = rig.driver_for(PARENT_ACCOUNT, "dns-deploy", "AppReady");
    rig.set_stacks(&[stack(
        &dns,
        "CREATE_IN_PROGRESS",
        json!([
            resource(
                "AppReady",
                "AWS::CloudFormation::WaitCondition",
                "CREATE_IN_PROGRESS",
                None
            ),
            resource(
                "Handle",
                "AWS::CloudFormation::WaitConditionHandle",
                "CREATE_COMPLETE",
                Some("https://cloudformation-waitcondition-us-east-1.s3.amazonaws.com/x")
            ),
        ]),
        json!([event(
            "AppReady",
            "AWS::CloudFormation::WaitCondition",
            "CREATE_IN_PROGRESS",
            None
        )]),
    )])
    .await;
    let forged = dns.create(&rig.m_hijack_props());
    let out = rig.send(&forged).await;
    rig.assert_refused(
        "a Custom::SubdomainDelegation request bound to a wait condition",
        &out,
        &forged,
        &[
            "request verification failed",
            "AppReady is a resource of type \"AWS::CloudFormation::WaitCondition\", not the custom resource type \"Custom::SubdomainDelegation\"",
        ],
        &failed_create(&forged),
        &before,
    )
    .await;
    // The DNS account's own CloudFormation was asked, with the provider's own credentials.
    let asked = out.operations("DescribeStackResource");
    assert_eq!(asked.len(), 1, "{:?}", out.calls);
    assert_eq!(asked[0]["account"], PARENT_ACCOUNT);

    // Claiming the borrowed resource's own type does not help: it is no custom resource.
    let mut as_wait_condition = dns.create(&rig.m_hijack_props());
    as_wait_condition["ResourceType"] = json!("AWS::CloudFormation::WaitCondition");
    let out = rig.send(&as_wait_condition).await;
    rig.assert_refused(
        "a request claiming the wait condition's own type",
        &out,
        &as_wait_condition,
        &[
            "request verification failed",
            "\"AWS::CloudFormation::WaitCondition\" is not a type this provider serves",
        ],
        &failed_create(&as_wait_condition),
        &before,
    )
    .await;
    assert_eq!(rig.w.delegations().await, vec![rig.b_record().await]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_borrowed_delegation_in_progress_cannot_delegate_a_name_not_allotted_to_the_zones_account()
 {
    let rig = Forgery::new().await;
    let b_stack = rig.genuine_b_delegation().await;
    let before = rig.w.parent_records().await;

    // A genuine Custom::SubdomainDelegation of a DNS-account stack is CREATE_IN_PROGRESS.
    let dns = rig.driver_for(PARENT_ACCOUNT, "dns-deploy", "Delegation");
    rig.set_stacks(&[stack(
        &dns,
        "CREATE_IN_PROGRESS",
        json!([resource("Delegation", T, "CREATE_IN_PROGRESS", None)]),
        json!([event("Delegation", T, "CREATE_IN_PROGRESS", None)]),
    )])
    .await;
    let forged = dns.create(&rig.m_hijack_props());
    let out = rig.send(&forged).await;
    rig.assert_refused(
        "M's zone through a borrowed DNS-account delegation",
        &out,
        &forged,
        &[
            "account 444444444444 may not delegate b.example.com",
            "no DELEGATION_POLICY rule allots it",
            "m.example.com",
        ],
        &failed_create(&forged),
        &before,
    )
    .await;
    // It got as far as reading M's zone in M's account, and no further.
    let reads = out.calls_where("route53", Some(M_ACCOUNT));
    assert!(
        reads.iter().all(|c| c["operation"] == "GetHostedZone") && !reads.is_empty(),
        "{reads:?}"
    );

    // A borrowed custom resource of another provider (CDK's bucket deployment), the request
    // claiming its type: a type this provider does not serve.
    rig.assert_borrowed_cdk_deployment_refused(
        "M's zone through a borrowed custom resource of another type",
        &rig.m_hijack_props(),
        &before,
    )
    .await;

    // The same from a stack of M's own, in progress: still not M's name.
    let m_stack = rig.driver_for(M_ACCOUNT, "m-dns", "Delegation");
    rig.set_stacks(&[stack(
        &m_stack,
        "CREATE_IN_PROGRESS",
        json!([resource("Delegation", T, "CREATE_IN_PROGRESS", None)]),
        json!([]),
    )])
    .await;
    let forged = m_stack.create(&rig.m_hijack_props());
    let out = rig.send(&forged).await;
    rig.assert_refused(
        "M's zone from M's own stack",
        &out,
        &forged,
        &["account 444444444444 may not delegate b.example.com"],
        &failed_create(&forged),
        &before,
    )
    .await;

    // M's stack naming B's reader role and B's zone: a stack outside the DNS account reads only
    // its own account's zones.
    let mut props = rig.b_props(&rig.b_zone);
    props["TTL"] = json!(FORGED_TTL.to_string());
    let forged = m_stack.create(&props);
    let out = rig.send(&forged).await;
    rig.assert_refused(
        "M's stack through B's reader role",
        &out,
        &forged,
        &[
            "a stack in account 444444444444 must read its child zone through ChildRoleArn in its own account",
            "ChildRoleArn is in account 222222222222",
        ],
        &failed_create(&forged),
        &before,
    )
    .await;
    assert!(out.operations("AssumeRole").is_empty(), "{:?}", out.calls);

    // B's own stack is idle (CREATE_COMPLETE): a Create naming it is not CloudFormation's.
    let forged = b_stack.create(&props);
    let out = rig.send(&forged).await;
    rig.assert_refused(
        "a Create naming B's idle stack",
        &out,
        &forged,
        &[
            "stack b-dns in account 222222222222 does not show this request in progress",
            "Delegation is CREATE_COMPLETE",
        ],
        &failed_create(&forged),
        &before,
    )
    .await;
    assert_eq!(rig.w.delegations().await, vec![rig.b_record().await]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_cleanup_delete_cannot_remove_another_accounts_delegation() {
    let rig = Forgery::new().await;
    let b_stack = rig.genuine_b_delegation().await;
    let before = rig.w.parent_records().await;
    let b_id = rig.id("b.example.com");

    // A DNS-account stack cleans up after a replacement of its own delegation; its events show
    // B's ID only on another logical resource and with another type, never on Delegation.
    let dns = rig.driver_for(PARENT_ACCOUNT, "dns-deploy", "Delegation");
    let current = rig.id("ops2.example.com");
    let replaced = rig.id("ops.example.com");
    rig.set_stacks(&[stack(
        &dns,
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        json!([resource("Delegation", T, "UPDATE_COMPLETE", Some(&current))]),
        json!([
            event(
                "dns-deploy",
                "AWS::CloudFormation::Stack",
                "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
                Some(&dns.stack_id)
            ),
            event("Delegation", T, "UPDATE_COMPLETE", Some(&current)),
            event("Other", T, "UPDATE_COMPLETE", Some(&b_id)),
            event(
                "Delegation",
                "Custom::Other",
                "UPDATE_IN_PROGRESS",
                Some(&b_id)
            ),
            event("Delegation", T, "UPDATE_IN_PROGRESS", Some(&replaced)),
            event("Delegation", T, "CREATE_COMPLETE", Some(&replaced)),
            event("Delegation", T, "CREATE_IN_PROGRESS", None),
        ]),
    )])
    .await;
    let unreadable = json!({
        "ParentHostedZoneId": rig.w.parent_zone,
        "ChildHostedZoneId": "Z0NONEXISTENT00000000",
        "ChildExternalId": EXTERNAL_ID,
    });

    // (a) Through M's role: B's name is not M's, refused by the policy before anything is read.
    let mut props = unreadable.clone();
    props["ChildRoleArn"] = json!(role_arn(M_ACCOUNT));
    let forged = dns.delete(&b_id, &props);
    let out = rig.send(&forged).await;
    rig.assert_refused(
        "a cleanup Delete of B's ID through M's role",
        &out,
        &forged,
        &["account 444444444444 may not delegate b.example.com"],
        &b_id,
        &before,
    )
    .await;
    assert!(
        out.operations("DescribeStackResource").is_empty(),
        "{:?}",
        out.calls
    );

    // (b) Through B's role: the name is B's, but the stack's events never show that ID on its
    // Delegation resource.
    let mut props = unreadable.clone();
    props["ChildRoleArn"] = json!(role_arn(B));
    let forged = dns.delete(&b_id, &props);
    let out = rig.send(&forged).await;
    rig.assert_refused(
        "a cleanup Delete of B's ID through B's role",
        &out,
        &forged,
        &[
            "stack dns-deploy in account 123456789012 does not show this request in progress",
            "never show the request's PhysicalResourceId on Delegation",
        ],
        &b_id,
        &before,
    )
    .await;
    for op in [
        "DescribeStackResource",
        "DescribeStacks",
        "DescribeStackEvents",
    ] {
        let calls = out.operations(op);
        assert_eq!(calls.len(), 1, "{op}: {:?}", out.calls);
        assert_eq!(calls[0]["account"], PARENT_ACCOUNT, "{op}");
    }

    // (d) No ChildRoleArn: the zone would be the DNS account's own, but b.example.com is
    // allotted to B, so only B's zones may hold it: refused by the name before CloudFormation.
    let mut own = unreadable.clone();
    own.as_object_mut().unwrap().remove("ChildExternalId");
    let forged = dns.delete(&b_id, &own);
    let out = rig.send(&forged).await;
    rig.assert_refused(
        "a cleanup Delete of B's ID without ChildRoleArn",
        &out,
        &forged,
        &["DELEGATION_POLICY allots that name to account 222222222222"],
        &b_id,
        &before,
    )
    .await;
    assert!(
        out.calls_where("cloudformation", None).is_empty(),
        "{:?}",
        out.calls
    );

    // (c) A Delete naming B's own stack while it is idle (CREATE_COMPLETE, same ID).
    let forged = b_stack.delete(&b_id, &props);
    let out = rig.send(&forged).await;
    rig.assert_refused(
        "a Delete naming B's idle stack",
        &out,
        &forged,
        &[
            "stack b-dns in account 222222222222 does not show this request in progress",
            "Delegation is CREATE_COMPLETE with PhysicalResourceId",
            "not DELETE_IN_PROGRESS",
        ],
        &b_id,
        &before,
    )
    .await;
    assert_eq!(rig.w.delegations().await, vec![rig.b_record().await]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_genuine_cleanup_delete_of_a_replaced_id_succeeds_finding_it_pages_back() {
    let rig = Forgery::new().await;
    let b_stack = rig.genuine_b_delegation().await;
    let old_id = rig.id("b.example.com");
    let new_id = rig.id("b2.example.com");

    // B replaces its delegation (another zone, another name): a verified Update.
    rig.set_stacks(&[stack(
        &b_stack,
        "UPDATE_IN_PROGRESS",
        json!([resource(
            "Delegation",
            T,
            "UPDATE_IN_PROGRESS",
            Some(&old_id)
        )]),
        json!([event("Delegation", T, "UPDATE_IN_PROGRESS", Some(&old_id))]),
    )])
    .await;
    let old_props = rig.b_props(&rig.b_zone);
    let new_props = rig.b_props(&rig.b2_zone);
    let out = rig
        .send(&b_stack.update(&old_id, &new_props, &old_props))
        .await;
    assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
    assert_eq!(out.run.physical_id(), new_id);
    let b2_record = ns_record(&rig.w.child, &rig.b2_zone, "b2.example.com", B_TTL).await;
    let mut both = vec![rig.b_record().await, b2_record.clone()];
    both.sort();
    assert_eq!(rig.w.delegations().await, both);

    // CloudFormation cleans up: the resource carries the new ID; the old one shows only deep in
    // the events, behind 25 events of other resources, on Delegation's CREATE_COMPLETE.
    let events = |filler: usize| {
        let mut events = vec![
            event(
                "b-dns",
                "AWS::CloudFormation::Stack",
                "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
                Some(&b_stack.stack_id),
            ),
            event("Delegation", T, "UPDATE_COMPLETE", Some(&new_id)),
        ];
        for i in 0..filler {
            events.push(event(
                &format!("Bucket{i}"),
                "AWS::S3::Bucket",
                "UPDATE_COMPLETE",
                Some(&format!("bucket-{i}")),
            ));
        }
        events.push(event("Delegation", T, "CREATE_COMPLETE", Some(&old_id)));
        events.push(event("Delegation", T, "CREATE_IN_PROGRESS", None));
        Value::Array(events)
    };
    let cleanup = |page_size: u32| {
        let mut s = stack(
            &b_stack,
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            json!([resource("Delegation", T, "UPDATE_COMPLETE", Some(&new_id))]),
            events(25),
        );
        s["events_page_size"] = json!(page_size);
        s
    };
    let before = rig.w.parent_records().await;

    // One event a page: the old ID is on page 28, beyond the 20 pages read; refused.
    rig.set_stacks(&[cleanup(1)]).await;
    let delete = b_stack.delete(&old_id, &old_props);
    let out = rig.send(&delete).await;
    rig.assert_refused(
        "a cleanup Delete whose ID is beyond 20 pages of events",
        &out,
        &delete,
        &["never show the request's PhysicalResourceId on Delegation"],
        &old_id,
        &before,
    )
    .await;
    assert_eq!(
        out.operations("DescribeStackEvents").len(),
        20,
        "{:?}",
        out.calls
    );

    // Five a page: found on page 6, after the 5 pages before it.
    rig.set_stacks(&[cleanup(5)]).await;
    let delete = b_stack.delete(&old_id, &old_props);
    let out = rig.send(&delete).await;
    assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
    assert_eq!(out.run.physical_id(), old_id);
    let pages = out.operations("DescribeStackEvents");
    assert_eq!(pages.len(), 6, "{:?}", out.calls);
    assert!(pages.iter().all(|c| c["account"] == B), "{pages:?}");
    assert_eq!(
        rig.w.delegations().await,
        vec![b2_record],
        "the old record is gone, the new one stays"
    );
    let summary = &out.run.summaries()[0];
    assert_eq!(summary["action"], "deleted", "{summary}");
    assert_eq!(out.puts.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_account_stacks_delegate_their_own_zones_and_allotted_child_zones() {
    let rig = Forgery::new().await;
    let ops_zone = create_zone(&rig.w.parent, "ops.example.com").await;
    let dns = rig.driver_for(PARENT_ACCOUNT, "parent-delegations", "OpsDelegation");
    let central = rig.driver_for(PARENT_ACCOUNT, "parent-delegations", "BDelegation");
    // Both resources of one stack (cfn/parent-delegations.yaml): the same StackId.
    let central = Driver {
        stack_id: dns.stack_id.clone(),
        ..central
    };
    rig.set_stacks(&[stack(
        &dns,
        "CREATE_IN_PROGRESS",
        json!([
            resource("OpsDelegation", T, "CREATE_IN_PROGRESS", None),
            resource("BDelegation", T, "CREATE_IN_PROGRESS", None),
        ]),
        json!([]),
    )])
    .await;

    // A DNS-account zone, read with the provider's own credentials: no allotment needed.
    let ops_props = json!({"ParentHostedZoneName": "example.com", "ChildHostedZoneId": ops_zone});
    let out = rig.send(&dns.create(&ops_props)).await;
    assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
    assert_eq!(out.run.physical_id(), rig.id("ops.example.com"));
    let asked = out.operations("DescribeStackResource");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["account"], PARENT_ACCOUNT);
    assert!(out.operations("AssumeRole").is_empty(), "{:?}", out.calls);

    // B's zone through B's reader role, for a name allotted to B.
    let b_props = rig.b_props(&rig.b_zone);
    let out = rig.send(&central.create(&b_props)).await;
    assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
    let b_id = rig.id("b.example.com");
    assert_eq!(out.run.physical_id(), b_id);
    let asked = out.operations("DescribeStackResource");
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0]["account"], PARENT_ACCOUNT,
        "a DNS-account stack is verified in the DNS account"
    );
    let ops_record = ns_record(&rig.w.parent, &ops_zone, "ops.example.com", 172800).await;
    let mut want = vec![rig.b_record().await, ops_record.clone()];
    want.sort();
    assert_eq!(rig.w.delegations().await, want);

    // The central stack's Delete of B's delegation, verified the same way.
    rig.set_stacks(&[stack(
        &dns,
        "DELETE_IN_PROGRESS",
        json!([
            resource(
                "OpsDelegation",
                T,
                "CREATE_COMPLETE",
                Some(&rig.id("ops.example.com"))
            ),
            resource("BDelegation", T, "DELETE_IN_PROGRESS", Some(&b_id)),
        ]),
        json!([]),
    )])
    .await;
    let out = rig.send(&central.delete(&b_id, &b_props)).await;
    assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
    assert_eq!(rig.w.delegations().await, vec![ops_record.clone()]);

    // M's allotted name through M's reader role, from the same stack.
    let m_stack = Driver {
        stack_id: dns.stack_id.clone(),
        ..rig.driver_for(PARENT_ACCOUNT, "parent-delegations", "MDelegation")
    };
    rig.set_stacks(&[stack(
        &dns,
        "UPDATE_IN_PROGRESS",
        json!([
            resource(
                "OpsDelegation",
                T,
                "CREATE_COMPLETE",
                Some(&rig.id("ops.example.com"))
            ),
            resource("MDelegation", T, "CREATE_IN_PROGRESS", None),
        ]),
        json!([]),
    )])
    .await;
    let m_props = json!({
        "ParentHostedZoneId": rig.w.parent_zone,
        "ChildHostedZoneId": rig.m_zone,
        "ChildRoleArn": role_arn(M_ACCOUNT),
        "ChildExternalId": EXTERNAL_ID,
    });
    let out = rig.send(&m_stack.create(&m_props)).await;
    assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
    assert_eq!(out.run.physical_id(), rig.id("m.example.com"));
    let mut want = vec![
        ops_record,
        ns_record(&rig.m, &rig.m_zone, "m.example.com", 172800).await,
    ];
    want.sort();
    assert_eq!(rig.w.delegations().await, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verification_switch_refuses_to_start_against_a_real_endpoint() {
    let rig = Forgery::new().await;
    let event = rig
        .driver_for(B, "b-dns", "Delegation")
        .create(&rig.b_props(&rig.b_zone));
    let before = rig.w.parent_records().await;
    for var in [
        "AWS_ENDPOINT_URL_ROUTE_53",
        "AWS_ENDPOINT_URL_CLOUDFORMATION",
        "AWS_ENDPOINT_URL_STS",
    ] {
        let real = match var {
            "AWS_ENDPOINT_URL_ROUTE_53" => "https://route53.amazonaws.com",
            "AWS_ENDPOINT_URL_CLOUDFORMATION" => "https://cloudformation.us-east-1.amazonaws.com",
            _ => "https://sts.amazonaws.com",
        };
        let env = rig.env_with(&[(VERIFICATION_SWITCH, "true"), (var, real)]);
        let run = invoke_packaged(&event, &env, Some(60)).await;
        assert_ne!(
            run.code,
            Some(0),
            "{var}: the function must not start\n{}",
            run.logs
        );
        assert!(!run.logs.contains("panicked"), "{}", run.logs);
        assert!(
            run.logs.contains("honoured only against a local emulator")
                && run.logs.contains(var)
                && run.logs.contains("is not a loopback address"),
            "{var}: the init error says why\n{}",
            run.logs
        );
        assert!(
            run.elapsed < Duration::from_secs(5),
            "{var}: it stops at start, not after network calls: {:?}",
            run.elapsed
        );
        assert_eq!(run.stdout.trim(), "", "{var}: no answer");
        assert!(run.summaries().is_empty(), "{var}");
    }
    assert!(rig.receiver.puts().is_empty(), "nothing was answered");
    assert!(rig.proxy.log().await.is_empty(), "nothing was called");
    assert_eq!(rig.w.parent_records().await, before);

    // Control: the same switch with every endpoint on loopback starts, skips CloudFormation and
    // warns (no fake stack is set, so a verified request could not have passed).
    let env = rig.env_with(&[(VERIFICATION_SWITCH, "true")]);
    let out = rig.send_with(&event, &env).await;
    assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
    assert!(
        out.calls_where("cloudformation", None).is_empty(),
        "{:?}",
        out.calls
    );
    assert!(
        out.run.logs.contains("request verification is OFF"),
        "{}",
        out.run.logs
    );

    // The switch off again: without a stack in progress, the same event is refused.
    let event = rig
        .driver_for(B, "b-dns", "Delegation")
        .create(&rig.b_props(&rig.b2_zone));
    rig.set_stacks(&[stack(
        &rig.driver_for(B, "unrelated", "Delegation"),
        "CREATE_COMPLETE",
        json!([]),
        json!([]),
    )])
    .await;
    let before = rig.w.parent_records().await;
    let out = rig.send(&event).await;
    rig.assert_refused(
        "a Create naming a stack CloudFormation does not know",
        &out,
        &event,
        &[
            "could not confirm with CloudFormation in account 222222222222",
            "does not exist",
        ],
        &failed_create(&event),
        &before,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parent_roles_come_only_from_the_configuration() {
    let rig = Forgery::new().await;
    let b_stack = rig.driver_for(B, "b-dns", "Delegation");
    rig.set_stacks(&[stack(
        &b_stack,
        "CREATE_IN_PROGRESS",
        json!([resource("Delegation", T, "CREATE_IN_PROGRESS", None)]),
        json!([]),
    )])
    .await;
    let before = rig.w.parent_records().await;
    let configured = rig.env_with(&[("DELEGATION_PARENT_ROLE_ARNS", WRITER_ROLE)]);
    let with_parent_role = |arn: &str| {
        let mut props = rig.b_props(&rig.b_zone);
        props["ParentRoleArn"] = json!(arn);
        props["ParentExternalId"] = json!("parent-ext-id");
        b_stack.create(&props)
    };

    // A role the configuration does not list, with and without a list.
    let other = "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole";
    for (env, listed) in [(&configured, WRITER_ROLE), (&rig.env, "none")] {
        let event = with_parent_role(other);
        let out = rig.send_with(&event, env).await;
        rig.assert_refused(
            "an unlisted ParentRoleArn",
            &out,
            &event,
            &[
                &format!("ParentRoleArn {other} is not a parent role this deployment names"),
                &format!("DELEGATION_PARENT_ROLE_ARNS: {listed}"),
            ],
            &failed_create(&event),
            &before,
        )
        .await;
        assert!(
            out.calls_where("route53", None).is_empty() && out.operations("AssumeRole").is_empty(),
            "the cheapest check comes first: {:?}",
            out.calls
        );
        assert!(!out.run.reason().contains("parent-ext-id"));
    }

    // The listed role passes that check: the parent zone is read and written through it.
    let event = with_parent_role(WRITER_ROLE);
    let out = rig.send_with(&event, &configured).await;
    assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
    assert_eq!(
        out.operations("AssumeRole").len(),
        2,
        "B's reader role and the writer: {:?}",
        out.calls
    );
    let writes = out.operations("ChangeResourceRecordSets");
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0]["account"], PARENT_ACCOUNT);
    assert_eq!(rig.w.delegations().await, vec![rig.b_record().await]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_borrowed_custom_resource_of_another_provider_cannot_delegate_a_dns_account_zone() {
    let rig = Forgery::new().await;
    // A public zone of the DNS account that nobody asked to delegate.
    let spare = create_zone(&rig.w.parent, "spare.example.com").await;
    let before = rig.w.parent_records().await;
    rig.assert_borrowed_cdk_deployment_refused(
        "a Create borrowing another provider's custom resource",
        &json!({
            "ParentHostedZoneId": rig.w.parent_zone,
            "ChildHostedZoneId": spare,
        }),
        &before,
    )
    .await;
}

/// A stack's own event, marking its operations.
fn stack_event(driver: &Driver, status: &str) -> Value {
    let (_, name) = stack_of(&driver.stack_id);
    event(
        &name,
        "AWS::CloudFormation::Stack",
        status,
        Some(&driver.stack_id),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_cleanup_delete_of_a_historical_id_is_refused_and_the_current_ones_pass() {
    let rig = Forgery::new().await;
    rig.genuine_b_delegation().await;
    let b_id = rig.id("b.example.com");
    let ops_zone = create_zone(&rig.w.parent, "ops.example.com").await;
    let ops2_zone = create_zone(&rig.w.parent, "ops2.example.com").await;
    let (ops, ops2) = (rig.id("ops.example.com"), rig.id("ops2.example.com"));
    // The central stack's DevDelegation delegated b.example.com long ago (B's zone, through B's
    // reader role), was replaced by ops.example.com, and that update's cleanup deleted the old
    // record; B now delegates b.example.com from its own stack. Then ops2 is created for the
    // next update.
    let dns = rig.driver_for(PARENT_ACCOUNT, "parent-delegations", "DevDelegation");
    for (zone, id) in [(&ops_zone, &ops), (&ops2_zone, &ops2)] {
        rig.set_stacks(&[stack(
            &dns,
            "UPDATE_IN_PROGRESS",
            json!([resource("DevDelegation", T, "CREATE_IN_PROGRESS", None)]),
            json!([]),
        )])
        .await;
        let props = json!({"ParentHostedZoneId": rig.w.parent_zone, "ChildHostedZoneId": zone});
        let out = rig.send(&dns.create(&props)).await;
        assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
        assert_eq!(&out.run.physical_id(), id);
    }
    let history = || {
        vec![
            stack_event(&dns, "UPDATE_COMPLETE"),
            stack_event(&dns, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
            event("DevDelegation", T, "UPDATE_COMPLETE", Some(&ops)),
            event("DevDelegation", T, "UPDATE_IN_PROGRESS", Some(&b_id)),
            stack_event(&dns, "UPDATE_IN_PROGRESS"),
            stack_event(&dns, "CREATE_COMPLETE"),
            event("DevDelegation", T, "CREATE_COMPLETE", Some(&b_id)),
            event("DevDelegation", T, "CREATE_IN_PROGRESS", None),
            stack_event(&dns, "CREATE_IN_PROGRESS"),
        ]
    };
    // A later update of the central stack, cleaning up after replacing ops by ops2.
    let current_update = |current: &str, status: &str, this_operation: Vec<Value>| {
        let mut events = vec![stack_event(&dns, status)];
        events.extend(this_operation);
        events.extend(history());
        stack(
            &dns,
            status,
            json!([resource(
                "DevDelegation",
                T,
                "UPDATE_COMPLETE",
                Some(current)
            )]),
            Value::Array(events),
        )
    };
    let replaced_ops = vec![
        event("DevDelegation", T, "UPDATE_COMPLETE", Some(&ops2)),
        event("DevDelegation", T, "UPDATE_IN_PROGRESS", Some(&ops)),
        stack_event(&dns, "UPDATE_IN_PROGRESS"),
    ];
    rig.set_stacks(&[current_update(
        &ops2,
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        replaced_ops.clone(),
    )])
    .await;
    let before = rig.w.parent_records().await;

    // The attack: a Delete of the historical ID, with no role and a made-up zone …
    let made_up = json!({
        "ParentHostedZoneId": rig.w.parent_zone,
        "ChildHostedZoneId": "Z0NONEXISTENT00000000",
    });
    let forged = dns.delete(&b_id, &made_up);
    let out = rig.send(&forged).await;
    rig.assert_refused(
        "a historical ID's cleanup Delete without ChildRoleArn",
        &out,
        &forged,
        &["DELEGATION_POLICY allots that name to account 222222222222"],
        &b_id,
        &before,
    )
    .await;
    // … and with B's own reader role and ExternalId: the ID is on DevDelegation only in an
    // earlier operation.
    let forged = dns.delete(&b_id, &rig.b_props(&rig.b_zone));
    let out = rig.send(&forged).await;
    rig.assert_refused(
        "a historical ID's cleanup Delete through B's role",
        &out,
        &forged,
        &["the events of the stack's current update (since its latest UPDATE_IN_PROGRESS) never show the request's PhysicalResourceId on DevDelegation"],
        &b_id,
        &before,
    )
    .await;
    assert_eq!(
        out.operations("DescribeStackEvents").len(),
        1,
        "{:?}",
        out.calls
    );
    assert!(rig.w.delegations().await.contains(&rig.b_record().await));

    // Control: after a rolled-back update (ops replaced by ops2, then back), the cleanup deletes
    // the new ID, ops2, shown in that same operation.
    let mut rolled_back = vec![
        event("DevDelegation", T, "UPDATE_COMPLETE", Some(&ops)),
        event("DevDelegation", T, "UPDATE_IN_PROGRESS", Some(&ops2)),
        stack_event(&dns, "UPDATE_ROLLBACK_IN_PROGRESS"),
    ];
    rolled_back.extend(replaced_ops.clone());
    rig.set_stacks(&[current_update(
        &ops,
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        rolled_back,
    )])
    .await;
    let props = json!({"ParentHostedZoneId": rig.w.parent_zone, "ChildHostedZoneId": ops2_zone});
    let out = rig.send(&dns.delete(&ops2, &props)).await;
    assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
    assert_eq!(out.run.summaries()[0]["action"], "deleted");

    // Control: the cleanup Delete of the ID replaced in the current update.
    rig.set_stacks(&[current_update(
        &ops2,
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        replaced_ops,
    )])
    .await;
    let props = json!({"ParentHostedZoneId": rig.w.parent_zone, "ChildHostedZoneId": ops_zone});
    let out = rig.send(&dns.delete(&ops, &props)).await;
    assert_eq!(out.run.status(), "SUCCESS", "{}", out.run.logs);
    assert_eq!(out.run.summaries()[0]["action"], "deleted");
    assert_eq!(rig.w.delegations().await, vec![rig.b_record().await]);
}
