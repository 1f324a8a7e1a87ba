//! The ResponseURL policy (docs/design.md, "Events", "Configuration"): https to an S3 endpoint of
//! AWS, in a bucket whose name starts with one of the allowed prefixes (CloudFormation's response
//! buckets by default); loopback only when explicitly allowed.

use super::s3::s3_object;
use crate::text::comma_list;
use std::net::IpAddr;
use url::{Host, Url};

/// The bucket-name prefix of CloudFormation's response buckets
/// (`cloudformation-custom-resource-response-<region>`), the only buckets answered by default.
pub const CLOUDFORMATION_RESPONSE_BUCKET_PREFIX: &str = "cloudformation-custom-resource-response-";
/// The setting that replaces [`CLOUDFORMATION_RESPONSE_BUCKET_PREFIX`]: CloudFormation documents
/// no ResponseURL format, so an operator must be able to widen the allow-list without a release.
pub const BUCKET_PREFIXES_VAR: &str = "DELEGATION_RESPONSE_URL_BUCKET_PREFIXES";
/// S3's shortest and longest bucket names.
const MIN_BUCKET_NAME: usize = 3;
const MAX_BUCKET_NAME: usize = 63;
/// The only port answered: https's own.
const HTTPS_PORT: u16 = 443;

/// The S3 buckets a ResponseURL may point into, by name prefix (docs/design.md, "Events").
/// Only S3 hosts are ever answered: another AWS host (API Gateway, a load balancer, EC2) could be
/// anyone's, receive the Reasons and hold an invocation with slow 5xx answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseBuckets {
    prefixes: Vec<String>,
}

impl Default for ResponseBuckets {
    fn default() -> Self {
        ResponseBuckets {
            prefixes: vec![CLOUDFORMATION_RESPONSE_BUCKET_PREFIX.to_owned()],
        }
    }
}

impl ResponseBuckets {
    /// Comma-separated bucket-name prefixes, which replace CloudFormation's; empty or unset:
    /// CloudFormation's. `Err` names the first prefix no S3 bucket name can start with.
    pub fn parse(list: Option<&str>) -> Result<Self, String> {
        let prefixes = comma_list(list);
        if let Some(bad) = prefixes.iter().find(|p| !is_bucket_prefix(p)) {
            return Err(format!(
                "{bad:?} is not the start of an S3 bucket name (at most {MAX_BUCKET_NAME} lowercase letters, digits, dots and hyphens, beginning with a letter or digit)"
            ));
        }
        if prefixes.is_empty() {
            return Ok(Self::default());
        }
        Ok(ResponseBuckets { prefixes })
    }

    pub fn prefixes(&self) -> &[String] {
        &self.prefixes
    }

    /// The URL to PUT the answer to, or why it may not be used: https on port 443 to an S3
    /// endpoint of AWS (virtual-hosted or path style, any region, dual-stack, FIPS) in a bucket
    /// whose name starts with one of the prefixes; `http` or `https` on loopback only when
    /// `allow_loopback`.
    pub fn check(&self, raw: &str, allow_loopback: bool) -> Result<Url, String> {
        let url = Url::parse(raw).map_err(|e| format!("the ResponseURL is not a URL ({e})"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("the ResponseURL carries user information".into());
        }
        let loopback = match url.host() {
            Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        };
        if allow_loopback && loopback && matches!(url.scheme(), "http" | "https") {
            return Ok(url);
        }
        if url.scheme() != "https" {
            return Err(format!(
                "the ResponseURL's scheme is {:?}; only https is answered",
                url.scheme()
            ));
        }
        if url.port().is_some_and(|p| p != HTTPS_PORT) {
            return Err(format!(
                "the ResponseURL names a port other than {HTTPS_PORT}"
            ));
        }
        let host = match url.host() {
            Some(Host::Domain(d)) => d.to_ascii_lowercase(),
            _ => String::new(),
        };
        let (bucket, key) = s3_object(&host, &url).ok_or_else(|| {
            format!(
                "the ResponseURL's host {:?} is not an S3 endpoint of AWS (only CloudFormation's S3 response buckets are answered, never API Gateway, load balancer, EC2 or other hosts)",
                url.host_str().unwrap_or("")
            )
        })?;
        if !is_bucket_name(bucket) || !self.prefixes.iter().any(|p| bucket.starts_with(p.as_str()))
        {
            return Err(format!(
                "the ResponseURL's S3 bucket {bucket:?} is not one of CloudFormation's (names starting with {}); an operator can allow other bucket-name prefixes with {BUCKET_PREFIXES_VAR}",
                self.prefixes.join(", ")
            ));
        }
        if key.is_empty() {
            return Err(format!(
                "the ResponseURL names no object in the bucket {bucket:?}"
            ));
        }
        Ok(url)
    }
}

/// docs/design.md, "Events": only CloudFormation's S3 response buckets, or loopback when
/// explicitly allowed. [`ResponseBuckets::check`] with CloudFormation's bucket-name prefix.
pub fn check_response_url(raw: &str, allow_loopback: bool) -> Result<Url, String> {
    ResponseBuckets::default().check(raw, allow_loopback)
}

/// S3's bucket naming rules: 3 to 63 lowercase letters, digits, dots and hyphens, beginning and
/// ending with a letter or digit.
fn is_bucket_name(name: &str) -> bool {
    (MIN_BUCKET_NAME..=MAX_BUCKET_NAME).contains(&name.len())
        && is_bucket_prefix(name)
        && name
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// What a bucket name can start with: 1 to 63 of its characters, the first a letter or digit.
fn is_bucket_prefix(prefix: &str) -> bool {
    (1..=MAX_BUCKET_NAME).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && prefix
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::responder::Responder;

    /// ResponseURLs never answered, and what the refusal says.
    const REFUSED: &[(&str, &str)] = &[
        // Other AWS hosts anyone can own.
        (
            "https://abc.execute-api.us-east-1.amazonaws.com/prod/x",
            "is not an S3 endpoint",
        ),
        (
            "https://my-lb-1.us-east-1.elb.amazonaws.com/x",
            "is not an S3 endpoint",
        ),
        (
            "https://ec2-1-2-3-4.compute-1.amazonaws.com/x",
            "is not an S3 endpoint",
        ),
        (
            "https://abc.lambda-url.us-east-1.on.aws/x",
            "is not an S3 endpoint",
        ),
        // S3, but not CloudFormation's buckets.
        (
            "https://attacker-bucket.s3.amazonaws.com/x",
            "is not one of CloudFormation's",
        ),
        (
            "https://attacker-bucket.s3.us-east-1.amazonaws.com/x",
            "is not one of CloudFormation's",
        ),
        (
            "https://s3.us-east-1.amazonaws.com/attacker-bucket/x",
            "is not one of CloudFormation's",
        ),
        (
            "https://s3.amazonaws.com/attacker/cloudformation-custom-resource-response-useast1/x",
            "is not one of CloudFormation's",
        ),
        (
            "https://cloudformation-custom-resource-response.s3.amazonaws.com/x",
            "is not one of CloudFormation's",
        ),
        (
            "https://s3.amazonaws.com/Cloudformation-custom-resource-response-useast1/x",
            "is not one of CloudFormation's",
        ),
        (
            "https://s3.amazonaws.com/%63loudformation-custom-resource-response-useast1/x",
            "is not one of CloudFormation's",
        ),
        // Lookalikes, and partitions mixed up.
        (
            "https://cloudformation-custom-resource-response-x.s3.amazonaws.com.evil.example/x",
            "is not an S3 endpoint",
        ),
        (
            "https://cloudformation-custom-resource-response-x.s3.evil.amazonaws.com/x",
            "is not an S3 endpoint",
        ),
        (
            "https://cloudformation-custom-resource-response-x.s3.us-east-1.evil.amazonaws.com/x",
            "is not an S3 endpoint",
        ),
        (
            "https://cloudformation-custom-resource-response-x.s3-evil.amazonaws.com/x",
            "is not an S3 endpoint",
        ),
        (
            "https://cloudformation-custom-resource-response-x.s3.amazonaws.com./x",
            "is not an S3 endpoint",
        ),
        (
            "https://cloudformation-custom-resource-response-x.evil.example/x",
            "is not an S3 endpoint",
        ),
        (
            "https://cloudformation-custom-resource-response-x.s3.amazonaws.com.cn/x",
            "is not an S3 endpoint",
        ),
        (
            "https://cloudformation-custom-resource-response-x.s3.cn-north-1.amazonaws.com/x",
            "is not an S3 endpoint",
        ),
        (
            "https://cloudformation-custom-resource-response-x.s3.us-east-1.amazonaws.com.cn/x",
            "is not an S3 endpoint",
        ),
        (
            "https://s3.amazonaws.com.cn/cloudformation-custom-resource-response-x/x",
            "is not an S3 endpoint",
        ),
        (
            "https://cloudformation-custom-resource-response-x.s3.dualstack.amazonaws.com/x",
            "is not an S3 endpoint",
        ),
        (
            "https://cloudformation-custom-resource-response-x.s3-accelerate.amazonaws.com/x",
            "is not an S3 endpoint",
        ),
        // No object: a PUT there would be CreateBucket.
        (
            "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/",
            "names no object",
        ),
        (
            "https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1",
            "names no object",
        ),
        (
            "https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1/",
            "names no object",
        ),
        // The rules that were there before.
        (
            "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
            "only https",
        ),
        (
            "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:8443/a",
            "port other than 443",
        ),
        (
            "https://user:pw@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a",
            "user information",
        ),
        (
            "https://amazonaws.com.evil.example/a",
            "is not an S3 endpoint",
        ),
        ("https://evilamazonaws.com/a", "is not an S3 endpoint"),
        ("https://169.254.169.254/latest", "is not an S3 endpoint"),
        ("file:///etc/passwd", "only https"),
        ("not a url", "is not a URL"),
        ("http://127.0.0.1:9/a", "only https"),
    ];

    #[test]
    fn other_aws_hosts_and_other_buckets_get_nothing() {
        for (bad, says) in REFUSED {
            let e = check_response_url(bad, false).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
        let e =
            check_response_url("https://attacker-bucket.s3.amazonaws.com/x", false).unwrap_err();
        assert!(e.contains(BUCKET_PREFIXES_VAR), "says how to widen it: {e}");
    }

    #[test]
    fn an_operator_can_name_other_bucket_prefixes() {
        let widened = ResponseBuckets::parse(Some(
            " cloudformation-custom-resource-response-, my-responses. ,",
        ))
        .unwrap();
        assert_eq!(
            widened.prefixes(),
            ["cloudformation-custom-resource-response-", "my-responses."]
        );
        for ok in [
            "https://my-responses.eu.s3.eu-west-1.amazonaws.com/k",
            "https://s3.eu-west-1.amazonaws.com/my-responses.eu/k",
            "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/k",
        ] {
            assert!(widened.check(ok, false).is_ok(), "{ok}");
            assert!(
                Responder::default()
                    .with_buckets(widened.clone())
                    .check_url(ok, false)
                    .is_ok()
            );
        }
        let only_mine = ResponseBuckets::parse(Some("my-responses.")).unwrap();
        let cfn = "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/k";
        let e = only_mine.check(cfn, false).unwrap_err();
        assert!(e.contains("names starting with my-responses."), "{e}");
        assert!(Responder::default().check_url(cfn, false).is_ok());
        // Still S3 only, and the loopback switch works as before.
        assert!(
            widened
                .check(
                    "https://my-responses.x.execute-api.us-east-1.amazonaws.com/k",
                    false
                )
                .is_err()
        );
        assert!(only_mine.check("http://127.0.0.1:1/r", true).is_ok());
        assert!(only_mine.check("http://127.0.0.1:1/r", false).is_err());
        for default in [None, Some(""), Some(" , ")] {
            assert_eq!(
                ResponseBuckets::parse(default),
                Ok(ResponseBuckets::default())
            );
        }
        for bad in [
            "Upper-",
            "-dash-first",
            "under_score",
            "a/b",
            "a*",
            &"x".repeat(64),
        ] {
            assert!(ResponseBuckets::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn loopback_only_when_allowed() {
        for url in [
            "http://127.0.0.1:8080/r?x=y",
            "http://localhost:1/r",
            "http://[::1]:2/r",
        ] {
            assert!(check_response_url(url, true).is_ok(), "{url}");
            assert!(check_response_url(url, false).is_err(), "{url}");
        }
        assert!(check_response_url("http://10.0.0.1/r", true).is_err());
        assert!(check_response_url("ftp://127.0.0.1/r", true).is_err());
    }
}
