//! Settings read once from the environment at start.

use crate::domain::authority::{Policy, PolicyError};

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
}

impl Config {
    /// Fails on an invalid `DELEGATION_POLICY`, so the function stops at start, not at the first
    /// request.
    pub fn from_env() -> Result<Self, PolicyError> {
        let flag = |name: &str| {
            std::env::var(name)
                .map(|v| v.eq_ignore_ascii_case("true"))
                .unwrap_or(false)
        };
        let policy = match std::env::var("DELEGATION_POLICY") {
            Ok(json) if !json.trim().is_empty() => Some(Policy::parse(&json)?),
            _ => None,
        };
        Ok(Config {
            policy,
            skip_request_verification: flag("DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION"),
            allow_loopback_response_url: flag("DELEGATION_ALLOW_LOOPBACK_RESPONSE_URL"),
            region: std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|_| "us-east-1".into()),
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
}
