//! Who may ask (docs/design.md, "Who may ask"): the requesting account comes from the stack and is
//! verified against CloudFormation; the account that owns the child zone may only be delegated the
//! names `DELEGATION_POLICY` allots it, whichever stack asks. Pure rules here; the CloudFormation
//! reads are an adapter's.

use super::model::{RequestKind, ResourceState, ResourceStatus, StackEvent, StackStatus};
use super::name::DnsName;
use super::properties::{RoleSpec, arn_fields};
use serde::Deserialize;

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
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
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

/// `DELEGATION_POLICY`: which accounts may delegate which names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub allow: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// 12-digit account IDs, or `*` for any account.
    pub accounts: Vec<String>,
    /// Names, with `{account}` for the requesting account and an optional leading `*.` for any
    /// name strictly below.
    pub names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DELEGATION_POLICY is invalid: {0}")]
pub struct PolicyError(String);

impl Policy {
    /// Parses and checks the whole policy, so a mistake stops the function at start.
    pub fn parse(json: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = serde_json::from_str(json).map_err(|e| PolicyError(e.to_string()))?;
        for (i, rule) in policy.allow.iter().enumerate() {
            if rule.accounts.is_empty() || rule.names.is_empty() {
                return Err(PolicyError(format!(
                    "rule {i} needs at least one account and one name"
                )));
            }
            for account in &rule.accounts {
                let ok = account == "*"
                    || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
                if !ok {
                    return Err(PolicyError(format!(
                        "rule {i}: account {account:?} is neither a 12-digit account ID nor \"*\""
                    )));
                }
            }
            for pattern in &rule.names {
                // Check the pattern's shape with a placeholder account.
                let sample = pattern.replace("{account}", "123456789012");
                let bare = sample.strip_prefix("*.").unwrap_or(&sample);
                if let Err(e) = DnsName::parse(bare) {
                    return Err(PolicyError(format!(
                        "rule {i}: name pattern {pattern:?} {e}"
                    )));
                }
                if pattern.matches('{').count() != pattern.matches("{account}").count() {
                    return Err(PolicyError(format!(
                        "rule {i}: name pattern {pattern:?} has a placeholder other than {{account}}"
                    )));
                }
            }
        }
        Ok(policy)
    }
}

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

/// The account that owns the child zone: the reader role's, or the stack's own when the zone is
/// read with the provider's credentials from a stack in the provider's account.
pub fn zone_account<'a>(stack_account: &'a str, child_role: Option<&'a RoleSpec>) -> &'a str {
    child_role.map_or(stack_account, |role| role.account.as_str())
}

/// `ParentRoleArn` must be one of the roles the deployment names: a request must not pick any
/// role the provider happens to be able to assume to write through.
pub fn check_parent_role(allowed: &[String], parent_role: Option<&RoleSpec>) -> Result<(), Denial> {
    match parent_role {
        Some(role) if !allowed.iter().any(|a| a == &role.arn) => {
            Err(Denial::ParentRoleNotAllowed {
                arn: role.arn.clone(),
                allowed: if allowed.is_empty() {
                    "none".into()
                } else {
                    allowed.join(", ")
                },
            })
        }
        _ => Ok(()),
    }
}

/// A stack in another account than the provider's may only delegate to a zone in its own account,
/// read through a reader role in that account. A stack in the provider's account may name any
/// account's reader role; [`check_name`] then holds it to that account's allotment.
pub fn check_child_role(
    own_account: &str,
    stack_account: &str,
    child_role: Option<&RoleSpec>,
) -> Result<(), Denial> {
    if stack_account == own_account {
        return Ok(());
    }
    match child_role {
        Some(role) if role.account == stack_account => Ok(()),
        Some(role) => Err(Denial::ChildOutsideAccount {
            stack_account: stack_account.to_owned(),
            found: format!("; ChildRoleArn is in account {}", role.account),
        }),
        None => Err(Denial::ChildOutsideAccount {
            stack_account: stack_account.to_owned(),
            found: "; ChildRoleArn is not set".to_owned(),
        }),
    }
}

/// The zone's account (see [`zone_account`]) must be allotted the name, whichever stack asks,
/// and a name allotted to an account is delegated only to that account's zones: a borrowed
/// stack of the provider's account can then do nothing the zone's own account could not do from
/// its own stack, and cannot put a DNS-account zone in another account's place. Zones in the
/// provider's account take only the names the policy allots to nobody (or to it).
pub fn check_name(
    policy: Option<&Policy>,
    own_account: &str,
    zone_account: &str,
    name: &DnsName,
) -> Result<(), Denial> {
    let Some(policy) = policy else {
        return if zone_account == own_account {
            Ok(())
        } else {
            Err(Denial::NoPolicy {
                account: zone_account.to_owned(),
                name: name.clone(),
                own: own_account.to_owned(),
            })
        };
    };
    let allottees = policy.allottees(name);
    if allottees.includes(zone_account) {
        return Ok(());
    }
    if zone_account == own_account {
        return if allottees.is_nobody() {
            Ok(())
        } else {
            Err(Denial::AllottedElsewhere {
                name: name.clone(),
                allotted_to: allottees.to_string(),
                zone_account: zone_account.to_owned(),
            })
        };
    }
    Err(Denial::NotAllotted {
        account: zone_account.to_owned(),
        name: name.clone(),
        allotted: policy.patterns_for(zone_account),
    })
}

/// The accounts `DELEGATION_POLICY` allots a name to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allottees {
    /// A rule for any account (`"*"`) names it without `{account}`.
    pub everyone: bool,
    pub accounts: std::collections::BTreeSet<String>,
}

impl Allottees {
    pub fn includes(&self, account: &str) -> bool {
        self.everyone || self.accounts.contains(account)
    }

    pub fn is_nobody(&self) -> bool {
        !self.everyone && self.accounts.is_empty()
    }
}

impl std::fmt::Display for Allottees {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.everyone {
            return f.write_str("every account");
        }
        let accounts: Vec<&str> = self.accounts.iter().map(String::as_str).collect();
        write!(f, "account {}", accounts.join(", "))
    }
}

/// How long an AWS account ID is.
const ACCOUNT_ID_DIGITS: usize = 12;

impl Policy {
    /// Every account the policy allots `name` to. A `{account}` pattern of a rule for any account
    /// can only match with an account ID that stands in the name itself, so the candidates are
    /// the name's runs of 12 digits.
    pub fn allottees(&self, name: &DnsName) -> Allottees {
        let mut found = Allottees::default();
        let text = name.to_string();
        let bytes = text.as_bytes();
        let in_name: std::collections::BTreeSet<String> =
            (0..bytes.len().saturating_sub(ACCOUNT_ID_DIGITS - 1))
                .map(|i| &bytes[i..i + ACCOUNT_ID_DIGITS])
                .filter(|run| run.iter().all(u8::is_ascii_digit))
                .map(|run| String::from_utf8_lossy(run).into_owned())
                .collect();
        for rule in &self.allow {
            for pattern in &rule.names {
                let templated = pattern.contains("{account}");
                for account in &rule.accounts {
                    if account != "*" {
                        if pattern_matches(&pattern.replace("{account}", account), name) {
                            found.accounts.insert(account.clone());
                        }
                    } else if !templated {
                        found.everyone |= pattern_matches(pattern, name);
                    } else {
                        for candidate in &in_name {
                            if pattern_matches(&pattern.replace("{account}", candidate), name) {
                                found.accounts.insert(candidate.clone());
                            }
                        }
                    }
                }
            }
        }
        found
    }

    /// The name patterns allotted to `account`, for a refusal's Reason.
    fn patterns_for(&self, account: &str) -> String {
        let patterns: Vec<String> = self
            .allow
            .iter()
            .filter(|rule| rule.accounts.iter().any(|a| a == "*" || a == account))
            .flat_map(|rule| rule.names.iter().map(|p| p.replace("{account}", account)))
            .collect();
        if patterns.is_empty() {
            "none".into()
        } else {
            patterns.join(", ")
        }
    }
}

fn pattern_matches(pattern: &str, name: &DnsName) -> bool {
    match pattern.strip_prefix("*.") {
        Some(base) => DnsName::parse(base).is_ok_and(|base| name.is_strictly_below(&base)),
        None => DnsName::parse(pattern).is_ok_and(|p| &p == name),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
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
) -> Verdict {
    if !is_custom_resource_type(request_type) || state.resource_type != request_type {
        return Verdict::Refused(format!(
            "{logical_id} is a resource of type {:?}, not the custom resource type {request_type:?} the request claims",
            state.resource_type
        ));
    }
    let expected = ResourceStatus::in_progress(claim);
    let status_ok = state.resource_status == expected;
    let same_id =
        request_physical_id.is_some() && state.physical_id.as_deref() == request_physical_id;
    match claim {
        RequestKind::Create if status_ok => Verdict::Verified,
        RequestKind::Update if status_ok && same_id => Verdict::Verified,
        RequestKind::Delete if status_ok && same_id => Verdict::Verified,
        RequestKind::Delete if !same_id => Verdict::NeedsCleanupEvidence,
        _ => Verdict::Refused(format!(
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

pub fn verify_cleanup(logical_id: &str, stack_status: &StackStatus, id_in_events: bool) -> Verdict {
    if !stack_status.is_cleanup() {
        Verdict::Refused(format!(
            "{logical_id}'s current PhysicalResourceId is another one and the stack is {stack_status}, not cleaning up after a replacement"
        ))
    } else if !id_in_events {
        Verdict::Refused(format!(
            "the events of the stack's current update (since its latest UPDATE_IN_PROGRESS) never show the request's PhysicalResourceId on {logical_id}, so it is not an ID this update replaced"
        ))
    } else {
        Verdict::Verified
    }
}

#[cfg(test)]
#[path = "tests/authority.rs"]
mod tests;
