//! Who may ask (docs/design.md, "Who may ask"), where only the adapters can show it: genuine
//! requests verified through the CloudFormation adapter over SDK mocks shaped like
//! CloudFormation's answers (moto cannot hold a resource *_IN_PROGRESS), and an invalid policy
//! stopping the binary at start. The rules themselves (the policy's allotment, forged requests,
//! cleanup deletes) are proven in memory through every door (tests/rules.rs) and through the
//! binary against a faked CloudFormation (tests/forgery.rs).

use crate::support::mocked::{MockedSdk, StackSessions};
use crate::support::*;
use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
use aws_sdk_cloudformation::operation::describe_stack_resource::DescribeStackResourceOutput;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
use aws_sdk_cloudformation::types::{
    ResourceStatus, Stack, StackEvent, StackResourceDetail, StackStatus,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use serde_json::{Value, json};
use std::time::Duration;
use subdomain_delegation::aws::{SdkConnector, retry_config};
use subdomain_delegation::cfn::responder::Responder;
use subdomain_delegation::cfn::runner::Provider;
use subdomain_delegation::config::Config;
use subdomain_delegation::domain::authority::Policy;

const BUDGET: Duration = Duration::from_secs(60);

fn config(policy: Option<&str>, verify: bool) -> Config {
    Config {
        policy: policy.map(|p| Policy::parse(p).unwrap()),
        skip_request_verification: !verify,
        ..test_config()
    }
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

async fn verified_provider(w: &World, rules: &[&Rule]) -> (Provider<MockedSdk>, StackSessions) {
    let cfn = mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, rules);
    let moto = SdkConnector::new(w.moto.sdk_config().await, retry_config());
    let connector = MockedSdk::cloudformation(cfn, moto);
    let sessions = connector.stack_sessions.clone();
    let provider = Provider::new(
        connector,
        config(Some(TEST_POLICY), true),
        Responder::new(2, Duration::from_millis(50)),
    );
    (provider, sessions)
}

async fn handle(provider: &Provider<MockedSdk>, event: Value) -> Value {
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
    let (provider, sessions) = verified_provider(
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
    // A stack in the child account is asked about through the child's reader role, in the
    // stack's region.
    let sessions = sessions.lock().unwrap();
    assert!(!sessions.is_empty());
    for (role, region) in sessions.iter() {
        assert_eq!(role.as_deref(), Some(role_arn(CHILD_ACCOUNT).as_str()));
        assert_eq!(
            region, "us-east-1",
            "CloudFormation is asked in the stack's region"
        );
    }
}
