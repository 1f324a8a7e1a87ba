//! Recognising a ResponseURL on an S3 endpoint of AWS (docs/design.md, "Events"): virtual-hosted
//! or path style, any region, dual-stack, FIPS; China regions only under `.amazonaws.com.cn`.

use url::Url;

/// AWS's domains outside China and in China; a China region's S3 lives only under the second.
const AWS_DOMAIN: &str = ".amazonaws.com";
const AWS_CHINA_DOMAIN: &str = ".amazonaws.com.cn";

/// The bucket and the object key (without its leading `/`) of a URL on an S3 endpoint of AWS,
/// virtual-hosted (`<bucket>.<endpoint>`) or path style (`<endpoint>/<bucket>/<key>`); `None`
/// for any other host.
pub(super) fn s3_object<'u>(host: &'u str, url: &'u Url) -> Option<(&'u str, &'u str)> {
    let (rest, china) = if let Some(rest) = host.strip_suffix(AWS_CHINA_DOMAIN) {
        (rest, true)
    } else {
        (host.strip_suffix(AWS_DOMAIN)?, false)
    };
    let labels: Vec<&str> = rest.split('.').collect();
    let path = url.path().strip_prefix('/').unwrap_or(url.path());
    if s3_endpoint(&labels, china) {
        // Path style: the bucket is the path's first segment.
        return Some(path.split_once('/').unwrap_or((path, "")));
    }
    // Virtual-hosted: the endpoint is the last one to three labels, the bucket all before them
    // (a bucket name may hold dots). A region label never starts with `s3`, so at most one fits.
    (1..=3)
        .filter(|&n| n < labels.len())
        .find(|&n| s3_endpoint(&labels[labels.len() - n..], china))
        .map(|n| {
            let bucket_len = labels[..labels.len() - n]
                .iter()
                .map(|l| l.len() + 1)
                .sum::<usize>()
                - 1;
            (&rest[..bucket_len], path)
        })
}

/// S3's endpoint names below the partition's domain: `s3` and `s3-external-1` (the global
/// endpoint, not in China), `s3-<region>`, `s3.<region>`, `s3.dualstack.<region>`, and the FIPS
/// `s3-fips.<region>`, `s3-fips.dualstack.<region>`. A China region only under `.amazonaws.com.cn`,
/// every other region only under `.amazonaws.com`.
fn s3_endpoint(labels: &[&str], china: bool) -> bool {
    let region = match labels {
        ["s3" | "s3-external-1"] => None,
        [dashed] => Some(dashed.strip_prefix("s3-").filter(|r| is_region(r))),
        ["s3" | "s3-fips", region] | ["s3" | "s3-fips", "dualstack", region] => {
            Some(Some(*region).filter(|r| is_region(r)))
        }
        _ => return false,
    };
    match region {
        None => !china,
        Some(None) => false,
        Some(Some(region)) => region.starts_with("cn-") == china,
    }
}

/// Looks like an AWS region: lowercase words and a number, at least three parts
/// (`us-east-1`, `us-gov-west-1`, `cn-northwest-1`), so `external-1` or `evil` is none.
fn is_region(label: &str) -> bool {
    let parts: Vec<&str> = label.split('-').collect();
    let Some((number, words)) = parts.split_last() else {
        return false;
    };
    words.len() >= 2
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && (1..=2).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::responder::check_response_url;

    /// A pre-signed query like CloudFormation's.
    const SIGNED: &str = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=c&X-Amz-Signature=s";

    #[test]
    fn cloudformations_response_buckets_are_answered_in_every_partition_and_style() {
        for ok in [
            // Virtual-hosted: the global endpoint, regional (dot and legacy dash), us-east-1's
            // external endpoint, dual-stack, FIPS; China; GovCloud.
            "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws%3Acloudformation%3Aus-east-1%3A1%3Astack/s/1%7CD%7Cr",
            "https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/k",
            "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/k",
            "https://cloudformation-custom-resource-response-useast1.s3-external-1.amazonaws.com/k",
            "https://cloudformation-custom-resource-response-uswest2.s3.dualstack.us-west-2.amazonaws.com/k",
            "https://cloudformation-custom-resource-response-usgovwest1.s3-fips.us-gov-west-1.amazonaws.com/k",
            "https://cloudformation-custom-resource-response-cnnorthwest1.s3.cn-northwest-1.amazonaws.com.cn/k",
            "https://cloudformation-custom-resource-response-cnnorth1.s3.dualstack.cn-north-1.amazonaws.com.cn/k",
            "https://cloudformation-custom-resource-response-usgovwest1.s3.us-gov-west-1.amazonaws.com/k",
            "https://cloudformation-custom-resource-response-usgoveast1.s3-us-gov-east-1.amazonaws.com/k",
            // Path style.
            "https://s3.us-west-2.amazonaws.com/cloudformation-custom-resource-response-uswest2/k",
            "https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1/a/b",
            "https://s3-eu-west-1.amazonaws.com/cloudformation-custom-resource-response-euwest1/k",
            "https://s3-external-1.amazonaws.com/cloudformation-custom-resource-response-useast1/k",
            "https://s3.dualstack.ap-southeast-2.amazonaws.com/cloudformation-custom-resource-response-apsoutheast2/k",
            "https://s3.cn-north-1.amazonaws.com.cn/cloudformation-custom-resource-response-cnnorth1/k",
            "https://s3.us-gov-west-1.amazonaws.com/cloudformation-custom-resource-response-usgovwest1/k",
            // Case in the host and the explicit default port change nothing.
            "https://CloudFormation-Custom-Resource-Response-UsEast1.S3.AMAZONAWS.COM:443/k",
        ] {
            let url = format!("{ok}{SIGNED}");
            assert!(
                check_response_url(&url, false).is_ok(),
                "{ok}: {:?}",
                check_response_url(&url, false)
            );
            assert!(check_response_url(&url, true).is_ok(), "{ok}");
        }
    }

    #[test]
    fn regions_are_recognised_by_shape() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "cn-northwest-1",
            "ap-southeast-5",
            "eusc-de-east-1",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "external-1",
            "evil",
            "us-east",
            "us-east-one",
            "us--1",
            "US-EAST-1",
            "us-east-123",
            "-east-1",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}
