//! SDK adapters: STS role assumption and the two Route 53 adapters (child zone reader, parent zone store).

use crate::config::DEFAULT_ROUTE53_REQUESTS_PER_SECOND;
use crate::domain::authority::{ResourceState, StackEvent};
use crate::domain::guardrail::ChangeRefusal;
use crate::domain::name::DnsName;
use crate::domain::plan::{Action, Change, DnssecState, KeySigningKey, LiveRecord, Zone};
use crate::domain::properties::{RoleSpec, ZoneId};
use crate::ports::{
    AdapterError, ChildZoneReader, Connector, ParentZoneStore, SessionContext, StackReader,
    SubmittedChange,
};
use crate::throttle::{AccountPace, PaceHooks, ThrottleSchedule};
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_route53::config::retry::{RetryPartition, TokenBucket};
use aws_sdk_route53::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_route53::types::{
    ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord, ResourceRecordSet, RrType,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// How long AssumeRole's AccessDenied is retried: a role created moments ago is refused by STS
/// until IAM has propagated it (CDK issue #29391).
pub const ASSUME_ROLE_PATIENCE: Duration = Duration::from_secs(30);

/// Counts the HTTP attempts a client makes (retries included), for the summary log line.
#[derive(Debug, Clone)]
struct CallCounter(Arc<AtomicU32>);

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Builds adapters from the SDK configuration the Lambda starts with. The SDK's endpoint variables
/// (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_ROUTE_53`, `AWS_ENDPOINT_URL_STS`) travel inside
/// `SdkConfig`, so assumed-role clients reach the same endpoints.
/// (role ARN, ExternalId, session name)
type AssumedKey = (String, Option<String>, String);

#[derive(Clone)]
pub struct SdkConnector {
    base: SdkConfig,
    retry: RetryConfig,
    assume_role_patience: Duration,
    /// Credentials per (role, ExternalId, session name): one AssumeRole per role and request,
    /// though the role serves both the child zone read and the CloudFormation verification.
    assumed: Arc<Mutex<HashMap<AssumedKey, Credentials>>>,
    own_account: Arc<OnceLock<String>>,
    /// Per account ("" for the provider's own): what this process learnt of its rate limit.
    paces: Arc<Mutex<HashMap<String, Arc<AccountPace>>>>,
    schedule: ThrottleSchedule,
}

impl SdkConnector {
    pub fn new(base: SdkConfig, retry: RetryConfig) -> Self {
        SdkConnector {
            base,
            retry,
            assume_role_patience: ASSUME_ROLE_PATIENCE,
            assumed: Arc::default(),
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

    fn pace(&self, role: Option<&RoleSpec>) -> Arc<AccountPace> {
        let account = role.map(|r| r.account.clone()).unwrap_or_default();
        let mut paces = self.paces.lock().unwrap_or_else(|p| p.into_inner());
        paces
            .entry(account)
            .or_insert_with(|| AccountPace::new(self.schedule))
            .clone()
    }

    /// The provider's account when it is known without asking STS (in Lambda: from the
    /// function's ARN).
    pub fn set_own_account(&self, account: &str) {
        let _ = self.own_account.set(account.to_owned());
    }

    async fn credentials(
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
        let fresh_until = SystemTime::now() + Duration::from_secs(120);
        if let Some(creds) = self.assumed.lock().ok().and_then(|m| m.get(&key).cloned())
            && creds.expiry().is_none_or(|e| e > fresh_until)
        {
            return Ok(creds);
        }
        let creds = self.assume_role(role, session, which).await?;
        if let Ok(mut m) = self.assumed.lock() {
            m.retain(|_, c| c.expiry().is_none_or(|e| e > fresh_until));
            m.insert(key, creds.clone());
        }
        Ok(creds)
    }

    pub fn with_assume_role_patience(mut self, patience: Duration) -> Self {
        self.assume_role_patience = patience;
        self
    }

    async fn route53(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
        which: &'static str,
    ) -> Result<Route53, AdapterError> {
        let counter = CallCounter(session.route53_calls.clone());
        let pace = self.pace(role);
        let mut config = aws_sdk_route53::config::Builder::from(&self.base)
            .retry_config(self.retry.clone())
            .retry_partition(route53_retry_partition())
            .retry_classifier(PaceHooks(pace.clone()))
            .interceptor(PaceHooks(pace.clone()))
            .interceptor(counter);
        if let Some(role) = role {
            config = config.credentials_provider(self.credentials(role, session, which).await?);
        }
        Ok(Route53 {
            client: aws_sdk_route53::Client::from_conf(config.build()),
            account: which,
            pace: Some(pace),
        })
    }

    async fn assume_role(
        &self,
        role: &RoleSpec,
        session: &SessionContext,
        which: &'static str,
    ) -> Result<Credentials, AdapterError> {
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&self.base)
                .region(aws_config::Region::new(session.sts_region.clone()))
                .retry_config(self.retry.clone())
                .build(),
        );
        let started = Instant::now();
        let mut pause = Duration::from_millis(500);
        loop {
            let result = sts
                .assume_role()
                .role_arn(&role.arn)
                .role_session_name(&session.session_name)
                .set_external_id(role.external_id.clone())
                .duration_seconds(900)
                .send()
                .await;
            let err = match result {
                Ok(out) => {
                    let c = out.credentials().ok_or_else(|| {
                        AdapterError::Other(format!("STS returned no credentials for {}", role.arn))
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
            if err.code() == Some("AccessDenied") {
                if waited + pause <= self.assume_role_patience {
                    tracing::warn!(role = %role.arn, waited_ms = waited.as_millis() as u64, "AssumeRole was refused; retrying in case the role is still propagating");
                    tokio::time::sleep(pause.mul_f64(0.5 + fastrand::f64())).await;
                    pause = (pause * 2).min(Duration::from_secs(4));
                    continue;
                }
                return Err(AdapterError::AccessDenied(format!(
                    "could not assume {which} role {} (AccessDenied for {} s): check that its trust policy allows the provider's role, that the ExternalId matches its sts:ExternalId condition, and that the role exists",
                    role.arn,
                    waited.as_secs()
                )));
            }
            return Err(classify(&format!("AssumeRole {}", role.arn), err));
        }
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
            config = config.credentials_provider(self.credentials(role, session, "child").await?);
        }
        Ok(CloudFormation {
            client: aws_sdk_cloudformation::Client::from_conf(config.build()),
        })
    }

    async fn own_account(&self, session: &SessionContext) -> Result<String, AdapterError> {
        if let Some(account) = self.own_account.get() {
            return Ok(account.clone());
        }
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&self.base)
                .region(aws_config::Region::new(session.sts_region.clone()))
                .retry_config(self.retry.clone())
                .build(),
        );
        let out = sts
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

/// CloudFormation in the requesting stack's account and region.
#[derive(Clone, Debug)]
pub struct CloudFormation {
    client: aws_sdk_cloudformation::Client,
}

impl CloudFormation {
    /// An adapter over a ready client (tests inject mocked clients this way).
    pub fn new(client: aws_sdk_cloudformation::Client) -> Self {
        CloudFormation { client }
    }
}

impl StackReader for CloudFormation {
    async fn resource(
        &self,
        stack_id: &str,
        logical_id: &str,
    ) -> Result<ResourceState, AdapterError> {
        let out = self
            .client
            .describe_stack_resource()
            .stack_name(stack_id)
            .logical_resource_id(logical_id)
            .send()
            .await
            .map_err(|e| classify(&format!("DescribeStackResource {logical_id}"), e))?;
        let detail = out.stack_resource_detail().ok_or_else(|| {
            AdapterError::Other("DescribeStackResource returned no resource".into())
        })?;
        Ok(ResourceState {
            resource_status: detail
                .resource_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            physical_id: detail.physical_resource_id().map(str::to_owned),
            resource_type: detail.resource_type().unwrap_or_default().to_owned(),
        })
    }

    async fn events(
        &self,
        stack_id: &str,
        next_token: Option<String>,
    ) -> Result<(Vec<StackEvent>, Option<String>), AdapterError> {
        let out = self
            .client
            .describe_stack_events()
            .stack_name(stack_id)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| classify("DescribeStackEvents", e))?;
        let events = out
            .stack_events()
            .iter()
            .map(|e| StackEvent {
                logical_id: e.logical_resource_id().unwrap_or_default().to_owned(),
                physical_id: e.physical_resource_id().map(str::to_owned),
                resource_type: e.resource_type().map(str::to_owned),
                status: e
                    .resource_status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            })
            .collect();
        Ok((events, out.next_token().map(str::to_owned)))
    }

    async fn stack_status(&self, stack_id: &str) -> Result<String, AdapterError> {
        let out = self
            .client
            .describe_stacks()
            .stack_name(stack_id)
            .send()
            .await
            .map_err(|e| classify("DescribeStacks", e))?;
        out.stacks()
            .first()
            .and_then(|s| s.stack_status())
            .map(|s| s.as_str().to_owned())
            .ok_or_else(|| AdapterError::NotFound("DescribeStacks returned no stack".into()))
    }
}

/// A Route 53 client acting in one account (the child's or the parent's).
#[derive(Clone, Debug)]
pub struct Route53 {
    client: aws_sdk_route53::Client,
    account: &'static str,
    pace: Option<Arc<AccountPace>>,
}

impl Route53 {
    /// An adapter over a ready client (tests inject mocked clients this way).
    pub fn new(client: aws_sdk_route53::Client, account: &'static str) -> Self {
        Route53 {
            client,
            account,
            pace: None,
        }
    }

    /// The same adapter, spaced by `pace` after throttling (its client must carry the matching
    /// `PaceHooks` as retry classifier and interceptor, as `SdkConnector`'s clients do).
    pub fn with_pace(mut self, pace: Arc<AccountPace>) -> Self {
        self.pace = Some(pace);
        self
    }

    /// Waits, after throttling, until the account's next call may go out.
    async fn paced(&self) {
        if let Some(pace) = &self.pace {
            pace.ready().await;
        }
    }
}

fn classify<E>(what: &str, err: aws_sdk_route53::error::SdkError<E>) -> AdapterError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = err.code().unwrap_or("").to_owned();
    let message = match (err.code(), err.message()) {
        (Some(code), Some(msg)) => format!("{what}: {code}: {msg}"),
        _ => format!("{what}: {}", DisplayErrorContext(&err)),
    };
    match code.as_str() {
        "NoSuchHostedZone" | "NoSuchChange" | "HostedZoneNotFound" => {
            AdapterError::NotFound(message)
        }
        "AccessDenied"
        | "AccessDeniedException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature" => AdapterError::AccessDenied(message),
        "InvalidChangeBatch" if is_stale_batch(&message) => AdapterError::Conflict(message),
        "InvalidChangeBatch" | "InvalidInput" => {
            AdapterError::Refused(ChangeRefusal::from_message(message))
        }
        _ => AdapterError::Other(message),
    }
}

/// Route 53's words for a DELETE (or CREATE) that no longer matches the live records: the record
/// changed between our read and our write, which a fresh read resolves. Anything else in an
/// `InvalidChangeBatch` (a guardrail, a malformed value) would be refused again.
fn is_stale_batch(message: &str) -> bool {
    const STALE: &[&str] = &[
        "but it was not found",
        "values provided do not match the current values",
        "but it already exists",
    ];
    STALE.iter().any(|s| message.contains(s))
}

fn zone_from(
    zone: &aws_sdk_route53::types::HostedZone,
    name_servers: Vec<String>,
) -> Result<Zone, AdapterError> {
    let id = ZoneId::parse(zone.id()).ok_or_else(|| {
        AdapterError::Other(format!(
            "Route 53 returned an unexpected zone ID {:?}",
            zone.id()
        ))
    })?;
    Ok(Zone {
        id,
        name: DnsName::from_route53(zone.name()),
        private: zone.config().is_some_and(|c| c.private_zone()),
        name_servers,
    })
}

fn live_record(r: &ResourceRecordSet) -> LiveRecord {
    LiveRecord {
        name: DnsName::from_route53(r.name()),
        rtype: r.r#type().as_str().to_owned(),
        ttl: r.ttl(),
        values: r
            .resource_records()
            .iter()
            .map(|v| v.value().to_owned())
            .collect(),
        special: r.alias_target().is_some()
            || r.set_identifier().is_some()
            || r.traffic_policy_instance_id().is_some(),
    }
}

fn to_sdk(change: &Change) -> Result<aws_sdk_route53::types::Change, AdapterError> {
    let build =
        |e: aws_smithy_types::error::operation::BuildError| AdapterError::Other(e.to_string());
    let records = change
        .values
        .iter()
        .map(|v| ResourceRecord::builder().value(v).build().map_err(build))
        .collect::<Result<Vec<_>, _>>()?;
    let set = ResourceRecordSet::builder()
        .name(change.name.fqdn())
        .r#type(RrType::from(change.kind.as_str()))
        .ttl(change.ttl)
        .set_resource_records(Some(records))
        .build()
        .map_err(build)?;
    aws_sdk_route53::types::Change::builder()
        .action(match change.action {
            Action::Upsert => ChangeAction::Upsert,
            Action::Delete => ChangeAction::Delete,
        })
        .resource_record_set(set)
        .build()
        .map_err(build)
}

impl Route53 {
    async fn get_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError> {
        self.paced().await;
        let out = self
            .client
            .get_hosted_zone()
            .id(id.as_str())
            .send()
            .await
            .map_err(|e| {
                classify(
                    &format!("GetHostedZone {id} in the {} account", self.account),
                    e,
                )
            })?;
        let zone = out
            .hosted_zone()
            .ok_or_else(|| AdapterError::Other(format!("GetHostedZone {id} returned no zone")))?;
        let name_servers = out
            .delegation_set()
            .map(|d| d.name_servers().to_vec())
            .unwrap_or_default();
        zone_from(zone, name_servers)
    }
}

impl ChildZoneReader for Route53 {
    async fn hosted_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError> {
        self.get_zone(id).await
    }

    async fn dnssec(&self, id: &ZoneId) -> Result<DnssecState, AdapterError> {
        self.paced().await;
        let out = self
            .client
            .get_dnssec()
            .hosted_zone_id(id.as_str())
            .send()
            .await
            .map_err(|e| classify(&format!("GetDNSSEC {id} in the child account"), e))?;
        Ok(DnssecState {
            serve_signature: out
                .status()
                .and_then(|s| s.serve_signature())
                .unwrap_or("NOT_SIGNING")
                .to_owned(),
            key_signing_keys: out
                .key_signing_keys()
                .iter()
                .map(|k| KeySigningKey {
                    name: k.name().unwrap_or_default().to_owned(),
                    status: k.status().unwrap_or_default().to_owned(),
                    ds_record: k.ds_record().unwrap_or_default().to_owned(),
                })
                .collect(),
        })
    }
}

impl ParentZoneStore for Route53 {
    async fn hosted_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError> {
        self.get_zone(id).await
    }

    async fn zones_named(&self, name: &DnsName) -> Result<Vec<Zone>, AdapterError> {
        let mut zones = Vec::new();
        let mut next: Option<(String, Option<String>)> = Some((name.fqdn(), None));
        while let Some((dns_name, zone_id)) = next.take() {
            self.paced().await;
            let out = self
                .client
                .list_hosted_zones_by_name()
                .dns_name(dns_name)
                .set_hosted_zone_id(zone_id)
                .send()
                .await
                .map_err(|e| classify(&format!("ListHostedZonesByName {name}"), e))?;
            let mut past_name = false;
            for zone in out.hosted_zones() {
                if &DnsName::from_route53(zone.name()) == name {
                    zones.push(zone_from(zone, Vec::new())?);
                } else {
                    // Zones come sorted by name: once past ours, no later page can hold it.
                    past_name = true;
                }
            }
            if out.is_truncated() && !past_name {
                next = out
                    .next_dns_name()
                    .map(|n| (n.to_owned(), out.next_hosted_zone_id().map(str::to_owned)));
            }
        }
        Ok(zones)
    }

    async fn records_at_and_below(
        &self,
        zone: &ZoneId,
        name: &DnsName,
    ) -> Result<Vec<LiveRecord>, AdapterError> {
        let mut records = Vec::new();
        let mut start = Some((name.fqdn(), None::<RrType>, None::<String>));
        // Route 53 sorts by reversed labels, so the records at and below the name come first from
        // the name on; more pages are read while they are still below it. A plan is never made on
        // a partial read: past the page limit the read fails.
        let mut pages = 0;
        while let Some((start_name, start_type, start_id)) = start.take() {
            pages += 1;
            if pages > MAX_RECORD_PAGES {
                return Err(AdapterError::Other(format!(
                    "ListResourceRecordSets {zone}: more than {} records at and below {name}; the provider does not plan on a partial read. Move records out from below the delegated name",
                    MAX_RECORD_PAGES * RECORDS_PER_PAGE
                )));
            }
            self.paced().await;
            let out = self
                .client
                .list_resource_record_sets()
                .hosted_zone_id(zone.as_str())
                .start_record_name(start_name)
                .set_start_record_type(start_type)
                .set_start_record_identifier(start_id)
                .max_items(RECORDS_PER_PAGE)
                .send()
                .await
                .map_err(|e| classify(&format!("ListResourceRecordSets {zone} from {name}"), e))?;
            let page: Vec<LiveRecord> =
                out.resource_record_sets().iter().map(live_record).collect();
            let last_below = page.last().is_some_and(|r| r.name.is_at_or_below(name));
            records.extend(page.into_iter().filter(|r| r.name.is_at_or_below(name)));
            if out.is_truncated() && last_below {
                start = out.next_record_name().map(|n| {
                    (
                        n.to_owned(),
                        out.next_record_type().cloned(),
                        out.next_record_identifier().map(str::to_owned),
                    )
                });
            }
        }
        Ok(records)
    }

    async fn change(
        &self,
        zone: &ZoneId,
        changes: &[Change],
        comment: &str,
    ) -> Result<SubmittedChange, AdapterError> {
        let batch = ChangeBatch::builder()
            .comment(comment)
            .set_changes(Some(
                changes.iter().map(to_sdk).collect::<Result<Vec<_>, _>>()?,
            ))
            .build()
            .map_err(|e| AdapterError::Other(e.to_string()))?;
        self.paced().await;
        let out = self
            .client
            .change_resource_record_sets()
            .hosted_zone_id(zone.as_str())
            .change_batch(batch)
            .send()
            .await
            .map_err(|e| classify(&format!("ChangeResourceRecordSets in {zone}"), e))?;
        let info = out.change_info().ok_or_else(|| {
            AdapterError::Other("ChangeResourceRecordSets returned no ChangeInfo".into())
        })?;
        Ok(SubmittedChange {
            id: info.id().trim_start_matches("/change/").to_owned(),
            insync: info.status() == &ChangeStatus::Insync,
        })
    }

    async fn wait_insync(&self, change_id: &str, max: Duration) -> Result<bool, AdapterError> {
        use aws_sdk_route53::client::Waiters;
        match self
            .client
            .wait_until_resource_record_sets_changed()
            .id(change_id)
            .wait(max)
            .await
        {
            Ok(_) => Ok(true),
            Err(aws_sdk_route53::waiters::resource_record_sets_changed::WaitUntilResourceRecordSetsChangedError::ExceededMaxWait(_)) => Ok(false),
            Err(e) => Err(AdapterError::Other(format!(
                "waiting for change {change_id} to be INSYNC: {}",
                DisplayErrorContext(&e)
            ))),
        }
    }
}

/// ListResourceRecordSets' largest page.
const RECORDS_PER_PAGE: i32 = 300;
/// Pages of records at and below a delegated name read before giving up (30,000 records).
const MAX_RECORD_PAGES: i32 = 100;

/// How many times one SDK call may be tried. Not what bounds a request: a throttled call waits at
/// least 7.5 s between attempts once its backoff is capped, so 150 attempts outlast Lambda's 900 s
/// maximum, and a call that keeps being throttled is stopped by the request's deadline guard,
/// which answers FAILED in time.
pub const MAX_ATTEMPTS: u32 = 150;

/// Retries for every AWS client: standard mode, bounded by the time left before the deadline
/// rather than by a small count. Transient errors (5xx, timeouts, resets) back off with the SDK's
/// full jitter, each delay uniform in [0, min(20 s, 1 s × 2^attempt)]. Route 53's throttling errors
/// (`Throttling`, `PriorRequestNotComplete`) get the equal-jitter backoff and the per-account spacing
/// of `crate::throttle` instead; with the Route 53 clients' retry quota (`route53_retry_partition`),
/// which never charges for them, a request queued behind Route 53's rate limit (a StackSet rollout
/// of hundreds of accounts into one parent zone) keeps its place until its deadline instead of
/// failing after a few attempts. The retry settings tried are in bench/README.md.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_secs(1))
        .with_max_backoff(Duration::from_secs(20))
}

/// The Route 53 clients' retry partition. The standard retry quota (500 tokens, 5 per retry)
/// refuses retries after about a hundred throttles in one process, which a request waiting behind
/// a rate limit reaches; here throttling retries cost nothing, while other errors (5xx, timeouts,
/// resets) keep the standard costs, so a broken endpoint still stops being retried.
fn route53_retry_partition() -> RetryPartition {
    static PARTITION: OnceLock<RetryPartition> = OnceLock::new();
    PARTITION
        .get_or_init(|| {
            RetryPartition::custom("subdomain-delegation-route53")
                .token_bucket(TokenBucket::builder().throttling_retry_cost(0).build())
                .build()
        })
        .clone()
}
