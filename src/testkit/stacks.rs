//! CloudFormation in one account and region: the stacks request verification reads, arranged by
//! the test (status, resources, events) and read through `StackReader`.

use super::Memory;
use super::state::{Op, Stack};
use crate::domain::model::{ResourceState, ResourceStatus, StackEvent, StackStatus};
use crate::ports::{AdapterError, ErrorKind, StackReader};

impl Memory {
    /// Sets the stack's status (the stack is made on first mention, in its ARN's account and
    /// region).
    pub fn set_stack_status(&self, stack_id: &str, status: &str) {
        self.state().stack(stack_id).status = status.to_owned();
    }

    /// What DescribeStackResource says of `logical_id` from now on.
    pub fn set_resource(
        &self,
        stack_id: &str,
        logical_id: &str,
        status: &str,
        physical_id: Option<&str>,
        resource_type: &str,
    ) {
        let state = ResourceState {
            resource_status: ResourceStatus::parse(status),
            physical_id: physical_id.map(str::to_owned),
            resource_type: resource_type.to_owned(),
        };
        let mut s = self.state();
        s.stack(stack_id)
            .resources
            .insert(logical_id.to_owned(), state);
    }

    /// Records a stack event, the newest.
    pub fn push_event(
        &self,
        stack_id: &str,
        logical_id: &str,
        physical_id: Option<&str>,
        resource_type: &str,
        status: &str,
    ) {
        let event = StackEvent {
            logical_id: logical_id.to_owned(),
            physical_id: physical_id.map(str::to_owned),
            resource_type: Some(resource_type.to_owned()),
            status: ResourceStatus::parse(status),
        };
        self.state().stack(stack_id).events.insert(0, event);
    }

    /// DescribeStackEvents' page size from now on (100 at first).
    pub fn set_event_page_size(&self, size: usize) {
        self.state().event_page_size = size;
    }

    /// CloudFormation in `account` and `region`, without assuming a role.
    pub fn cloudformation(&self, account: &str, region: &str) -> CloudFormationIn {
        CloudFormationIn {
            aws: self.clone(),
            account: account.to_owned(),
            region: region.to_owned(),
        }
    }
}

/// CloudFormation in one account and region.
pub struct CloudFormationIn {
    aws: Memory,
    account: String,
    region: String,
}

impl CloudFormationIn {
    /// Logs the call; reads the stack if it exists here (not in another account or region).
    async fn read<T>(
        &self,
        op: Op,
        stack_id: &str,
        f: impl FnOnce(&Stack, usize) -> Result<T, AdapterError>,
    ) -> Result<T, AdapterError> {
        let s = self.aws.enter(op, &self.account, None, None).await?;
        match s.stacks.get(stack_id) {
            Some(st) if st.account == self.account && st.region == self.region => {
                f(st, s.event_page_size)
            }
            _ => Err(AdapterError::new(
                ErrorKind::Other,
                "",
                format!("{op:?}: ValidationError: Stack with id {stack_id} does not exist"),
            )),
        }
    }
}

impl StackReader for CloudFormationIn {
    async fn resource(
        &self,
        stack_id: &str,
        logical_id: &str,
    ) -> Result<ResourceState, AdapterError> {
        self.read(Op::DescribeStackResource, stack_id, |st, _| {
            st.resources.get(logical_id).cloned().ok_or_else(|| {
                AdapterError::new(ErrorKind::Other, "", format!(
                    "DescribeStackResource {logical_id}: ValidationError: Resource {logical_id} does not exist for stack {stack_id}"
                ))
            })
        })
        .await
    }

    async fn stack_status(&self, stack_id: &str) -> Result<StackStatus, AdapterError> {
        self.read(Op::DescribeStacks, stack_id, |st, _| {
            Ok(StackStatus::parse(&st.status))
        })
        .await
    }

    async fn events(
        &self,
        stack_id: &str,
        next_token: Option<String>,
    ) -> Result<(Vec<StackEvent>, Option<String>), AdapterError> {
        self.read(Op::DescribeStackEvents, stack_id, |st, size| {
            let from: usize = next_token.map_or(0, |t| t.parse().unwrap());
            let to = (from + size).min(st.events.len());
            let next = (to < st.events.len()).then(|| to.to_string());
            Ok((st.events[from..to].to_vec(), next))
        })
        .await
    }
}
