//! Who may ask (docs/design.md, "Who may ask"): forged requests are refused and change nothing; the policy allots
//! names per account. Verification against moto for the refusals (moto cannot hold a resource
//! *_IN_PROGRESS), SDK mocks shaped like CloudFormation's answers for the positive paths.

use crate::support::*;
use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
use aws_sdk_cloudformation::operation::describe_stack_resource::DescribeStackResourceOutput;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
use aws_sdk_cloudformation::types::{
    ResourceStatus, Stack, StackEvent, StackResourceDetail, StackStatus,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use subdomain_delegation::aws::{CloudFormation, Route53, SdkConnector, retry_config};
use subdomain_delegation::cfn::responder::Responder;
use subdomain_delegation::cfn::runner::Provider;
use subdomain_delegation::config::Config;
use subdomain_delegation::domain::authority::Policy;
use subdomain_delegation::domain::properties::RoleSpec;
use subdomain_delegation::ports::{AdapterError, Connector, SessionContext};

const BUDGET: Duration = Duration::from_secs(60);
const POLICY: &str = r#"{"allow":[{"accounts":["222222222222"],"names":["dev.example.com"]},
  {"accounts":["*"],"names":["{account}.accounts.example.com","*.{account}.accounts.example.com"]}]}"#;

fn config(policy: Option<&str>, verify: bool) -> Config {
    Config {
        policy: policy.map(|p| Policy::parse(p).unwrap()),
        skip_request_verification: !verify,
        ..test_config()
    }
}

fn reason(answer: &Value) -> &str {
    answer["Reason"].as_str().unwrap_or_default()
}

/// A child zone in `account`, and properties reading it through that account's reader role.
async fn child_in(w: &World, account: &str, name: &str) -> Value {
    let r53 = w.moto.route53(account).await;
    let zone = create_zone(&r53, name).await;
    json!({"ParentHostedZoneId": w.parent_zone, "ChildHostedZoneId": zone, "ChildRoleArn": role_arn(account)})
}

async fn create_stack(w: &World, account: &str, name: &str) -> String {
    let base = w.moto.sdk_config().await;
    let sts = aws_sdk_sts::Client::new(&base);
    let c = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/Admin"))
        .role_session_name("setup")
        .send()
        .await
        .unwrap();
    let c = c.credentials().unwrap();
    let creds = aws_credential_types::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().into()),
        None,
        "t",
    );
    let cfn = aws_sdk_cloudformation::Client::from_conf(
        aws_sdk_cloudformation::config::Builder::from(&base)
            .credentials_provider(creds)
            .build(),
    );
    let template = json!({"Resources": {"Delegation": {"Type": "AWS::SNS::Topic"}}}).to_string();
    cfn.create_stack()
        .stack_name(name)
        .template_body(template)
        .send()
        .await
        .unwrap()
        .stack_id()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn forged_requests_are_refused_against_cloudformation_and_change_nothing() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = provider_with(&w.moto.endpoint, config(Some(TEST_POLICY), true)).await;
    let before = w.parent_records().await;

    // 1. A stack that does not exist.
    let driver = Driver::new(CHILD_ACCOUNT, "no-such-stack", "Delegation", &receiver);
    let answer = run(&provider, driver.create(&w.props()), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(reason(&answer).contains("request verification failed: could not confirm with CloudFormation in account 222222222222"), "{answer}");
    assert!(reason(&answer).contains("does not exist"), "{answer}");

    // 2. A real stack, in another account than the request claims.
    let real = create_stack(&w, OTHER_ACCOUNT, "dev-dns").await;
    let mut forged = Driver::new(CHILD_ACCOUNT, "dev-dns", "Delegation", &receiver);
    forged.stack_id = real.replace(OTHER_ACCOUNT, CHILD_ACCOUNT);
    let answer = run(&provider, forged.create(&w.props()), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(reason(&answer).contains("does not exist"), "{answer}");
    // …or the real stack's ID with the victim's reader role.
    forged.stack_id = real.clone();
    let answer = run(&provider, forged.create(&w.props()), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(
        reason(&answer)
            .contains("must read its child zone through ChildRoleArn in its own account"),
        "{answer}"
    );
    assert!(
        reason(&answer).contains("ChildRoleArn is in account 222222222222"),
        "{answer}"
    );

    // 3. A real stack whose logical ID is not in progress (and one that has no such logical ID).
    let mut done = Driver::new(CHILD_ACCOUNT, "dev-dns", "Delegation", &receiver);
    done.stack_id = create_stack(&w, CHILD_ACCOUNT, "dev-dns").await;
    let answer = run(&provider, done.create(&w.props()), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "FAILED");
    // moto's stand-in resource is a topic: a borrowed resource of another type is refused.
    assert!(
        reason(&answer).contains(
            "Delegation is a resource of type \"AWS::SNS::Topic\", not the custom resource type"
        ),
        "{answer}"
    );
    let id = format!("{}/dev.example.com", w.parent_zone);
    let answer = run(&provider, done.delete(&id, &w.props()), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "FAILED", "a forged Delete must not pass");
    done.logical_id = "Other".into();
    let answer = run(&provider, done.update(&id, &w.props(), &w.props()), BUDGET)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(
        reason(&answer).contains("Resource Other does not exist"),
        "{answer}"
    );

    // 4. Not a stack ARN at all.
    let mut bogus = Driver::new(CHILD_ACCOUNT, "s", "D", &receiver);
    bogus.stack_id = "my-stack".into();
    let answer = run(&provider, bogus.create(&w.props()), BUDGET)
        .await
        .unwrap();
    assert!(
        reason(&answer).contains("is not a CloudFormation stack ARN"),
        "{answer}"
    );

    assert_eq!(
        w.parent_records().await,
        before,
        "no refused request changed the parent zone"
    );
}

#[tokio::test]
async fn the_policy_allots_names_per_account() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = provider_with(&w.moto.endpoint, config(Some(POLICY), false)).await;
    let a = Driver::new(CHILD_ACCOUNT, "a", "D", &receiver);
    let b = Driver::new(OTHER_ACCOUNT, "b", "D", &receiver);
    let before = w.parent_records().await;

    // B cannot take A's allotted name, even with a zone of that name in its own account.
    let b_dev = child_in(&w, OTHER_ACCOUNT, "dev.example.com").await;
    let answer = run(&provider, b.create(&b_dev), BUDGET).await.unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(reason(&answer).contains("account 333333333333 may not delegate dev.example.com: no DELEGATION_POLICY rule allots it"), "{answer}");
    assert!(
        reason(&answer)
            .contains("333333333333.accounts.example.com, *.333333333333.accounts.example.com"),
        "{answer}"
    );

    // A cannot delegate a name outside its patterns.
    let a_www = child_in(&w, CHILD_ACCOUNT, "www.example.com").await;
    let answer = run(&provider, a.create(&a_www), BUDGET).await.unwrap();
    assert!(
        reason(&answer).contains("account 222222222222 may not delegate www.example.com"),
        "{answer}"
    );

    // A cannot point its name at a zone in another account.
    let mut b_zone_for_a = child_in(&w, OTHER_ACCOUNT, "dev.example.com").await;
    let answer = run(&provider, a.create(&b_zone_for_a), BUDGET)
        .await
        .unwrap();
    assert!(
        reason(&answer).contains("ChildRoleArn is in account 333333333333"),
        "{answer}"
    );
    b_zone_for_a.as_object_mut().unwrap().remove("ChildRoleArn");
    let answer = run(&provider, a.create(&b_zone_for_a), BUDGET)
        .await
        .unwrap();
    assert!(
        reason(&answer).contains("ChildRoleArn is not set"),
        "{answer}"
    );
    assert_eq!(w.parent_records().await, before);

    // {account} patterns, exact and wildcard.
    for name in [
        "222222222222.accounts.example.com",
        "api.222222222222.accounts.example.com",
    ] {
        let props = child_in(&w, CHILD_ACCOUNT, name).await;
        let answer = run(&provider, a.create(&props), BUDGET).await.unwrap();
        assert_eq!(answer["Status"], "SUCCESS", "{name}: {answer}");
    }
    // A's explicit allotment.
    let a_dev = child_in(&w, CHILD_ACCOUNT, "dev.example.com").await;
    let created = run(&provider, a.create(&a_dev), BUDGET).await.unwrap();
    assert_eq!(created["Status"], "SUCCESS", "{created}");
    let after = w.parent_records().await;

    // B cannot Delete a name it was never allotted, whatever the ID says.
    let id = created["PhysicalResourceId"].as_str().unwrap();
    let answer = run(&provider, b.delete(id, &b_dev), BUDGET).await.unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(
        reason(&answer).contains("account 333333333333 may not delegate dev.example.com"),
        "{answer}"
    );
    assert_eq!(
        w.parent_records().await,
        after,
        "the refused Delete removed nothing"
    );
}

#[tokio::test]
async fn without_a_policy_only_the_providers_own_account_may_delegate() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let provider = provider_with(&w.moto.endpoint, config(None, false)).await;
    let answer = run(
        &provider,
        Driver::new(CHILD_ACCOUNT, "a", "D", &receiver).create(&w.props()),
        BUDGET,
    )
    .await
    .unwrap();
    assert!(reason(&answer).contains("DELEGATION_POLICY is not set, so only zones in the provider's account 123456789012 may be delegated to"), "{answer}");
    // The provider's own account: any name below the parent, with its own credentials.
    let own_zone = create_zone(&w.parent, "ops.example.com").await;
    let props = json!({"ParentHostedZoneId": w.parent_zone, "ChildHostedZoneId": own_zone});
    let answer = run(
        &provider,
        Driver::new(PARENT_ACCOUNT, "dns", "D", &receiver).create(&props),
        BUDGET,
    )
    .await
    .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_policy_stops_the_function_at_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_subdomain-delegation"))
        .args(["invoke", "examples/events/create.json"])
        .env(
            "DELEGATION_POLICY",
            r#"{"allow":[{"accounts":["12"],"names":["x.example.com"]}]}"#,
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("DELEGATION_POLICY is invalid: rule 0: account \\\"12\\\"")
            || stderr.contains("DELEGATION_POLICY is invalid: rule 0: account \"12\""),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing was handled");
}

/// Route 53 and STS from moto, CloudFormation from mocks shaped like its real answers.
struct MockedCloudFormation {
    inner: SdkConnector,
    cfn: aws_sdk_cloudformation::Client,
    roles_used: Arc<Mutex<Vec<Option<String>>>>,
}

impl Connector for MockedCloudFormation {
    type Child = Route53;
    type Parent = Route53;
    type Stacks = CloudFormation;
    async fn child(
        &self,
        role: Option<&RoleSpec>,
        s: &SessionContext,
    ) -> Result<Route53, AdapterError> {
        self.inner.child(role, s).await
    }
    async fn parent(
        &self,
        role: Option<&RoleSpec>,
        s: &SessionContext,
    ) -> Result<Route53, AdapterError> {
        self.inner.parent(role, s).await
    }
    async fn stacks(
        &self,
        role: Option<&RoleSpec>,
        _: &SessionContext,
        region: &str,
    ) -> Result<CloudFormation, AdapterError> {
        assert_eq!(
            region, "us-east-1",
            "CloudFormation is asked in the stack's region"
        );
        self.roles_used
            .lock()
            .unwrap()
            .push(role.map(|r| r.arn.clone()));
        Ok(CloudFormation::new(self.cfn.clone()))
    }
    async fn own_account(&self, s: &SessionContext) -> Result<String, AdapterError> {
        self.inner.own_account(s).await
    }
}

fn resource(status: ResourceStatus, physical: Option<&str>) -> DescribeStackResourceOutput {
    let mut detail = StackResourceDetail::builder()
        .logical_resource_id("Delegation")
        .resource_type("Custom::SubdomainDelegation")
        .resource_status(status)
        .last_updated_timestamp(aws_smithy_types::DateTime::from_secs(1_700_000_000));
    if let Some(p) = physical {
        detail = detail.physical_resource_id(p);
    }
    DescribeStackResourceOutput::builder()
        .stack_resource_detail(detail.build())
        .build()
}

/// DescribeStackEvents' answer, newest first: (logical ID, physical ID, status).
fn events(list: &[(&str, Option<&str>, &str)]) -> DescribeStackEventsOutput {
    DescribeStackEventsOutput::builder()
        .set_stack_events(Some(
            list.iter()
                .map(|(logical, physical, status)| {
                    StackEvent::builder()
                        .stack_id("arn:aws:cloudformation:us-east-1:222222222222:stack/dev-dns/1")
                        .event_id(uuid())
                        .stack_name("dev-dns")
                        .logical_resource_id(*logical)
                        .set_physical_resource_id(physical.map(str::to_owned))
                        .resource_type("Custom::SubdomainDelegation")
                        .resource_status(ResourceStatus::from(*status))
                        .timestamp(aws_smithy_types::DateTime::from_secs(1_700_000_000))
                        .build()
                })
                .collect(),
        ))
        .build()
}

fn stack(status: StackStatus) -> DescribeStacksOutput {
    DescribeStacksOutput::builder()
        .stacks(
            Stack::builder()
                .stack_name("dev-dns")
                .stack_status(status)
                .creation_time(aws_smithy_types::DateTime::from_secs(1_700_000_000))
                .build(),
        )
        .build()
}

async fn verified_provider(
    w: &World,
    rules: &[&Rule],
) -> (
    Provider<MockedCloudFormation>,
    Arc<Mutex<Vec<Option<String>>>>,
) {
    let cfn = mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, rules);
    let roles_used: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let connector = MockedCloudFormation {
        inner: SdkConnector::new(w.moto.sdk_config().await, retry_config()),
        cfn,
        roles_used: roles_used.clone(),
    };
    let provider = Provider::new(
        connector,
        config(Some(TEST_POLICY), true),
        Responder::new(2, Duration::from_millis(50)),
    );
    (provider, roles_used)
}

async fn handle(provider: &Provider<MockedCloudFormation>, event: Value) -> Value {
    let body = provider
        .handle(event, tokio::time::Instant::now() + BUDGET, "s")
        .await
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn genuine_requests_are_verified_through_every_phase() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let driver = Driver::new(CHILD_ACCOUNT, "dev-dns", "Delegation", &receiver);
    let props = w.props();
    let old_id = format!("{}/dev.example.com", w.parent_zone);
    let test_zone = create_zone(&w.child, "test.example.com").await;
    let mut moved = props.clone();
    moved["ChildHostedZoneId"] = json!(test_zone);
    let new_id = format!("{}/test.example.com", w.parent_zone);

    let create = mock!(aws_sdk_cloudformation::Client::describe_stack_resource)
        .then_output(|| resource(ResourceStatus::CreateInProgress, None));
    let (id_a, id_b) = (old_id.clone(), old_id.clone());
    let update = mock!(aws_sdk_cloudformation::Client::describe_stack_resource)
        .then_output(move || resource(ResourceStatus::UpdateInProgress, Some(&id_a)));
    // Cleanup after the replacement: the resource already carries the new ID.
    let (id_c, id_d) = (new_id.clone(), new_id.clone());
    let cleanup = mock!(aws_sdk_cloudformation::Client::describe_stack_resource)
        .then_output(move || resource(ResourceStatus::UpdateComplete, Some(&id_c)));
    let cleanup_stack = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .then_output(|| stack(StackStatus::UpdateCompleteCleanupInProgress));
    // … and its events show the old ID on that same resource.
    let id_e = old_id.clone();
    let cleanup_events = mock!(aws_sdk_cloudformation::Client::describe_stack_events)
        .then_output(move || events(&[("Delegation", Some(&id_e), "DELETE_IN_PROGRESS")]));
    // Rollback of a later update back to the old child (ID back to the old one), then deletion.
    let rollback = mock!(aws_sdk_cloudformation::Client::describe_stack_resource)
        .then_output(move || resource(ResourceStatus::UpdateInProgress, Some(&id_d)));
    let delete = mock!(aws_sdk_cloudformation::Client::describe_stack_resource)
        .then_output(move || resource(ResourceStatus::DeleteInProgress, Some(&id_b)));
    let (provider, roles) = verified_provider(
        &w,
        &[
            &create,
            &update,
            &cleanup,
            &cleanup_stack,
            &cleanup_events,
            &rollback,
            &delete,
        ],
    )
    .await;

    let a = handle(&provider, driver.create(&props)).await;
    assert_eq!(
        (a["Status"].as_str(), a["PhysicalResourceId"].as_str()),
        (Some("SUCCESS"), Some(old_id.as_str())),
        "create: {a}"
    );
    let a = handle(&provider, driver.update(&old_id, &moved, &props)).await;
    assert_eq!(
        (a["Status"].as_str(), a["PhysicalResourceId"].as_str()),
        (Some("SUCCESS"), Some(new_id.as_str())),
        "replacing update: {a}"
    );
    let a = handle(&provider, driver.delete(&old_id, &props)).await;
    assert_eq!(a["Status"], "SUCCESS", "cleanup delete: {a}");
    assert_eq!(
        w.delegations()
            .await
            .iter()
            .map(|r| r.0.as_str())
            .collect::<Vec<_>>(),
        ["test.example.com."]
    );
    let a = handle(&provider, driver.update(&new_id, &props, &moved)).await;
    assert_eq!(
        (a["Status"].as_str(), a["PhysicalResourceId"].as_str()),
        (Some("SUCCESS"), Some(old_id.as_str())),
        "rollback update: {a}"
    );
    let a = handle(&provider, driver.delete(&old_id, &props)).await;
    assert_eq!(a["Status"], "SUCCESS", "delete: {a}");
    for rule in [
        &create,
        &update,
        &cleanup,
        &cleanup_stack,
        &rollback,
        &delete,
    ] {
        assert_eq!(rule.num_calls(), 1);
    }
    // A stack in the child account is asked about through the child's reader role.
    assert!(
        roles
            .lock()
            .unwrap()
            .iter()
            .all(|r| r.as_deref() == Some(role_arn(CHILD_ACCOUNT).as_str()))
    );
}

#[tokio::test]
async fn a_delete_of_a_replaced_id_outside_cleanup_is_refused() {
    let w = World::new().await;
    let receiver = Receiver::start().await;
    let driver = Driver::new(CHILD_ACCOUNT, "dev-dns", "Delegation", &receiver);
    let create = mock!(aws_sdk_cloudformation::Client::describe_stack_resource)
        .then_output(|| resource(ResourceStatus::CreateInProgress, None));
    let current =
        mock!(aws_sdk_cloudformation::Client::describe_stack_resource).then_output(|| {
            resource(
                ResourceStatus::UpdateComplete,
                Some("ZOTHER/other.example.com"),
            )
        });
    let settled = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .then_output(|| stack(StackStatus::UpdateComplete));
    let (provider, _) = verified_provider(&w, &[&create, &current, &settled]).await;
    let created = handle(&provider, driver.create(&w.props())).await;
    assert_eq!(created["Status"], "SUCCESS", "{created}");
    let after = w.parent_records().await;
    let a = handle(
        &provider,
        driver.delete(created["PhysicalResourceId"].as_str().unwrap(), &w.props()),
    )
    .await;
    assert_eq!(a["Status"], "FAILED");
    assert!(
        reason(&a).contains("the stack is UPDATE_COMPLETE, not cleaning up after a replacement"),
        "{a}"
    );
    assert_eq!(w.parent_records().await, after);
}
