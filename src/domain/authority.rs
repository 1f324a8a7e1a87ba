//! Who may ask (docs/design.md, "Who may ask"): the requesting account comes from the stack and is
//! verified against CloudFormation; the account that owns the child zone may only be delegated the
//! names `DELEGATION_POLICY` allots it, whichever stack asks. Pure rules here; the CloudFormation
//! reads are an adapter's.

use super::name::DnsName;
use super::properties::{RoleSpec, arn_fields};
use serde::Deserialize;
use std::fmt;

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

/// The zone's account (see [`zone_account`]) must be allotted the name, whichever stack asks: a
/// borrowed stack of the provider's account can then do nothing the zone's own account could not
/// do from its own stack. Only zones in the provider's account need no allotment.
pub fn check_name(
    policy: Option<&Policy>,
    own_account: &str,
    zone_account: &str,
    name: &DnsName,
) -> Result<(), Denial> {
    if zone_account == own_account {
        return Ok(());
    }
    let Some(policy) = policy else {
        return Err(Denial::NoPolicy {
            account: zone_account.to_owned(),
            name: name.clone(),
            own: own_account.to_owned(),
        });
    };
    let mut allotted = Vec::new();
    for rule in &policy.allow {
        if !rule.accounts.iter().any(|a| a == "*" || a == zone_account) {
            continue;
        }
        for pattern in &rule.names {
            let concrete = pattern.replace("{account}", zone_account);
            if pattern_matches(&concrete, name) {
                return Ok(());
            }
            allotted.push(concrete);
        }
    }
    Err(Denial::NotAllotted {
        account: zone_account.to_owned(),
        name: name.clone(),
        allotted: if allotted.is_empty() {
            "none".into()
        } else {
            allotted.join(", ")
        },
    })
}

fn pattern_matches(pattern: &str, name: &DnsName) -> bool {
    match pattern.strip_prefix("*.") {
        Some(base) => DnsName::parse(base).is_ok_and(|base| name.is_strictly_below(&base)),
        None => DnsName::parse(pattern).is_ok_and(|p| &p == name),
    }
}

/// What CloudFormation says of the stack's resource right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceState {
    pub resource_status: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
}

/// One of a stack's events (`DescribeStackEvents`), as far as verification needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackEvent {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: Option<String>,
    pub status: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    Create,
    Update,
    Delete,
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Claim::Create => "CREATE_IN_PROGRESS",
            Claim::Update => "UPDATE_IN_PROGRESS",
            Claim::Delete => "DELETE_IN_PROGRESS",
        })
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

/// Stack statuses in which CloudFormation deletes a resource's replaced physical IDs.
pub const CLEANUP_STATUSES: &[&str] = &[
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
];

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
    claim: Claim,
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
    let status_ok = state.resource_status == claim.to_string();
    let same_id =
        request_physical_id.is_some() && state.physical_id.as_deref() == request_physical_id;
    match claim {
        Claim::Create if status_ok => Verdict::Verified,
        Claim::Update if status_ok && same_id => Verdict::Verified,
        Claim::Delete if status_ok && same_id => Verdict::Verified,
        Claim::Delete if !same_id => Verdict::NeedsCleanupEvidence,
        _ => Verdict::Refused(format!(
            "{logical_id} is {}{}, not {claim}{}",
            state.resource_status,
            state
                .physical_id
                .as_deref()
                .map(|p| format!(" with PhysicalResourceId {p}"))
                .unwrap_or_default(),
            if claim == Claim::Create {
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
    /// An event shows that ID on that logical resource, with the request's resource type.
    Found,
    /// The page reaches the resource's creation without showing it: it never had that ID.
    Absent,
    /// Read the next (older) page.
    ReadOn,
}

pub fn scan_events(
    events: &[StackEvent],
    logical_id: &str,
    physical_id: &str,
    resource_type: &str,
) -> EventScan {
    for event in events.iter().filter(|e| e.logical_id == logical_id) {
        if event.physical_id.as_deref() == Some(physical_id)
            && event.resource_type.as_deref() == Some(resource_type)
        {
            return EventScan::Found;
        }
        if event.status == Claim::Create.to_string() {
            return EventScan::Absent;
        }
    }
    EventScan::ReadOn
}

pub fn verify_cleanup(logical_id: &str, stack_status: &str, id_in_events: bool) -> Verdict {
    if !CLEANUP_STATUSES.contains(&stack_status) {
        Verdict::Refused(format!(
            "{logical_id}'s current PhysicalResourceId is another one and the stack is {stack_status}, not cleaning up after a replacement"
        ))
    } else if !id_in_events {
        Verdict::Refused(format!(
            "the stack's events never show the request's PhysicalResourceId on {logical_id}, so it is not that resource's replaced ID"
        ))
    } else {
        Verdict::Verified
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> DnsName {
        DnsName::parse(s).unwrap()
    }
    const OWN: &str = "111111111111";
    const T: &str = "Custom::SubdomainDelegation";
    const A: &str = "222222222222";
    const B: &str = "333333333333";

    fn policy() -> Policy {
        Policy::parse(r#"{"allow":[{"accounts":["222222222222"],"names":["dev.example.com"]},
            {"accounts":["*"],"names":["{account}.accounts.example.com","*.{account}.accounts.example.com"]}]}"#)
        .unwrap()
    }

    #[test]
    fn stack_ids_give_account_and_region() {
        let s = StackRef::parse("arn:aws:cloudformation:eu-west-1:222222222222:stack/dev-dns/5b0c1d2e-0000-4000-a000-000000000000").unwrap();
        assert_eq!(
            (s.account.as_str(), s.region.as_str(), s.name.as_str()),
            (A, "eu-west-1", "dev-dns")
        );
        assert_eq!(
            StackRef::parse(
                "arn:aws-cn:cloudformation:cn-north-1:222222222222:stack/StackSet-x-1/u"
            )
            .unwrap()
            .partition,
            "aws-cn"
        );
        for bad in [
            "",
            "dev-dns",
            "arn:aws:cloudformation:eu-west-1:2222:stack/dev/u",
            "arn:aws:lambda:eu-west-1:222222222222:stack/dev/u",
            "arn:aws:cloudformation:eu-west-1:222222222222:stackset/dev/u",
            "arn:aws:cloudformation::222222222222:stack/dev/u",
            "arn:aws:cloudformation:eu-west-1:222222222222:stack/dev",
            "arn:aws:cloudformation:eu-west-1:222222222222:stack/de v/u",
        ] {
            assert_eq!(StackRef::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn invalid_policies_are_refused_at_start() {
        for bad in [
            "not json",
            "{}",
            r#"{"allow":[{"accounts":["1234"],"names":["a.example.com"]}]}"#,
            r#"{"allow":[{"accounts":["*"],"names":["a..example.com"]}]}"#,
            r#"{"allow":[{"accounts":["*"],"names":["{acct}.example.com"]}]}"#,
            r#"{"allow":[{"accounts":[],"names":["a.example.com"]}]}"#,
            r#"{"allow":[{"accounts":["*"],"names":["a.example.com"],"deny":true}]}"#,
        ] {
            assert!(Policy::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(policy().allow.len(), 2);
        assert_eq!(Policy::parse(r#"{"allow":[]}"#).unwrap().allow.len(), 0);
    }

    #[test]
    fn own_account_may_delegate_anything() {
        assert_eq!(
            check_name(None, OWN, OWN, &n("anything.example.com")),
            Ok(())
        );
        assert_eq!(check_child_role(OWN, OWN, None), Ok(()));
    }

    #[test]
    fn other_accounts_get_only_their_allotment() {
        let p = policy();
        assert_eq!(check_name(Some(&p), OWN, A, &n("dev.example.com")), Ok(()));
        assert_eq!(
            check_name(Some(&p), OWN, A, &n("222222222222.accounts.example.com")),
            Ok(())
        );
        assert_eq!(
            check_name(
                Some(&p),
                OWN,
                A,
                &n("api.222222222222.accounts.example.com")
            ),
            Ok(())
        );
        assert_eq!(
            check_name(
                Some(&p),
                OWN,
                A,
                &n("a.b.222222222222.accounts.example.com")
            ),
            Ok(())
        );
        // B's allotment, and names outside any pattern.
        let e = check_name(Some(&p), OWN, B, &n("dev.example.com")).unwrap_err();
        assert!(
            e.to_string()
                .contains("account 333333333333 may not delegate dev.example.com"),
            "{e}"
        );
        assert!(
            e.to_string().contains("333333333333.accounts.example.com"),
            "{e}"
        );
        assert!(check_name(Some(&p), OWN, A, &n("333333333333.accounts.example.com")).is_err());
        assert!(check_name(Some(&p), OWN, A, &n("x222222222222.accounts.example.com")).is_err());
        assert!(check_name(Some(&p), OWN, A, &n("accounts.example.com")).is_err());
        assert!(check_name(Some(&p), OWN, A, &n("example.com")).is_err());
        let e = check_name(None, OWN, A, &n("dev.example.com")).unwrap_err();
        assert!(
            e.to_string().contains("DELEGATION_POLICY is not set"),
            "{e}"
        );
    }

    #[test]
    fn the_child_zone_must_be_in_the_requesting_account() {
        let role = |account: &str| RoleSpec {
            arn: format!("arn:aws:iam::{account}:role/Reader"),
            account: account.into(),
            external_id: None,
        };
        assert_eq!(check_child_role(OWN, A, Some(&role(A))), Ok(()));
        let e = check_child_role(OWN, A, Some(&role(B)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("ChildRoleArn is in account 333333333333"), "{e}");
        assert!(
            check_child_role(OWN, A, None)
                .unwrap_err()
                .to_string()
                .contains("ChildRoleArn is not set")
        );
    }

    #[test]
    fn resource_states_verify_the_claim() {
        let state = |status: &str, id: Option<&str>| ResourceState {
            resource_status: status.into(),
            physical_id: id.map(str::to_owned),
            resource_type: T.into(),
        };
        assert_eq!(
            verify_resource(Claim::Create, T, "D", None, &state("CREATE_IN_PROGRESS", None)),
            Verdict::Verified
        );
        assert!(matches!(
            verify_resource(Claim::Create, T, "D",
                None,
                &state("CREATE_COMPLETE", Some("Z/x"))
            ),
            Verdict::Refused(_)
        ));
        assert_eq!(
            verify_resource(Claim::Update, T, "D",
                Some("Z/x"),
                &state("UPDATE_IN_PROGRESS", Some("Z/x"))
            ),
            Verdict::Verified
        );
        assert!(matches!(
            verify_resource(Claim::Update, T, "D",
                Some("Z/y"),
                &state("UPDATE_IN_PROGRESS", Some("Z/x"))
            ),
            Verdict::Refused(_)
        ));
        assert!(matches!(
            verify_resource(Claim::Update, T, "D",
                Some("Z/x"),
                &state("UPDATE_COMPLETE", Some("Z/x"))
            ),
            Verdict::Refused(_)
        ));
        assert_eq!(
            verify_resource(Claim::Delete, T, "D",
                Some("Z/x"),
                &state("DELETE_IN_PROGRESS", Some("Z/x"))
            ),
            Verdict::Verified
        );
        assert!(matches!(
            verify_resource(Claim::Delete, T, "D",
                Some("Z/x"),
                &state("CREATE_COMPLETE", Some("Z/x"))
            ),
            Verdict::Refused(_)
        ));
        assert_eq!(
            verify_resource(Claim::Delete, T, "D",
                Some("Z/old"),
                &state("UPDATE_COMPLETE", Some("Z/new"))
            ),
            Verdict::NeedsCleanupEvidence
        );
        assert_eq!(
            verify_cleanup("D", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", true),
            Verdict::Verified
        );
        assert_eq!(
            verify_cleanup("D", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", true),
            Verdict::Verified
        );
        assert!(matches!(
            verify_cleanup("D", "UPDATE_COMPLETE", true),
            Verdict::Refused(_)
        ));
        // A cleanup in progress is not enough: the ID must have been that resource's.
        assert!(matches!(
            verify_cleanup("D", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", false),
            Verdict::Refused(_)
        ));
        let Verdict::Refused(why) = verify_resource(Claim::Create, T, "Delegation",
            None,
            &state("CREATE_COMPLETE", Some("Z/x")),
        ) else {
            panic!()
        };
        assert!(
            why.contains(
                "Delegation is CREATE_COMPLETE with PhysicalResourceId Z/x, not CREATE_IN_PROGRESS"
            ),
            "{why}"
        );
    }

    #[test]
    fn only_the_resources_own_custom_type_is_verified() {
        let state = |rtype: &str| ResourceState {
            resource_status: "CREATE_IN_PROGRESS".into(),
            physical_id: None,
            resource_type: rtype.into(),
        };
        // A borrowed resource of another kind (a bucket, a wait condition) in progress.
        for (request_type, resource_type) in [
            (T, "AWS::S3::Bucket"),
            (T, "AWS::CloudFormation::WaitCondition"),
            ("AWS::S3::Bucket", "AWS::S3::Bucket"),
            ("Custom::", "Custom::"),
            (T, "Custom::Other"),
        ] {
            let Verdict::Refused(why) =
                verify_resource(Claim::Create, request_type, "D", None, &state(resource_type))
            else {
                panic!("{request_type} / {resource_type} must be refused")
            };
            assert!(why.contains("not the custom resource type"), "{why}");
        }
        for rtype in [T, GENERIC_CUSTOM_RESOURCE_TYPE, "Custom::X"] {
            assert_eq!(
                verify_resource(Claim::Create, rtype, "D", None, &state(rtype)),
                Verdict::Verified
            );
        }
    }

    #[test]
    fn a_replaced_id_must_appear_on_that_resource_in_the_events() {
        let event = |logical: &str, id: Option<&str>, status: &str| StackEvent {
            logical_id: logical.into(),
            physical_id: id.map(str::to_owned),
            resource_type: Some(T.into()),
            status: status.into(),
        };
        let page = vec![
            event("D", Some("Z/new"), "UPDATE_COMPLETE"),
            event("Other", Some("Z/old"), "UPDATE_COMPLETE"),
            event("D", Some("Z/old"), "CREATE_COMPLETE"),
            event("D", None, "CREATE_IN_PROGRESS"),
        ];
        assert_eq!(scan_events(&page, "D", "Z/old", T), EventScan::Found);
        assert_eq!(scan_events(&page, "D", "Z/victim", T), EventScan::Absent);
        // The same ID on another logical resource, or with another type, does not count.
        assert_eq!(scan_events(&page[..2], "D", "Z/old", T), EventScan::ReadOn);
        assert_eq!(
            scan_events(&page, "D", "Z/old", "Custom::Other"),
            EventScan::Absent
        );
        assert_eq!(scan_events(&[], "D", "Z/old", T), EventScan::ReadOn);
    }

    #[test]
    fn the_zones_account_needs_the_allotment_whichever_stack_asks() {
        let p = policy();
        let role = |account: &str| RoleSpec {
            arn: format!("arn:aws:iam::{account}:role/Reader"),
            account: account.into(),
            external_id: None,
        };
        // A stack of the provider's account may name another account's reader role …
        assert_eq!(check_child_role(OWN, OWN, Some(&role(B))), Ok(()));
        // … but only for names allotted to that account.
        let b_role = role(B);
        let zone = zone_account(OWN, Some(&b_role));
        assert_eq!(zone, B);
        assert!(check_name(Some(&p), OWN, zone, &n("dev.example.com")).is_err());
        assert_eq!(
            check_name(Some(&p), OWN, zone, &n("333333333333.accounts.example.com")),
            Ok(())
        );
        // Zones in the provider's own account need no allotment.
        assert_eq!(zone_account(OWN, None), OWN);
        assert_eq!(
            check_name(None, OWN, zone_account(OWN, None), &n("x.example.com")),
            Ok(())
        );
    }

    #[test]
    fn parent_roles_come_from_the_configuration() {
        let role = RoleSpec {
            arn: "arn:aws:iam::444444444444:role/subdomain-delegation-reader-x".into(),
            account: "444444444444".into(),
            external_id: None,
        };
        assert_eq!(check_parent_role(&[], None), Ok(()));
        let e = check_parent_role(&[], Some(&role)).unwrap_err().to_string();
        assert!(e.contains("DELEGATION_PARENT_ROLE_ARNS: none"), "{e}");
        assert_eq!(check_parent_role(std::slice::from_ref(&role.arn), Some(&role)), Ok(()));
        assert!(
            check_parent_role(&["arn:aws:iam::444444444444:role/Other".into()], Some(&role))
                .is_err()
        );
    }
}
