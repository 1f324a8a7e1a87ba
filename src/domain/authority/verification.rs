//! The request verified against CloudFormation (docs/design.md, "Who may ask"): the requesting
//! account from the StackId, the resource's custom type and state, and for a cleanup Delete the
//! stack's events of the current operation. Pure rules; the CloudFormation reads are an adapter's.

use super::denial::Denial;
use crate::domain::model::is_account_id;
use crate::domain::model::{RequestKind, ResourceState, ResourceStatus, StackEvent, StackStatus};
use crate::domain::properties::arn_fields;

/// The account and region of a stack, read from its StackId ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackRef {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

impl StackRef {
    /// `arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id>`
    pub fn parse(stack_id: &str) -> Option<StackRef> {
        let [arn, partition, service, region, account, resource] = arn_fields(stack_id)?;
        let (kind, rest) = resource.split_once('/')?;
        let (name, id) = rest.split_once('/')?;
        let ok = arn == "arn"
            && partition.starts_with("aws")
            && service == "cloudformation"
            && !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && is_account_id(account)
            && kind == "stack"
            && !name.is_empty()
            && name.len() <= 128
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !id.is_empty()
            && !id.contains('/');
        ok.then(|| StackRef {
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            name: name.to_owned(),
        })
    }
}

/// What the stack's state says of a request (docs/design.md, "Who may ask").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StackVerdict {
    Verified,
    /// A Delete of an ID that is not the resource's current one: verified only while the stack
    /// cleans up after a replacement (or after a rolled-back one), and only when the stack's
    /// events show that ID on that same resource.
    NeedsCleanupEvidence,
    Refused(String),
}

/// The resource type the shipped templates and the CDK example declare.
pub const DEFAULT_RESOURCE_TYPE: &str = "Custom::SubdomainDelegation";

/// Only the custom resource types this provider serves may ask: a request borrowing another
/// provider's custom resource in progress (a bucket deployment, a lookup) must not pass.
pub fn check_served_type(served: &[String], request_type: &str) -> Result<(), Denial> {
    if served.iter().any(|t| t == request_type) {
        Ok(())
    } else {
        Err(Denial::Unverified(format!(
            "the request's ResourceType {:?} is not a type this provider serves (DELEGATION_RESOURCE_TYPES: {})",
            request_type.chars().take(120).collect::<String>(),
            served.join(", ")
        )))
    }
}

/// The resource type CloudFormation gives a custom resource declared without a `Custom::` name.
pub const GENERIC_CUSTOM_RESOURCE_TYPE: &str = "AWS::CloudFormation::CustomResource";

/// Only a custom resource sends requests to a provider: a request that claims any other type, or
/// a type other than the resource's own, is not CloudFormation's.
pub fn is_custom_resource_type(resource_type: &str) -> bool {
    resource_type == GENERIC_CUSTOM_RESOURCE_TYPE
        || resource_type
            .strip_prefix("Custom::")
            .is_some_and(|rest| !rest.is_empty())
}

pub fn verify_resource(
    claim: RequestKind,
    request_type: &str,
    logical_id: &str,
    request_physical_id: Option<&str>,
    state: &ResourceState,
) -> StackVerdict {
    if !is_custom_resource_type(request_type) || state.resource_type != request_type {
        return StackVerdict::Refused(format!(
            "{logical_id} is a resource of type {:?}, not the custom resource type {request_type:?} the request claims",
            state.resource_type
        ));
    }
    let expected = ResourceStatus::in_progress(claim);
    let status_ok = state.resource_status == expected;
    let same_id =
        request_physical_id.is_some() && state.physical_id.as_deref() == request_physical_id;
    match claim {
        RequestKind::Create if status_ok => StackVerdict::Verified,
        RequestKind::Update if status_ok && same_id => StackVerdict::Verified,
        RequestKind::Delete if status_ok && same_id => StackVerdict::Verified,
        RequestKind::Delete if !same_id => StackVerdict::NeedsCleanupEvidence,
        _ => StackVerdict::Refused(format!(
            "{logical_id} is {}{}, not {expected}{}",
            state.resource_status,
            state
                .physical_id
                .as_deref()
                .map(|p| format!(" with PhysicalResourceId {p}"))
                .unwrap_or_default(),
            if claim == RequestKind::Create {
                ""
            } else {
                " with the request's PhysicalResourceId"
            },
        )),
    }
}

/// What one page of a stack's events (newest first) says of a replaced physical ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventScan {
    /// An event of the current operation shows that ID on that logical resource, with the
    /// request's resource type.
    Found,
    /// The page reaches the start of the current operation (or the resource's creation) without
    /// showing it: this operation never replaced that ID.
    Absent,
    /// Read the next (older) page.
    ReadOn,
}

/// The resource type of a stack's own events, which mark where each operation starts.
pub const STACK_RESOURCE_TYPE: &str = "AWS::CloudFormation::Stack";

/// The replaced ID a cleanup Delete names must show on its logical resource *in the operation now
/// cleaning up*: the events newer than the stack's latest `UPDATE_IN_PROGRESS` stack event (an
/// `UPDATE_ROLLBACK_IN_PROGRESS` of the same operation comes after it). CloudFormation shows a
/// replaced ID on the resource's `UPDATE_IN_PROGRESS` and the new one on `UPDATE_COMPLETE`; after
/// a rollback the cleanup deletes the new one, also shown in that operation. An ID seen only in an
/// earlier operation was cleaned up then: a Delete naming it now is forged (docs/design.md, "Who
/// may ask").
pub fn scan_events(
    events: &[StackEvent],
    stack_id: &str,
    logical_id: &str,
    physical_id: &str,
    resource_type: &str,
) -> EventScan {
    for event in events {
        let stack_level = event.resource_type.as_deref() == Some(STACK_RESOURCE_TYPE)
            && event.physical_id.as_deref() == Some(stack_id);
        if stack_level {
            if event.status == ResourceStatus::UpdateInProgress {
                return EventScan::Absent;
            }
            continue;
        }
        if event.logical_id != logical_id {
            continue;
        }
        if event.physical_id.as_deref() == Some(physical_id)
            && event.resource_type.as_deref() == Some(resource_type)
        {
            return EventScan::Found;
        }
        if event.status == ResourceStatus::CreateInProgress {
            return EventScan::Absent;
        }
    }
    EventScan::ReadOn
}

pub fn verify_cleanup(
    logical_id: &str,
    stack_status: &StackStatus,
    id_in_events: bool,
) -> StackVerdict {
    if !stack_status.is_cleanup() {
        StackVerdict::Refused(format!(
            "{logical_id}'s current PhysicalResourceId is another one and the stack is {stack_status}, not cleaning up after a replacement"
        ))
    } else if !id_in_events {
        StackVerdict::Refused(format!(
            "the events of the stack's current update (since its latest UPDATE_IN_PROGRESS) never show the request's PhysicalResourceId on {logical_id}, so it is not an ID this update replaced"
        ))
    } else {
        StackVerdict::Verified
    }
}

#[cfg(test)]
#[path = "../tests/authority/verification.rs"]
mod tests;
