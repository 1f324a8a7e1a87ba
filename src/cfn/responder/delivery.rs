//! Delivering the answer (docs/design.md, "The answer"): the PUT to the ResponseURL with retries on
//! network errors and 5xx, never past the deadline, and a ResponseURL shown without its
//! query string.

use super::url_policy::ResponseBuckets;
use std::time::Duration;
use tokio::time::Instant;
use url::Url;

/// Shows a ResponseURL without its query string, which is a bearer credential.
pub fn redact(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?<redacted>"),
        None => url.to_owned(),
    }
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
    buckets: ResponseBuckets,
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
            buckets: ResponseBuckets::default(),
        }
    }

    /// Answers ResponseURLs in these buckets instead of CloudFormation's
    /// (`DELEGATION_RESPONSE_URL_BUCKET_PREFIXES`).
    pub fn with_buckets(mut self, buckets: ResponseBuckets) -> Self {
        self.buckets = buckets;
        self
    }

    /// [`ResponseBuckets::check`] with this responder's buckets.
    pub fn check_url(&self, raw: &str, allow_loopback: bool) -> Result<Url, String> {
        self.buckets.check(raw, allow_loopback)
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
}
