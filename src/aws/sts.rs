//! STS: role sessions for the child and parent roles, cached per request, and the provider's own
//! account.

use super::errors::classify;
use crate::domain::properties::RoleSpec;
use crate::ports::{AdapterError, ErrorKind, SessionContext};
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_sts::error::ProvideErrorMetadata;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// The first pause between refused AssumeRole calls, doubling to the cap (each ±50%).
const ASSUME_ROLE_FIRST_PAUSE: Duration = Duration::from_millis(500);
const ASSUME_ROLE_PAUSE_CAP: Duration = Duration::from_secs(4);
/// Role sessions last 15 minutes, Lambda's longest run.
const SESSION_SECONDS: i32 = 900;
/// Cached credentials are used only while they stay valid this much longer.
const FRESH_FOR: Duration = Duration::from_secs(120);

/// (role ARN, ExternalId, session name)
type SessionKey = (String, Option<String>, String);

/// Assumes roles, and keeps each session for the rest of its request: one AssumeRole per role and
/// request, though the child role serves both the child zone read and the CloudFormation
/// verification.
#[derive(Clone)]
pub struct RoleSessions {
    base: SdkConfig,
    retry: RetryConfig,
    cache: Arc<Mutex<HashMap<SessionKey, Credentials>>>,
}

impl RoleSessions {
    pub fn new(base: SdkConfig, retry: RetryConfig) -> Self {
        RoleSessions {
            base,
            retry,
            cache: Arc::default(),
        }
    }

    /// STS in the session's region (the partition's home region unless `StsRegion` says else).
    pub fn client(&self, session: &SessionContext) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&self.base)
                .region(aws_config::Region::new(session.sts_region.clone()))
                .retry_config(self.retry.clone())
                .build(),
        )
    }

    pub async fn credentials(
        &self,
        role: &RoleSpec,
        session: &SessionContext,
        which: &'static str,
    ) -> Result<Credentials, AdapterError> {
        let key = (
            role.arn.clone(),
            role.external_id.clone(),
            session.session_name.clone(),
        );
        let fresh_until = SystemTime::now() + FRESH_FOR;
        if let Some(creds) = self.cache.lock().ok().and_then(|m| m.get(&key).cloned())
            && creds.expiry().is_none_or(|e| e > fresh_until)
        {
            return Ok(creds);
        }
        let creds = self.assume_role(role, session, which).await?;
        if let Ok(mut m) = self.cache.lock() {
            m.retain(|_, c| c.expiry().is_none_or(|e| e > fresh_until));
            m.insert(key, creds.clone());
        }
        Ok(creds)
    }

    async fn assume_role(
        &self,
        role: &RoleSpec,
        session: &SessionContext,
        which: &'static str,
    ) -> Result<Credentials, AdapterError> {
        let sts = self.client(session);
        let started = Instant::now();
        let mut pause = ASSUME_ROLE_FIRST_PAUSE;
        loop {
            let result = sts
                .assume_role()
                .role_arn(&role.arn)
                .role_session_name(&session.session_name)
                .set_external_id(role.external_id.clone())
                .duration_seconds(SESSION_SECONDS)
                .send()
                .await;
            let err = match result {
                Ok(out) => {
                    let c = out.credentials().ok_or_else(|| {
                        AdapterError::new(
                            ErrorKind::Other,
                            format!("AssumeRole {}", role.arn),
                            "STS returned no credentials",
                        )
                    })?;
                    let expiry = SystemTime::try_from(*c.expiration()).ok();
                    return Ok(Credentials::new(
                        c.access_key_id(),
                        c.secret_access_key(),
                        Some(c.session_token().to_owned()),
                        expiry,
                        "AssumeRole",
                    ));
                }
                Err(e) => e,
            };
            let waited = started.elapsed();
            if err.code() != Some("AccessDenied") {
                return Err(classify(&format!("AssumeRole {}", role.arn), err));
            }
            if Instant::now() + pause > session.role_patience_until {
                return Err(AdapterError::new(
                    ErrorKind::RoleRefused,
                    "",
                    format!(
                        "could not assume {which} role {} (AccessDenied, tried for {} s): check that its trust policy allows the provider's role, that the ExternalId matches its sts:ExternalId condition, and that the role exists",
                        role.arn,
                        waited.as_secs()
                    ),
                ));
            }
            tracing::warn!(role = %role.arn, waited_ms = waited.as_millis() as u64, "AssumeRole was refused; retrying in case the role is still propagating");
            tokio::time::sleep(pause.mul_f64(0.5 + fastrand::f64())).await;
            pause = (pause * 2).min(ASSUME_ROLE_PAUSE_CAP);
        }
    }
}
