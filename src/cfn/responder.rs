//! Delivering the answer: which ResponseURLs may be used, and the PUT with its retries.

use std::net::IpAddr;
use std::time::Duration;
use tokio::time::Instant;
use url::{Host, Url};

/// Shows a ResponseURL without its query string, which is a bearer credential.
pub fn redact(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?<redacted>"),
        None => url.to_owned(),
    }
}

/// docs/design.md, "Events": only CloudFormation's S3 response buckets, or loopback when explicitly allowed.
pub fn check_response_url(raw: &str, allow_loopback: bool) -> Result<Url, String> {
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
    let aws_host = match url.host() {
        Some(Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            d.ends_with(".amazonaws.com") || d.ends_with(".amazonaws.com.cn")
        }
        _ => false,
    };
    if !aws_host {
        return Err(format!(
            "the ResponseURL's host {:?} is not an amazonaws.com host",
            url.host_str().unwrap_or("")
        ));
    }
    if url.port().is_some_and(|p| p != 443) {
        return Err("the ResponseURL names a port other than 443".into());
    }
    Ok(url)
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the ResponseURL answered HTTP {0}; not retried")]
    Rejected(u16),
    #[error("the answer could not be delivered in {attempts} attempts: {last}")]
    GaveUp { attempts: u32, last: String },
}

/// PUTs answers with retries on network errors and 5xx, never past the deadline it is given.
#[derive(Clone)]
pub struct Responder {
    client: reqwest::Client,
    max_attempts: u32,
    first_backoff: Duration,
}

impl Default for Responder {
    fn default() -> Self {
        Self::new(8, Duration::from_millis(250))
    }
}

impl Responder {
    pub fn new(max_attempts: u32, first_backoff: Duration) -> Self {
        let client = reqwest::Client::builder()
            // A redirect could carry the answer to a host the policy never approved.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("a TLS client with default settings builds");
        Responder {
            client,
            max_attempts,
            first_backoff,
        }
    }

    /// Returns the HTTP status of the accepted attempt.
    pub async fn put(
        &self,
        url: &Url,
        body: Vec<u8>,
        deadline: Instant,
    ) -> Result<u16, DeliveryError> {
        let mut last = String::from("no attempt was made before the deadline");
        let mut backoff = self.first_backoff;
        for attempt in 1..=self.max_attempts {
            let left = deadline.saturating_duration_since(Instant::now());
            if left < Duration::from_millis(50) {
                return Err(DeliveryError::GaveUp {
                    attempts: attempt - 1,
                    last,
                });
            }
            let sent = self
                .client
                .put(url.clone())
                // Pre-signed URLs may sign Content-Type; CloudFormation's are signed with an empty one.
                .header(reqwest::header::CONTENT_TYPE, "")
                .body(body.clone())
                .timeout(left.min(Duration::from_secs(20)))
                .send()
                .await;
            match sent {
                Ok(resp) if resp.status().is_success() => return Ok(resp.status().as_u16()),
                Ok(resp) if resp.status().is_server_error() => {
                    last = format!("HTTP {}", resp.status().as_u16());
                }
                Ok(resp) => return Err(DeliveryError::Rejected(resp.status().as_u16())),
                // reqwest's errors name the URL; keep its query string out of every message.
                Err(e) => last = redact(&e.without_url().to_string()),
            }
            tracing::warn!(attempt, error = %last, "delivering the answer failed; retrying");
            let jittered = backoff.mul_f64(0.5 + fastrand::f64());
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::time::sleep(jittered.min(left)).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
        Err(DeliveryError::GaveUp {
            attempts: self.max_attempts,
            last,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_drops_the_query() {
        assert_eq!(
            redact("https://b.s3.amazonaws.com/k?X-Amz-Signature=abc&X-Amz-Credential=z"),
            "https://b.s3.amazonaws.com/k?<redacted>"
        );
        assert_eq!(
            redact("https://b.s3.amazonaws.com/k"),
            "https://b.s3.amazonaws.com/k"
        );
    }

    #[test]
    fn only_aws_https_urls_are_answered() {
        for ok in [
            "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a?b=c",
            "https://cloudformation-custom-resource-response-cnnorthwest1.s3.cn-northwest-1.amazonaws.com.cn/a",
            "https://X.S3.AMAZONAWS.COM:443/a",
        ] {
            assert!(check_response_url(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "http://b.s3.amazonaws.com/a",
            "https://amazonaws.com.evil.example/a",
            "https://evilamazonaws.com/a",
            "https://b.s3.amazonaws.com:8443/a",
            "https://user:pw@b.s3.amazonaws.com/a",
            "https://169.254.169.254/latest",
            "file:///etc/passwd",
            "not a url",
            "http://127.0.0.1:9/a",
        ] {
            assert!(check_response_url(bad, false).is_err(), "{bad}");
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
