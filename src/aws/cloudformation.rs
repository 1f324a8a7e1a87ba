//! The stack reader: CloudFormation in the requesting stack's account and region.

use super::errors::classify;
use crate::domain::model::{ResourceState, ResourceStatus, StackEvent, StackStatus};
use crate::ports::{AdapterError, ErrorKind, StackReader};

/// CloudFormation in the requesting stack's account and region.
#[derive(Clone, Debug)]
pub struct CloudFormation {
    client: aws_sdk_cloudformation::Client,
}

impl CloudFormation {
    /// An adapter over a ready client (tests inject mocked clients this way).
    pub fn new(client: aws_sdk_cloudformation::Client) -> Self {
        CloudFormation { client }
    }
}

impl StackReader for CloudFormation {
    async fn resource(
        &self,
        stack_id: &str,
        logical_id: &str,
    ) -> Result<ResourceState, AdapterError> {
        let out = self
            .client
            .describe_stack_resource()
            .stack_name(stack_id)
            .logical_resource_id(logical_id)
            .send()
            .await
            .map_err(|e| classify(&format!("DescribeStackResource {logical_id}"), e))?;
        let detail = out.stack_resource_detail().ok_or_else(|| {
            AdapterError::new(
                ErrorKind::Other,
                "DescribeStackResource",
                "returned no resource",
            )
        })?;
        Ok(ResourceState {
            resource_status: ResourceStatus::parse(
                detail.resource_status().map_or("", |s| s.as_str()),
            ),
            physical_id: detail.physical_resource_id().map(str::to_owned),
            resource_type: detail.resource_type().unwrap_or_default().to_owned(),
        })
    }

    async fn events(
        &self,
        stack_id: &str,
        next_token: Option<String>,
    ) -> Result<(Vec<StackEvent>, Option<String>), AdapterError> {
        let out = self
            .client
            .describe_stack_events()
            .stack_name(stack_id)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| classify("DescribeStackEvents", e))?;
        let events = out
            .stack_events()
            .iter()
            .map(|e| StackEvent {
                logical_id: e.logical_resource_id().unwrap_or_default().to_owned(),
                physical_id: e.physical_resource_id().map(str::to_owned),
                resource_type: e.resource_type().map(str::to_owned),
                status: ResourceStatus::parse(e.resource_status().map_or("", |s| s.as_str())),
            })
            .collect();
        Ok((events, out.next_token().map(str::to_owned)))
    }

    async fn stack_status(&self, stack_id: &str) -> Result<StackStatus, AdapterError> {
        let out = self
            .client
            .describe_stacks()
            .stack_name(stack_id)
            .send()
            .await
            .map_err(|e| classify("DescribeStacks", e))?;
        out.stacks()
            .first()
            .and_then(|s| s.stack_status())
            .map(|s| StackStatus::parse(s.as_str()))
            .ok_or_else(|| {
                AdapterError::new(ErrorKind::NotFound, "DescribeStacks", "returned no stack")
            })
    }
}
