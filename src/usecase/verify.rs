//! Who may ask (docs/design.md, "Who may ask"): the cheapest refusals first, all before any
//! Route 53 call in the parent account.

use super::{Context, DelegationRequest, Failure};
use crate::domain::authority::{
    Denial, EventScan, StackRef, StackVerdict, check_child_role, check_name, check_parent_role,
    check_served_type, scan_events, verify_cleanup, verify_resource, zone_account,
};
use crate::domain::name::DnsName;
use crate::domain::properties::Properties;
use crate::ports::{AdapterError, Connector, ErrorKind, StackReader};

/// How many pages of a stack's events (100 each) a cleanup Delete reads for its replaced ID.
const MAX_EVENT_PAGES: u32 = 20;

/// The verified requester: the provider's own account, the stack that asks and the account whose
/// zone it delegates to.
#[derive(Clone, Debug)]
pub struct Requester {
    pub own_account: String,
    pub stack: StackRef,
    pub zone_account: String,
}

impl Requester {
    /// The zone's account must be allotted `name`, whichever stack asks.
    pub fn may_delegate<C: Connector>(
        &self,
        cx: &Context<'_, C>,
        name: &DnsName,
    ) -> Result<(), Denial> {
        check_name(
            cx.config.policy.as_ref(),
            &self.own_account,
            &self.zone_account,
            name,
        )
    }
}

/// Checks the request against the configuration, the policy (when the name is already known)
/// and CloudFormation in the stack's account.
pub async fn requester<C: Connector>(
    cx: &Context<'_, C>,
    request: &DelegationRequest,
    props: &Properties,
    name: Option<&DnsName>,
) -> Result<Requester, Failure> {
    check_parent_role(&cx.config.parent_roles, props.parent_role.as_ref())?;
    let stack = StackRef::parse(&request.stack_id)
        .ok_or_else(|| Denial::BadStackId(request.stack_id.chars().take(120).collect()))?;
    let own_account = cx.connector.own_account(&cx.session).await?;
    check_child_role(&own_account, &stack.account, props.child_role.as_ref())?;
    let requester = Requester {
        zone_account: zone_account(&stack.account, props.child_role.as_ref()).to_owned(),
        own_account,
        stack,
    };
    if let Some(name) = name {
        requester.may_delegate(cx, name)?;
    }
    if cx.config.skip_request_verification {
        tracing::warn!(
            "request verification is OFF (DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION): anyone who can invoke this function can forge requests; use it only against an emulator"
        );
        return Ok(requester);
    }
    check_served_type(&cx.config.resource_types, &request.resource_type)?;
    if let StackVerdict::Refused(why) = stack_verdict(cx, request, props, &requester).await? {
        let stack = &requester.stack;
        return Err(Denial::Unverified(format!(
            "stack {} in account {} does not show this request in progress: {why}",
            stack.name, stack.account
        ))
        .into());
    }
    Ok(requester)
}

/// What CloudFormation in the stack's account says of the request's resource.
async fn stack_verdict<C: Connector>(
    cx: &Context<'_, C>,
    request: &DelegationRequest,
    props: &Properties,
    requester: &Requester,
) -> Result<StackVerdict, Failure> {
    let stack = &requester.stack;
    let unverified = |e: AdapterError| -> Failure {
        let why = format!(
            "could not confirm with CloudFormation in account {} ({}) that stack {} is running this request: {e}. A stack in another account is read through ChildRoleArn, which needs cloudformation:DescribeStackResource, cloudformation:DescribeStacks and cloudformation:DescribeStackEvents on the stack",
            stack.account, stack.region, stack.name
        );
        match e.kind {
            // Kept apart: a batch tries such a request again after the others (usecase::pipeline).
            ErrorKind::RoleRefused => {
                AdapterError::new(ErrorKind::RoleRefused, "request verification failed", why).into()
            }
            _ => Denial::Unverified(why).into(),
        }
    };
    let role = props
        .child_role
        .as_ref()
        .filter(|_| stack.account != requester.own_account);
    let stacks = cx
        .connector
        .stacks(role, &cx.session, &stack.region)
        .await
        .map_err(unverified)?;
    let state = stacks
        .resource(&request.stack_id, &request.logical_id)
        .await
        .map_err(unverified)?;
    let physical = request.physical_id.as_deref();
    let verdict = verify_resource(
        request.kind,
        &request.resource_type,
        &request.logical_id,
        physical,
        &state,
    );
    if verdict != StackVerdict::NeedsCleanupEvidence {
        return Ok(verdict);
    }
    let status = stacks
        .stack_status(&request.stack_id)
        .await
        .map_err(unverified)?;
    let seen = status.is_cleanup()
        && replaced_id_in_events(&stacks, request, physical.unwrap_or_default())
            .await
            .map_err(unverified)?;
    Ok(verify_cleanup(&request.logical_id, &status, seen))
}

/// Whether the current operation's events show `physical_id` on the request's logical resource,
/// with its type: newest first, until found, until the operation's start or the resource's
/// creation, or [`MAX_EVENT_PAGES`].
async fn replaced_id_in_events<S: StackReader>(
    stacks: &S,
    request: &DelegationRequest,
    physical_id: &str,
) -> Result<bool, AdapterError> {
    let mut token = None;
    for _page in 0..MAX_EVENT_PAGES {
        let (events, next) = stacks.events(&request.stack_id, token).await?;
        match scan_events(
            &events,
            &request.stack_id,
            &request.logical_id,
            physical_id,
            &request.resource_type,
        ) {
            EventScan::Found => return Ok(true),
            EventScan::Absent => return Ok(false),
            EventScan::ReadOn => match next {
                Some(next) => token = Some(next),
                None => return Ok(false),
            },
        }
    }
    Ok(false)
}
