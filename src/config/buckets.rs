//! `DELEGATION_RESPONSE_URL_BUCKET_PREFIXES` (docs/design.md, "Configuration", "Events"): the S3
//! buckets a ResponseURL may point into, read at start with the other settings.

use super::ConfigError;
use crate::cfn::responder::{BUCKET_PREFIXES_VAR, ResponseBuckets};

/// `DELEGATION_RESPONSE_URL_BUCKET_PREFIXES`: the S3 buckets a ResponseURL may point into
/// (default: CloudFormation's). Kept beside [`Config`](super::Config) rather than in it: the
/// responder holds it.
pub fn response_buckets(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<ResponseBuckets, ConfigError> {
    ResponseBuckets::parse(var(BUCKET_PREFIXES_VAR).as_deref())
        .map_err(ConfigError::ResponseBuckets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::config::tests::lookup;

    #[test]
    fn response_bucket_prefixes_are_read_and_checked() {
        let buckets = |v: &str| response_buckets(&lookup(&[(BUCKET_PREFIXES_VAR, v)]));
        assert_eq!(buckets(""), Ok(ResponseBuckets::default()));
        assert_eq!(
            buckets("my-answers-,cloudformation-custom-resource-response-")
                .unwrap()
                .prefixes(),
            ["my-answers-", "cloudformation-custom-resource-response-"]
        );
        let e = Config::from_lookup(lookup(&[(BUCKET_PREFIXES_VAR, "My_Bucket")])).unwrap_err();
        assert!(
            matches!(&e, ConfigError::ResponseBuckets(why) if why.contains("\"My_Bucket\"")),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with("DELEGATION_RESPONSE_URL_BUCKET_PREFIXES is invalid")
        );
    }
}
