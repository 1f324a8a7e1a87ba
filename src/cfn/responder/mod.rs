//! Delivering the answer: which ResponseURLs may be used, and the PUT with its retries.
//!
//! Layout: `url_policy` decides which ResponseURLs may be used (CloudFormation's S3 response
//! buckets, docs/design.md, "Events"), with `s3` recognising S3 endpoints of AWS; `delivery` PUTs
//! the answer with its retries (docs/design.md, "The answer").

mod delivery;
mod s3;
mod url_policy;

pub use delivery::{DeliveryError, Responder, redact};
pub use url_policy::{
    BUCKET_PREFIXES_VAR, CLOUDFORMATION_RESPONSE_BUCKET_PREFIX, ResponseBuckets, check_response_url,
};
