//! Roles (docs/design.md, "Properties", "Who may ask"): a role to assume with its ExternalId, and
//! the fields and account of an IAM role ARN.

use crate::domain::model::is_account_id;

/// A role to assume, with the ExternalId its trust policy may demand.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RoleSpec {
    pub arn: String,
    pub account: String,
    pub external_id: Option<String>,
}

/// The six `:`-separated fields of an ARN (`arn:partition:service:region:account:resource`; the
/// resource may itself hold `:`), unchecked.
pub(crate) fn arn_fields(arn: &str) -> Option<[&str; 6]> {
    let mut parts = arn.splitn(6, ':');
    Some([
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    ])
}

/// The account ID of a well-formed role ARN (`arn:<partition>:iam::<12 digits>:role/<path><name>`).
pub fn role_arn_account(arn: &str) -> Option<String> {
    let [arn_word, partition, service, region, account, resource] = arn_fields(arn)?;
    let name = resource.strip_prefix("role/")?;
    let ok = arn_word == "arn"
        && matches!(
            partition,
            "aws"
                | "aws-cn"
                | "aws-us-gov"
                | "aws-iso"
                | "aws-iso-b"
                | "aws-iso-e"
                | "aws-iso-f"
                | "aws-eusc"
        )
        && service == "iam"
        && region.is_empty()
        && is_account_id(account)
        && !name.is_empty()
        && !name.ends_with('/')
        && arn.len() <= 2048
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c));
    ok.then(|| account.to_string())
}
