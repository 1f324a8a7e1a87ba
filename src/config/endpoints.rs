//! The verification switch's rule (docs/design.md, "Configuration"):
//! `DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION` is honoured only when every endpoint the function
//! uses is a loopback address, checked on the SDK's endpoint variables and on the endpoints the
//! loaded SDK configuration really resolves.

use super::{Config, ConfigError};
use aws_config::{ConfigLoader, SdkConfig};
use std::net::IpAddr;

/// The services the function calls, as the SDK names their endpoint variables
/// (`AWS_ENDPOINT_URL_<SERVICE>`).
const ENDPOINT_SERVICES: &[&str] = &["ROUTE_53", "STS", "CLOUDFORMATION"];

impl Config {
    /// Loads the SDK configuration the clients are built from. With the verification switch on,
    /// refuses it unless every service's endpoint, as the SDK itself resolves it from every source
    /// (environment, shared config file, profile, `ignore_configured_endpoint_urls`), is a
    /// loopback address: the environment check in [`Config::from_lookup`] alone cannot see a
    /// config file.
    pub async fn load_sdk_config(&self, loader: ConfigLoader) -> Result<SdkConfig, ConfigError> {
        let sdk = loader.load().await;
        if self.skip_request_verification {
            for (service, endpoint) in crate::aws::resolved_endpoints(&sdk).await {
                let problem = match endpoint {
                    Ok(url) if is_loopback_url(&url) => continue,
                    Ok(url) => format!(
                        "the SDK configuration sends {service} calls to {}, which is not a loopback address (the SDK's endpoint settings from the environment and the shared config file, ignore_configured_endpoint_urls included, decide)",
                        origin(&url)
                    ),
                    Err(why) => format!(
                        "the endpoint the SDK configuration uses for {service} cannot be determined ({why})"
                    ),
                };
                return Err(ConfigError::UnsafeSkip(problem));
            }
        }
        Ok(sdk)
    }
}

/// Every endpoint the function uses must be set (the SDK's endpoint variables) to an address on
/// this machine: the verification switch must never reach real AWS.
pub(crate) fn every_endpoint_is_loopback(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    if var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Err("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true sends every call to AWS".into());
    }
    for service in ENDPOINT_SERVICES {
        let specific = format!("AWS_ENDPOINT_URL_{service}");
        let Some((name, endpoint)) = var(&specific)
            .map(|e| (specific.clone(), e))
            .or_else(|| var("AWS_ENDPOINT_URL").map(|e| ("AWS_ENDPOINT_URL".to_owned(), e)))
        else {
            return Err(format!(
                "neither {specific} nor AWS_ENDPOINT_URL is set, so {service} calls go to AWS"
            ));
        };
        if !is_loopback_url(&endpoint) {
            return Err(format!("{name}={endpoint:?} is not a loopback address"));
        }
    }
    Ok(())
}

/// An endpoint shown without its path: the scheme, host and port.
fn origin(endpoint: &str) -> String {
    url::Url::parse(endpoint)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| endpoint.to_owned())
}

pub(crate) fn is_loopback_url(endpoint: &str) -> bool {
    let Ok(url) = url::Url::parse(endpoint) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::lookup;

    #[test]
    fn the_verification_switch_works_only_against_loopback_endpoints() {
        const SKIP: (&str, &str) = ("DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION", "true");
        for ok in [
            vec![SKIP, ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")],
            vec![SKIP, ("AWS_ENDPOINT_URL", "http://localhost:5000")],
            vec![
                SKIP,
                ("AWS_ENDPOINT_URL", "http://[::1]:1"),
                ("AWS_ENDPOINT_URL_STS", "http://127.0.0.2:9"),
            ],
        ] {
            let config = Config::from_lookup(lookup(&ok)).unwrap();
            assert!(config.skip_request_verification, "{ok:?}");
        }
        for (bad, says) in [
            (
                vec![SKIP],
                "neither AWS_ENDPOINT_URL_ROUTE_53 nor AWS_ENDPOINT_URL",
            ),
            (
                vec![SKIP, ("AWS_ENDPOINT_URL", "https://route53.amazonaws.com")],
                "is not a loopback address",
            ),
            (
                vec![
                    SKIP,
                    ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
                    ("AWS_ENDPOINT_URL_CLOUDFORMATION", "http://10.0.0.1:5000"),
                ],
                "AWS_ENDPOINT_URL_CLOUDFORMATION",
            ),
            (
                vec![
                    SKIP,
                    ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
                    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
                ],
                "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            ),
            (
                vec![
                    SKIP,
                    ("AWS_ENDPOINT_URL", "http://127.0.0.1.evil.example:1"),
                ],
                "is not a loopback address",
            ),
        ] {
            let e = Config::from_lookup(lookup(&bad)).unwrap_err().to_string();
            assert!(e.contains(says), "{bad:?}: {e}");
            assert!(e.contains("honoured only against a local emulator"), "{e}");
        }
        // Without the switch, endpoints are the SDK's business.
        assert!(Config::from_lookup(lookup(&[])).is_ok());
    }

    /// `load_sdk_config` over a loader that sees only this shared config file (no environment,
    /// no `~/.aws`), with the verification switch on.
    #[allow(deprecated)] // aws-config names the profile file types only through deprecated aliases
    async fn load_with_switch(
        config_file: &str,
        tune: impl FnOnce(ConfigLoader) -> ConfigLoader,
    ) -> Result<SdkConfig, ConfigError> {
        use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .empty_test_environment()
            .profile_files(
                ProfileFiles::builder()
                    .with_contents(ProfileFileKind::Config, config_file)
                    .build(),
            )
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "test", "test", None, None, "test",
            ));
        let config = Config {
            skip_request_verification: true,
            ..Config::default()
        };
        config.load_sdk_config(tune(loader)).await
    }

    #[tokio::test]
    async fn the_verification_switch_is_judged_on_the_endpoints_the_sdk_really_uses() {
        const LOCAL: &str = "[default]\nendpoint_url = http://127.0.0.1:5000\n";
        let sdk = load_with_switch(LOCAL, |l| l).await.unwrap();
        assert_eq!(sdk.endpoint_url(), Some("http://127.0.0.1:5000"));
        assert!(
            load_with_switch("", |l| l.endpoint_url("http://[::1]:1"))
                .await
                .is_ok()
        );
        // A programmatic endpoint wins over the file's ignore flag, as the SDK decides.
        let ignore = "[default]\nignore_configured_endpoint_urls = true\n";
        assert!(
            load_with_switch(ignore, |l| l.endpoint_url("http://localhost:1"))
                .await
                .is_ok()
        );

        let services = "[default]\nendpoint_url = http://127.0.0.1:5000\nservices = real\n\
            [services real]\nsts =\n  endpoint_url = https://sts.amazonaws.com\n";
        for (file, tune, says) in [
            // The file tells the SDK to ignore every configured endpoint (the environment's too).
            (
                "[default]\nendpoint_url = http://127.0.0.1:5000\nignore_configured_endpoint_urls = true\n",
                None,
                "sends Route 53 calls to https://route53.amazonaws.com",
            ),
            // A services section sends one service elsewhere.
            (
                services,
                None,
                "sends STS calls to https://sts.amazonaws.com",
            ),
            (
                "",
                None,
                "sends Route 53 calls to https://route53.amazonaws.com",
            ),
            (
                "[default]\nendpoint_url = http://10.0.0.1:5000\n",
                None,
                "http://10.0.0.1:5000, which is not a loopback address",
            ),
            // No endpoint the SDK would resolve: FIPS with a custom endpoint.
            (LOCAL, Some(true), "cannot be determined"),
        ] {
            let e = load_with_switch(file, |l| match tune {
                Some(fips) => l.use_fips(fips),
                None => l,
            })
            .await
            .unwrap_err()
            .to_string();
            assert!(e.contains(says), "{file:?}: {e}");
            assert!(e.contains("honoured only against a local emulator"), "{e}");
        }

        // Without the switch, endpoints are the SDK's business.
        let sdk = Config::default()
            .load_sdk_config(
                aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .empty_test_environment()
                    .region(aws_config::Region::new("us-east-1"))
                    .no_credentials(),
            )
            .await;
        assert!(sdk.is_ok());
    }
}
