//! SDK adapters behind the ports, one module per service: STS role sessions (`sts`), Route 53
//! (`route53`; the audit's reads in `zones`), CloudFormation (`cloudformation`), error
//! classification and retries (`errors`), and the pacing behind Route 53's rate limits (`pace`).
//! `SdkConnector` builds them per request.

pub mod cloudformation;
pub mod errors;
pub mod pace;
pub mod route53;
pub mod sts;
pub mod zones;

pub use cloudformation::CloudFormation;
pub use errors::{MAX_ATTEMPTS, retry_config};
pub use route53::Route53;
pub use sts::ASSUME_ROLE_PATIENCE;

use crate::config::DEFAULT_ROUTE53_REQUESTS_PER_SECOND;
use crate::domain::properties::RoleSpec;
use crate::ports::{AdapterError, Connector, SessionContext};
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use errors::{classify, route53_retry_partition};
use pace::{AccountPace, PaceHooks, ThrottleSchedule};
use route53::CallCounter;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use sts::RoleSessions;

/// Builds adapters from the SDK configuration the Lambda starts with. The SDK's endpoint
/// variables (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`) travel inside `SdkConfig`, so
/// assumed-role clients reach the same endpoints.
#[derive(Clone)]
pub struct SdkConnector {
    base: SdkConfig,
    retry: RetryConfig,
    sessions: RoleSessions,
    own_account: Arc<OnceLock<String>>,
    /// Per account ("" for the provider's own): what this process learnt of its rate limit.
    paces: Arc<Mutex<HashMap<String, Arc<AccountPace>>>>,
    schedule: ThrottleSchedule,
}

impl SdkConnector {
    pub fn new(base: SdkConfig, retry: RetryConfig) -> Self {
        SdkConnector {
            sessions: RoleSessions::new(base.clone(), retry.clone()),
            base,
            retry,
            own_account: Arc::default(),
            paces: Arc::default(),
            schedule: ThrottleSchedule::for_rate(DEFAULT_ROUTE53_REQUESTS_PER_SECOND),
        }
    }

    /// Paces calls after a throttle by this Route 53 request rate (the account's quota).
    pub fn with_requests_per_second(mut self, requests_per_second: u32) -> Self {
        self.schedule = ThrottleSchedule::for_rate(requests_per_second);
        self
    }

    pub fn with_assume_role_patience(mut self, patience: Duration) -> Self {
        self.sessions.patience = patience;
        self
    }

    /// The provider's account when it is known without asking STS (in Lambda: from the
    /// function's ARN).
    pub fn set_own_account(&self, account: &str) {
        let _ = self.own_account.set(account.to_owned());
    }

    fn pace(&self, role: Option<&RoleSpec>) -> Arc<AccountPace> {
        let account = role.map(|r| r.account.clone()).unwrap_or_default();
        let mut paces = self.paces.lock().unwrap_or_else(|p| p.into_inner());
        paces
            .entry(account)
            .or_insert_with(|| AccountPace::new(self.schedule))
            .clone()
    }

    async fn route53(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
        which: &'static str,
    ) -> Result<Route53, AdapterError> {
        let pace = self.pace(role);
        let mut config = aws_sdk_route53::config::Builder::from(&self.base)
            .retry_config(self.retry.clone())
            .retry_partition(route53_retry_partition())
            .retry_classifier(PaceHooks(pace.clone()))
            .interceptor(PaceHooks(pace.clone()))
            .interceptor(CallCounter(session.route53_calls.clone()));
        if let Some(role) = role {
            config =
                config.credentials_provider(self.sessions.credentials(role, session, which).await?);
        }
        Ok(Route53::new(aws_sdk_route53::Client::from_conf(config.build()), which).with_pace(pace))
    }
}

impl Connector for SdkConnector {
    type Child = Route53;
    type Parent = Route53;
    type Stacks = CloudFormation;

    async fn stacks(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
        region: &str,
    ) -> Result<CloudFormation, AdapterError> {
        let mut config = aws_sdk_cloudformation::config::Builder::from(&self.base)
            .region(aws_config::Region::new(region.to_owned()))
            .retry_config(self.retry.clone());
        if let Some(role) = role {
            config = config
                .credentials_provider(self.sessions.credentials(role, session, "child").await?);
        }
        Ok(CloudFormation::new(
            aws_sdk_cloudformation::Client::from_conf(config.build()),
        ))
    }

    async fn own_account(&self, session: &SessionContext) -> Result<String, AdapterError> {
        if let Some(account) = self.own_account.get() {
            return Ok(account.clone());
        }
        let out = self
            .sessions
            .client(session)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify("GetCallerIdentity (the provider's own account)", e))?;
        let account = out
            .account()
            .ok_or_else(|| AdapterError::Other("GetCallerIdentity returned no account".into()))?
            .to_owned();
        Ok(self.own_account.get_or_init(|| account).clone())
    }

    async fn child(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
    ) -> Result<Route53, AdapterError> {
        self.route53(role, session, "child").await
    }

    async fn parent(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
    ) -> Result<Route53, AdapterError> {
        self.route53(role, session, "parent").await
    }
}
