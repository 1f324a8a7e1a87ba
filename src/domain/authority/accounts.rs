//! The rules on accounts (docs/design.md, "Who may ask"): the account that owns the child zone,
//! the parent roles the deployment names, and the names `DELEGATION_POLICY` allots to each account.

use super::denial::Denial;
use super::policy::Policy;
use crate::domain::name::DnsName;
use crate::domain::properties::RoleSpec;

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

#[cfg(test)]
#[path = "../tests/authority/accounts.rs"]
mod tests;
