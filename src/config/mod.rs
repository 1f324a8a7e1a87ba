//! Settings read once from the environment at start (docs/design.md, "Configuration").
//!
//! Layout: here the provider's settings and how each is read from the environment; `endpoints`
//! holds the verification switch's rule (every endpoint the function uses on loopback);
//! `buckets` reads the S3 buckets a ResponseURL may point into, which the responder holds.

mod buckets;
mod endpoints;
mod metrics;

pub use buckets::response_buckets;
pub(crate) use endpoints::{every_endpoint_is_loopback, is_loopback_url};
pub use metrics::{DEFAULT_METRICS_NAMESPACE, MetricsTarget, metrics_target};

use crate::cfn::responder::BUCKET_PREFIXES_VAR;
use crate::domain::authority::{
    DEFAULT_RESOURCE_TYPE, Policy, PolicyError, is_custom_resource_type,
};
use crate::domain::discovery::ParentScope;
use crate::domain::properties::role_arn_account;
use crate::ports::ASSUME_ROLE_PATIENCE;
use crate::text::comma_list;
use std::time::Duration;

/// Route 53's documented default request rate per account since 30 July 2026 (account bucket:
/// burst 50, refill 10/s; each action's own bucket the same).
pub const DEFAULT_ROUTE53_REQUESTS_PER_SECOND: u32 = 10;
/// Route 53's most Change elements in one ChangeResourceRecordSets call, the default budget.
pub const DEFAULT_MAX_CHANGES_PER_BATCH: usize = 100;
/// The largest rate accepted: far above any quota Route 53 grants, so a typo is caught.
const MAX_ROUTE53_REQUESTS_PER_SECOND: u32 = 10_000;

/// Why the function refuses to start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(
        "DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION=true is honoured only against a local emulator, but {0}; remove the variable (the shipped templates never set it)"
    )]
    UnsafeSkip(String),
    #[error(
        "DELEGATION_RESOURCE_TYPES must list custom resource types (Custom::Name or AWS::CloudFormation::CustomResource), not {0:?}"
    )]
    ResourceTypes(String),
    #[error("DELEGATION_PARENT_ROLE_ARNS is invalid: {0}")]
    ParentRoles(String),
    #[error(
        "DELEGATION_ROUTE53_REQUESTS_PER_SECOND must be a whole number from 1 to {MAX_ROUTE53_REQUESTS_PER_SECOND}, not {0:?}"
    )]
    Rate(String),
    #[error(
        "DELEGATION_MAX_CHANGES_PER_BATCH must be a whole number from 1 to {DEFAULT_MAX_CHANGES_PER_BATCH} (Route 53's limit per change batch), not {0:?}"
    )]
    ChangeBudget(String),
    #[error("{BUCKET_PREFIXES_VAR} is invalid: {0}")]
    ResponseBuckets(String),
    #[error("DELEGATION_METRICS_NAMESPACE is invalid: {0}")]
    Metrics(String),
    #[error("DELEGATION_PARENT_ZONE_IDS is invalid: {0} (template parameter ParentHostedZoneIds)")]
    ParentZones(String),
}

/// Settings of the running provider.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// `DELEGATION_POLICY`: names other accounts may delegate. `None`: only the provider's own.
    pub policy: Option<Policy>,
    /// `DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION=true`: do not ask CloudFormation whether the
    /// request is real. Only for emulators, which cannot hold a resource `*_IN_PROGRESS`.
    pub skip_request_verification: bool,
    /// `DELEGATION_ALLOW_LOOPBACK_RESPONSE_URL=true`: also answer `http` ResponseURLs on loopback
    /// (local runs and tests only; the shipped templates never set it).
    pub allow_loopback_response_url: bool,
    /// The region the provider runs in (`AWS_REGION`), which decides the partition.
    pub region: String,
    /// `DELEGATION_PARENT_ROLE_ARNS`: the only roles a request's `ParentRoleArn` may name.
    pub parent_roles: Vec<String>,
    /// `DELEGATION_ROUTE53_REQUESTS_PER_SECOND`: the parent account's Route 53 request rate, which
    /// sets the spacing of calls after a throttle (`crate::aws::pace`).
    pub route53_requests_per_second: u32,
    /// `DELEGATION_RESOURCE_TYPES`: the custom resource types this provider serves; a request
    /// naming another type is refused.
    pub resource_types: Vec<String>,
    /// `DELEGATION_MAX_CHANGES_PER_BATCH`: the change-throughput budget of one change batch in the
    /// batched mode (at most Route 53's 100 Change elements).
    pub max_changes_per_batch: usize,
    /// How long a refused AssumeRole is tried again for one request: `ports::ASSUME_ROLE_PATIENCE`
    /// (not an environment setting; tests shorten it).
    pub assume_role_patience: Duration,
    /// `DELEGATION_METRICS_NAMESPACE` inside Lambda: where the metrics go; `None`: none printed.
    pub metrics: Option<MetricsTarget>,
    /// `DELEGATION_PARENT_ZONE_IDS`: the zones parent discovery may choose.
    pub parent_scope: ParentScope,
}

impl Config {
    /// Fails on a setting that would make the function unsafe or wrong (an invalid
    /// `DELEGATION_POLICY`, the verification switch outside an emulator …), so the function stops
    /// at start, not at the first request.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let flag = |name: &str| var(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let policy = match var("DELEGATION_POLICY") {
            Some(json) if !json.trim().is_empty() => Some(Policy::parse(&json)?),
            _ => None,
        };
        let skip_request_verification = flag("DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION");
        if skip_request_verification {
            every_endpoint_is_loopback(&var).map_err(ConfigError::UnsafeSkip)?;
        }
        let route53_requests_per_second = whole_number(
            var("DELEGATION_ROUTE53_REQUESTS_PER_SECOND"),
            1..=MAX_ROUTE53_REQUESTS_PER_SECOND,
            DEFAULT_ROUTE53_REQUESTS_PER_SECOND,
        )
        .map_err(ConfigError::Rate)?;
        let max_changes_per_batch = whole_number(
            var("DELEGATION_MAX_CHANGES_PER_BATCH"),
            1..=DEFAULT_MAX_CHANGES_PER_BATCH,
            DEFAULT_MAX_CHANGES_PER_BATCH,
        )
        .map_err(ConfigError::ChangeBudget)?;
        // Read here too, so that every entry point refuses an invalid value at start.
        response_buckets(&var)?;
        Ok(Config {
            resource_types: resource_types(var("DELEGATION_RESOURCE_TYPES").as_deref())?,
            max_changes_per_batch,
            assume_role_patience: ASSUME_ROLE_PATIENCE,
            policy,
            skip_request_verification,
            allow_loopback_response_url: flag("DELEGATION_ALLOW_LOOPBACK_RESPONSE_URL"),
            region: var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".into()),
            parent_roles: parent_roles(var("DELEGATION_PARENT_ROLE_ARNS").as_deref())?,
            route53_requests_per_second,
            metrics: metrics_target(&var).map_err(ConfigError::Metrics)?,
            parent_scope: ParentScope::parse(var("DELEGATION_PARENT_ZONE_IDS").as_deref())
                .map_err(ConfigError::ParentZones)?,
        })
    }

    /// `StsRegion` when given, else the partition's home region, whose STS endpoint is always
    /// enabled (an opt-in region's may not be).
    pub fn sts_region(&self, requested: Option<&str>) -> String {
        requested
            .map(str::to_owned)
            .unwrap_or_else(|| partition_home_region(&self.region).to_owned())
    }
}

/// A whole number in `range`, or `default` when unset or empty; `Err` with the text otherwise.
fn whole_number<N: std::str::FromStr + PartialOrd>(
    text: Option<String>,
    range: std::ops::RangeInclusive<N>,
    default: N,
) -> Result<N, String> {
    match text {
        Some(text) if !text.trim().is_empty() => text
            .trim()
            .parse::<N>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or(text),
        _ => Ok(default),
    }
}

/// Comma-separated custom resource types; empty or unset: `Custom::SubdomainDelegation`.
fn resource_types(list: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let types = comma_list(list);
    if let Some(bad) = types.iter().find(|t| !is_custom_resource_type(t)) {
        return Err(ConfigError::ResourceTypes(bad.clone()));
    }
    if types.is_empty() {
        return Ok(vec![DEFAULT_RESOURCE_TYPE.to_owned()]);
    }
    Ok(types)
}

/// Comma-separated IAM role ARNs; empty or unset: none.
fn parent_roles(list: Option<&str>) -> Result<Vec<String>, ConfigError> {
    comma_list(list)
        .into_iter()
        .map(|arn| match role_arn_account(&arn) {
            Some(_) => Ok(arn),
            None => Err(ConfigError::ParentRoles(format!(
                "{arn:?} is not an IAM role ARN such as arn:aws:iam::111111111111:role/Name"
            ))),
        })
        .collect()
}

pub fn partition_home_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "cn-northwest-1"
    } else if region.starts_with("us-gov-") {
        "us-gov-west-1"
    } else if region.starts_with("us-isob-") {
        "us-isob-east-1"
    } else if region.starts_with("us-iso-") {
        "us-iso-east-1"
    } else if region.starts_with("eu-isoe-") {
        "eu-isoe-west-1"
    } else if region.starts_with("eusc-") {
        "eusc-de-east-1"
    } else {
        "us-east-1"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sts_goes_to_the_partition_home_unless_asked() {
        let config = |region: &str| Config {
            region: region.into(),
            ..Config::default()
        };
        assert_eq!(config("ap-east-1").sts_region(None), "us-east-1");
        assert_eq!(config("cn-north-1").sts_region(None), "cn-northwest-1");
        assert_eq!(config("us-gov-east-1").sts_region(None), "us-gov-west-1");
        assert_eq!(config("us-iso-west-1").sts_region(None), "us-iso-east-1");
        assert_eq!(config("us-isob-east-1").sts_region(None), "us-isob-east-1");
        assert_eq!(
            config("eu-west-1").sts_region(Some("eu-west-1")),
            "eu-west-1"
        );
    }

    pub(super) fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn parent_roles_and_pacing_are_read_and_checked() {
        let config = Config::from_lookup(lookup(&[(
            "DELEGATION_PARENT_ROLE_ARNS",
            " arn:aws:iam::111111111111:role/a , arn:aws:iam::222222222222:role/b,",
        )]))
        .unwrap();
        assert_eq!(
            config.parent_roles,
            vec![
                "arn:aws:iam::111111111111:role/a",
                "arn:aws:iam::222222222222:role/b"
            ]
        );
        assert_eq!(
            config.route53_requests_per_second,
            DEFAULT_ROUTE53_REQUESTS_PER_SECOND
        );
        assert_eq!(config.resource_types, ["Custom::SubdomainDelegation"]);
        let types = |v: &str| {
            Config::from_lookup(lookup(&[("DELEGATION_RESOURCE_TYPES", v)]))
                .map(|c| c.resource_types)
        };
        assert_eq!(
            types("Custom::A, AWS::CloudFormation::CustomResource"),
            Ok(vec![
                "Custom::A".to_owned(),
                "AWS::CloudFormation::CustomResource".to_owned()
            ])
        );
        assert!(types("AWS::S3::Bucket").is_err());
        assert!(
            Config::from_lookup(lookup(&[("DELEGATION_PARENT_ROLE_ARNS", "not-an-arn")])).is_err()
        );
        let rate = |v: &str| {
            Config::from_lookup(lookup(&[("DELEGATION_ROUTE53_REQUESTS_PER_SECOND", v)]))
                .map(|c| c.route53_requests_per_second)
        };
        assert_eq!(rate("25"), Ok(25));
        for bad in ["0", "-1", "2.5", "ten", "10001"] {
            assert!(rate(bad).is_err(), "{bad}");
        }
    }
}
