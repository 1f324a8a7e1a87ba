//! SDK adapters behind the ports, one module per service: STS role sessions (`sts`), Route 53
//! (`route53`; the audit's reads in `zones`), CloudFormation (`cloudformation`), Security Hub
//! (`securityhub`, the audit's findings), error classification and retries (`errors`), and the
//! pacing behind Route 53's rate limits (`pace`). `SdkConnector` builds them per request.

pub mod cloudformation;
pub mod errors;
pub mod pace;
pub mod route53;
pub mod securityhub;
pub mod sts;
pub mod zones;

pub use cloudformation::CloudFormation;
pub use errors::{MAX_ATTEMPTS, retry_config};
pub use route53::Route53;
pub use securityhub::SecurityHub;

use crate::config::DEFAULT_ROUTE53_REQUESTS_PER_SECOND;
use crate::domain::properties::RoleSpec;
use crate::ports::{AdapterError, Connector, ErrorKind, SessionContext};
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::display::DisplayErrorContext;
use errors::{classify, route53_retry_partition};
use pace::{AccountPace, PaceHooks, ThrottleSchedule};
use route53::CallCounter;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
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
            .interceptor(CallCounter(session.route53.clone()));
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
            .ok_or_else(|| {
                AdapterError::new(ErrorKind::Other, "GetCallerIdentity", "returned no account")
            })?
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

/// How long [`resolved_endpoints`] may take. It sends nothing, so a longer wait is a fault, and
/// the function must not hang at start.
const ENDPOINT_PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// The region probed when the SDK configuration names none (the clients then name one).
const ENDPOINT_PROBE_REGION: &str = "us-east-1";

/// Where the clients built from `sdk` (Route 53, STS, CloudFormation; assumed-role ones differ
/// only in credentials) send their calls, as the SDK itself resolves it: endpoint settings from
/// the environment, the shared config file and profiles (`ignore_configured_endpoint_urls`
/// included), FIPS and dual-stack. Each service starts one request that
/// [`EndpointProbe`] stops before it is transmitted, so nothing leaves the process. `Err` says
/// why a service's endpoint could not be resolved.
pub async fn resolved_endpoints(sdk: &SdkConfig) -> Vec<(&'static str, Result<String, String>)> {
    let region = sdk
        .region()
        .cloned()
        .unwrap_or(aws_config::Region::from_static(ENDPOINT_PROBE_REGION));
    let credentials = Credentials::new("probe", "probe", None, None, "endpoint-probe");
    let (route53, sts, cloudformation) = (
        EndpointProbe::default(),
        EndpointProbe::default(),
        EndpointProbe::default(),
    );
    let route53_client = aws_sdk_route53::Client::from_conf(
        aws_sdk_route53::config::Builder::from(sdk)
            .region(region.clone())
            .credentials_provider(credentials.clone())
            .identity_cache(aws_sdk_route53::config::IdentityCache::no_cache())
            .retry_config(RetryConfig::disabled())
            .interceptor(route53.clone())
            .build(),
    );
    let sts_client = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(sdk)
            .region(region.clone())
            .credentials_provider(credentials.clone())
            .identity_cache(aws_sdk_sts::config::IdentityCache::no_cache())
            .retry_config(RetryConfig::disabled())
            .interceptor(sts.clone())
            .build(),
    );
    let cloudformation_client = aws_sdk_cloudformation::Client::from_conf(
        aws_sdk_cloudformation::config::Builder::from(sdk)
            .region(region)
            .credentials_provider(credentials)
            .identity_cache(aws_sdk_cloudformation::config::IdentityCache::no_cache())
            .retry_config(RetryConfig::disabled())
            .interceptor(cloudformation.clone())
            .build(),
    );
    vec![
        (
            "Route 53",
            route53
                .resolve(route53_client.list_hosted_zones().send())
                .await,
        ),
        (
            "STS",
            sts.resolve(sts_client.get_caller_identity().send()).await,
        ),
        (
            "CloudFormation",
            cloudformation
                .resolve(cloudformation_client.describe_stacks().send())
                .await,
        ),
    ]
}

/// Records the URL a request is about to be sent to, then stops it.
#[derive(Clone, Debug, Default)]
struct EndpointProbe(Arc<Mutex<Option<String>>>);

/// The error that stops a probed request; never shown unless the probe saw no URL.
const PROBE_STOP: &str = "stopped by the endpoint probe";

impl EndpointProbe {
    async fn resolve<T, E>(
        &self,
        sent: impl Future<Output = Result<T, E>>,
    ) -> Result<String, String>
    where
        E: std::error::Error,
    {
        let outcome = tokio::time::timeout(ENDPOINT_PROBE_TIMEOUT, sent).await;
        if let Some(url) = self.0.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Ok(url);
        }
        Err(match outcome {
            Err(_) => format!(
                "no request was ready within {} s",
                ENDPOINT_PROBE_TIMEOUT.as_secs()
            ),
            Ok(Err(e)) => DisplayErrorContext(e).to_string(),
            Ok(Ok(_)) => "a request went out without passing the probe".into(),
        })
    }
}

impl Intercept for EndpointProbe {
    fn name(&self) -> &'static str {
        "EndpointProbe"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(context.request().uri().to_owned());
        Err(PROBE_STOP.into())
    }
}
