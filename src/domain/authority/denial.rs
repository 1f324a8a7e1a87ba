//! Why a request was refused (docs/design.md, "Who may ask"): each denial names the rule that
//! refused, without echoing secrets.

use crate::domain::name::DnsName;

/// Why a request was refused, naming the rule without echoing secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    #[error(
        "the request's StackId {0:?} is not a CloudFormation stack ARN, so its account cannot be verified"
    )]
    BadStackId(String),
    #[error(
        "a stack in account {stack_account} must read its child zone through ChildRoleArn in its own account (rule: the child zone must be in the requesting account){found}"
    )]
    ChildOutsideAccount {
        stack_account: String,
        found: String,
    },
    #[error(
        "account {account} may not delegate {name}: DELEGATION_POLICY is not set, so only zones in the provider's account {own} may be delegated to (rule: no policy)"
    )]
    NoPolicy {
        account: String,
        name: DnsName,
        own: String,
    },
    #[error(
        "account {account} may not delegate {name}: no DELEGATION_POLICY rule allots it to that account (rules for it: {allotted})"
    )]
    NotAllotted {
        account: String,
        name: DnsName,
        allotted: String,
    },
    #[error(
        "a zone of account {zone_account} may not be delegated {name}: DELEGATION_POLICY allots that name to {allotted_to}, so only that account's zones may be delegated it (rule: an allotted name goes to its account's zones only)"
    )]
    AllottedElsewhere {
        name: DnsName,
        allotted_to: String,
        zone_account: String,
    },
    #[error(
        "ParentRoleArn {arn} is not a parent role this deployment names (DELEGATION_PARENT_ROLE_ARNS: {allowed}); a request may only write through the roles the provider's configuration lists"
    )]
    ParentRoleNotAllowed { arn: String, allowed: String },
    #[error("request verification failed: {0}")]
    Unverified(String),
}
