//! Who may ask (docs/design.md, "Who may ask"): the requesting account comes from the stack and is
//! verified against CloudFormation; the account that owns the child zone may only be delegated the
//! names `DELEGATION_POLICY` allots it, whichever stack asks. Pure rules here; the CloudFormation
//! reads are an adapter's.
//!
//! Layout: `policy` reads `DELEGATION_POLICY` and finds the accounts it allots a name to;
//! `accounts` holds the rules on accounts (the child zone's account, the parent role, the
//! allotment); `verification` checks a request against CloudFormation's view of its stack (the
//! StackId, the resource's type and state, a cleanup's events); `denial` says why a request is
//! refused.

mod accounts;
mod denial;
mod policy;
mod verification;

pub use accounts::{check_child_role, check_name, check_parent_role, zone_account};
pub use denial::Denial;
pub use policy::{Allottees, Policy, PolicyError, Rule};
pub use verification::{
    DEFAULT_RESOURCE_TYPE, EventScan, GENERIC_CUSTOM_RESOURCE_TYPE, STACK_RESOURCE_TYPE, StackRef,
    StackVerdict, check_served_type, is_custom_resource_type, scan_events, verify_cleanup,
    verify_resource,
};
