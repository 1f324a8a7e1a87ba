//! One request, start to end: parse, act on Route 53 through the ports, answer CloudFormation,
//! log one summary line. Generic over [`Connector`] so tests run it against fakes.

use crate::cfn::request::{Envelope, Incoming, Request, RequestKind, parse};
use crate::cfn::responder::{Responder, check_response_url, redact};
use crate::cfn::response::{Answer, body, failed_create_id};
use crate::config::Config;
use crate::domain::authority::{
    CLEANUP_STATUSES, Claim, Denial, EventScan, Policy, StackRef, Verdict, check_child_role,
    check_name, check_parent_role, scan_events, verify_cleanup, verify_resource, zone_account,
};
use crate::domain::guardrail::ChangeRefusal;
use crate::domain::name::DnsName;
use crate::domain::plan::{
    DeletePlan, Desired, Identity, Mode, Refusal, Zone, check_names, desired_ds, plan_delete,
    plan_upsert,
};
use crate::domain::properties::{DnssecMode, ParentZoneRef, Properties, PropertyError, ZoneId};
use crate::ports::{
    AdapterError, ChildZoneReader, Connector, ParentZoneStore, SessionContext, StackReader,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The guard answers FAILED this long before the Lambda deadline…
pub const GUARD_MARGIN: Duration = Duration::from_secs(10);
/// …and no answer is PUT later than this before it (docs/design.md, "The answer": at least 5 s).
pub const ANSWER_MARGIN: Duration = Duration::from_secs(5);
/// How often a Delete reads the record again when it changed between the read and the DELETE.
const DELETE_ATTEMPTS: u32 = 3;
/// How many pages of a stack's events (100 each) a cleanup Delete reads for its replaced ID.
const MAX_EVENT_PAGES: u32 = 20;

/// Why a request failed; the message is the first sentence of the Reason.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("{0}")]
    Properties(#[from] PropertyError),
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("{0}")]
    Aws(#[from] AdapterError),
    #[error("{0}")]
    Denied(#[from] Denial),
    #[error("{refusal}")]
    ChangeRefused {
        refusal: ChangeRefusal,
    },
    #[error("{0}")]
    Other(String),
}

/// What the summary line and a late guard need to know while a request is under way.
struct Progress {
    /// When the deadline guard answers; waits end a little before it.
    guard_at: Instant,
    /// Set just before a change batch is sent: from then on, a failed Create answers its real ID.
    changed_route53: AtomicBool,
    identity: Mutex<Option<Identity>>,
    route53_calls: Arc<AtomicU32>,
}

impl Progress {
    fn new(guard_at: Instant) -> Self {
        Progress {
            guard_at,
            changed_route53: AtomicBool::default(),
            identity: Mutex::default(),
            route53_calls: Arc::default(),
        }
    }
    /// Time left for waiting on Route 53, keeping a second for the answer.
    fn wait_budget(&self) -> Duration {
        self.guard_at
            .saturating_duration_since(Instant::now())
            .saturating_sub(Duration::from_secs(1))
    }
    fn identity(&self) -> Option<Identity> {
        self.identity.lock().map(|i| i.clone()).unwrap_or(None)
    }
    fn set_identity(&self, identity: &Identity) {
        if let Ok(mut slot) = self.identity.lock() {
            *slot = Some(identity.clone());
        }
    }
}

/// The verified requester: the provider's own account, the stack that asks and the account
/// whose zone it delegates to.
struct Requester {
    own_account: String,
    stack: StackRef,
    zone_account: String,
}

impl Requester {
    fn may_delegate(&self, policy: Option<&Policy>, name: &DnsName) -> Result<(), Denial> {
        check_name(policy, &self.own_account, &self.zone_account, name)
    }
}

/// What a request did, for the answer and the summary line.
struct Done {
    answer: Answer,
    action: String,
}

pub struct Provider<C: Connector> {
    connector: C,
    config: Config,
    responder: Responder,
}

impl<C: Connector> Provider<C> {
    pub fn new(connector: C, config: Config, responder: Responder) -> Self {
        Provider {
            connector,
            config,
            responder,
        }
    }

    /// Handles one Lambda event; returns the answer's body when one was due (sent or not).
    pub async fn handle(
        &self,
        event: Value,
        deadline: Instant,
        log_stream: &str,
    ) -> Option<Vec<u8>> {
        let started = Instant::now();
        let (envelope, request) = match parse(event) {
            Incoming::Unanswerable(why) => {
                tracing::error!(problem = %why, "ignoring an event that cannot be answered");
                return None;
            }
            Incoming::Malformed { envelope, problem } => (envelope, Err(problem)),
            Incoming::Valid(request) => (request.envelope.clone(), Ok(request)),
        };
        let url = match check_response_url(
            &envelope.response_url,
            self.config.allow_loopback_response_url,
        ) {
            Ok(url) => url,
            Err(why) => {
                tracing::error!(response_url = %redact(&envelope.response_url), problem = %why, "not answering: the ResponseURL is not allowed");
                return None;
            }
        };

        let guard_at = deadline
            .checked_sub(GUARD_MARGIN)
            .unwrap_or(started)
            .max(started);
        let progress = Progress::new(guard_at);
        let kind = request
            .as_ref()
            .map(|r| r.kind.as_str())
            .unwrap_or("Malformed");
        let done = match &request {
            Err(problem) => Done {
                answer: Answer::failed(
                    fallback_id(&envelope, &progress),
                    format!(
                        "{problem}; this is not a CloudFormation request the provider can act on"
                    ),
                ),
                action: "rejected-request".into(),
            },
            Ok(request) => {
                match tokio::time::timeout_at(guard_at, self.execute(request, &progress)).await {
                    Ok(Ok(done)) => done,
                    Ok(Err(failure)) => Done {
                        answer: Answer::failed(
                            fallback_id(&envelope, &progress),
                            failure.to_string(),
                        ),
                        action: "failed".into(),
                    },
                    Err(_) => Done {
                        answer: Answer::failed(
                            fallback_id(&envelope, &progress),
                            format!(
                                "the request did not finish before the Lambda deadline ({} s left when the guard answered); Route 53 or STS may be slow or unreachable. Retry the stack operation, or raise the function's timeout",
                                deadline.saturating_duration_since(Instant::now()).as_secs()
                            ),
                        ),
                        action: "timed-out".into(),
                    },
                }
            }
        };
        let mut answer = done.answer;
        if let Some(reason) = &mut answer.reason {
            let reason_text = std::mem::take(reason);
            *reason = format!(
                "{kind} failed: {}. Log stream: {log_stream}",
                reason_text.trim_end_matches('.')
            );
        }
        let bytes = body(&envelope, &answer);
        let put_deadline = deadline.checked_sub(ANSWER_MARGIN).unwrap_or(started);
        let delivered = match self.responder.put(&url, bytes.clone(), put_deadline).await {
            Ok(code) => format!("delivered (HTTP {code})"),
            Err(e) => {
                tracing::error!(error = %e, response_url = %redact(&envelope.response_url), "the answer was not delivered");
                format!("not delivered: {e}")
            }
        };
        let identity = progress.identity();
        let stack = StackRef::parse(&envelope.stack_id);
        tracing::info!(
            summary = true,
            request_type = kind,
            requesting_account = stack.as_ref().map(|s| s.account.as_str()).unwrap_or_default(),
            region = stack.as_ref().map(|s| s.region.as_str()).unwrap_or_default(),
            stack_name = stack.as_ref().map(|s| s.name.as_str()).unwrap_or_default(),
            request_id = %for_log(&envelope.request_id, 256),
            logical_id = %for_log(&envelope.logical_resource_id, 256),
            name = identity.as_ref().map(|i| i.name.to_string()).unwrap_or_default(),
            parent_zone = identity.as_ref().map(|i| i.parent_zone_id.to_string()).unwrap_or_default(),
            action = %done.action,
            route53_calls = progress.route53_calls.load(Ordering::Relaxed),
            ms = started.elapsed().as_millis() as u64,
            status = answer.status.as_str(),
            physical_id = %for_log(&answer.physical_resource_id, 1024),
            answer = %delivered,
            reason = %for_log(answer.reason.as_deref().unwrap_or(""), 4096),
            "request handled"
        );
        Some(bytes)
    }

    fn session(
        &self,
        request: &Request,
        props: &Properties,
        progress: &Progress,
    ) -> SessionContext {
        SessionContext {
            session_name: session_name(&request.envelope),
            sts_region: self.config.sts_region(props.sts_region.as_deref()),
            route53_calls: progress.route53_calls.clone(),
        }
    }

    async fn execute(&self, request: &Request, progress: &Progress) -> Result<Done, Failure> {
        match request.kind {
            RequestKind::Create | RequestKind::Update => {
                let props = Properties::from_json(&request.properties)?;
                let session = self.session(request, &props, progress);
                let existing = request
                    .envelope
                    .physical_resource_id
                    .as_deref()
                    .and_then(Identity::parse)
                    .filter(|_| request.kind == RequestKind::Update);
                let claim = match request.kind {
                    RequestKind::Create => Claim::Create,
                    _ => Claim::Update,
                };
                let requester = self
                    .verify_requester(request, &props, &session, claim, None)
                    .await?;
                self.delegate(request, &props, existing, &requester, &session, progress)
                    .await
            }
            RequestKind::Delete => self.delete(request, progress).await,
        }
    }

    /// Create, or Update: converge in place when the identity is unchanged, else create the new
    /// identity (CloudFormation then deletes the old one during cleanup).
    async fn delegate(
        &self,
        request: &Request,
        props: &Properties,
        existing: Option<Identity>,
        requester: &Requester,
        session: &SessionContext,
        progress: &Progress,
    ) -> Result<Done, Failure> {
        let child = self
            .connector
            .child(props.child_role.as_ref(), session)
            .await?;
        let child_zone = child
            .hosted_zone(&props.child_zone_id)
            .await
            .map_err(|e| explain_read(e, props))?;
        // The policy before any call in the parent account: a refused request costs the DNS
        // account's Route 53 budget nothing.
        requester.may_delegate(self.config.policy.as_ref(), &child_zone.name)?;
        let parent = self
            .connector
            .parent(props.parent_role.as_ref(), session)
            .await?;
        let parent_zone = resolve_parent(&parent, &props.parent)
            .await
            .map_err(|e| explain_read(e, props))?;
        let name = check_names(&parent_zone, &child_zone, props.delegated_name.as_ref())?;
        let identity = Identity {
            parent_zone_id: parent_zone.id.clone(),
            name: name.clone(),
        };
        progress.set_identity(&identity);
        let mode = if existing.as_ref() == Some(&identity) {
            Mode::Converge
        } else {
            Mode::Create {
                on_conflict: props.on_conflict,
                allow_occluded_records: props.allow_occluded_records,
            }
        };

        let dnssec = async {
            match props.dnssec {
                DnssecMode::Off => Ok(None),
                _ => child.dnssec(&props.child_zone_id).await.map(Some).map_err(|e| match e {
                    AdapterError::AccessDenied(m) => AdapterError::AccessDenied(format!(
                        "{m}; grant route53:GetDNSSEC on the child zone to the reader role, or set Dnssec to off"
                    )),
                    other => other,
                }),
            }
        };
        let (dnssec, live) =
            tokio::try_join!(dnssec, parent.records_at_and_below(&parent_zone.id, &name))?;
        let desired = Desired {
            name: name.clone(),
            name_servers: child_zone.name_servers.clone(),
            ds: desired_ds(props.dnssec, dnssec.as_ref())?,
            ttl: props.ttl,
        };
        let planned = plan_upsert(&desired, &live, mode)?;

        progress.changed_route53.store(true, Ordering::SeqCst);
        let change = parent
            .change(&parent_zone.id, &planned.changes, &change_comment(request))
            .await
            .map_err(|e| {
                // A definite refusal changed nothing; a timeout or 5xx might have.
                if matches!(
                    e,
                    AdapterError::AccessDenied(_)
                        | AdapterError::Refused(_)
                        | AdapterError::Conflict(_)
                ) {
                    progress.changed_route53.store(false, Ordering::SeqCst);
                }
                change_failure(e, &parent_zone.id)
            })?;
        if props.wait_for_sync && !change.insync {
            let left = progress.wait_budget();
            if !parent.wait_insync(&change.id, left).await? {
                return Err(Failure::Other(format!(
                    "the change {} to {identity} was written but was not INSYNC within {} s; retry the stack operation, or set WaitForSync to false",
                    change.id,
                    left.as_secs()
                )));
            }
        }

        let ds = desired.ds.clone().unwrap_or_default();
        let data = BTreeMap::from([
            ("DelegatedName".to_owned(), name.to_string()),
            (
                "NameServers".to_owned(),
                plain_values(&child_zone.name_servers).join(","),
            ),
            ("ParentHostedZoneId".to_owned(), parent_zone.id.to_string()),
            ("ChildHostedZoneId".to_owned(), child_zone.id.to_string()),
            ("TTL".to_owned(), props.ttl.to_string()),
            ("ChangeId".to_owned(), change.id.clone()),
            ("DsRecord".to_owned(), ds.join(",")),
        ]);
        Ok(Done {
            answer: Answer::success(identity.to_string(), data),
            action: planned.outcome.as_str().to_owned(),
        })
    }

    async fn delete(&self, request: &Request, progress: &Progress) -> Result<Done, Failure> {
        let physical_id = request
            .envelope
            .physical_resource_id
            .clone()
            .unwrap_or_default();
        let nothing = |action: &str| Done {
            answer: Answer::success(physical_id.clone(), BTreeMap::new()),
            action: action.to_owned(),
        };
        let Some(identity) = Identity::parse(&physical_id) else {
            tracing::info!(physical_id = %physical_id, "Delete of an ID this provider never wrote (a failed or cancelled Create): nothing to do");
            return Ok(nothing("nothing-to-delete"));
        };
        progress.set_identity(&identity);
        let props = Properties::from_json(&request.properties)?;
        let session = self.session(request, &props, progress);
        self.verify_requester(
            request,
            &props,
            &session,
            Claim::Delete,
            Some(&identity.name),
        )
        .await?;
        let parent = self
            .connector
            .parent(props.parent_role.as_ref(), &session)
            .await?;
        let parent_zone = match parent.hosted_zone(&identity.parent_zone_id).await {
            Ok(zone) => zone,
            Err(AdapterError::NotFound(why)) => {
                tracing::info!(%why, "the parent zone no longer exists: nothing to delete");
                return Ok(nothing("parent-zone-gone"));
            }
            Err(e) => return Err(e.into()),
        };
        if !identity.name.is_strictly_below(&parent_zone.name) {
            tracing::warn!(name = %identity.name, parent = %parent_zone.name, "refusing to delete at or outside the parent zone's apex: this provider never wrote it");
            return Ok(nothing("refused-apex"));
        }
        let child_name_servers = self
            .child_name_servers(&props, &session, &identity.name)
            .await;
        let manage_ds = props.dnssec != DnssecMode::Off;
        // Re-read and retry when the record changed between our read and our DELETE.
        for attempt in 1..=DELETE_ATTEMPTS {
            let live = parent
                .records_at_and_below(&parent_zone.id, &identity.name)
                .await?;
            let changes = match plan_delete(
                &identity.name,
                &live,
                child_name_servers.as_deref(),
                manage_ds,
            ) {
                DeletePlan::Absent => return Ok(nothing("already-absent")),
                DeletePlan::Foreign { live_values } => {
                    tracing::warn!(name = %identity.name, live = ?live_values, child = ?child_name_servers, "the NS record now points at other name servers than the child zone's; someone else owns it, so it is left in place");
                    return Ok(nothing("left-foreign-record"));
                }
                DeletePlan::Delete(changes) => changes,
            };
            progress.changed_route53.store(true, Ordering::SeqCst);
            match parent
                .change(&parent_zone.id, &changes, &change_comment(request))
                .await
            {
                Ok(change) => {
                    if props.wait_for_sync
                        && !change.insync
                        && !parent
                            .wait_insync(&change.id, progress.wait_budget())
                            .await?
                    {
                        tracing::warn!(change = %change.id, "the deletion was accepted but not INSYNC before the deadline");
                    }
                    return Ok(nothing(if changes.len() > 1 {
                        "deleted-ns-and-ds"
                    } else {
                        "deleted"
                    }));
                }
                Err(AdapterError::Conflict(why)) if attempt < DELETE_ATTEMPTS => {
                    tracing::warn!(%why, attempt, "the record changed while deleting it; reading it again");
                }
                Err(e) => return Err(change_failure(e, &parent_zone.id)),
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// docs/design.md, "Who may ask": the requesting account is the stack's, confirmed with
    /// CloudFormation in that account; a stack in another account may only use a child role in
    /// its own account; the zone's account must be allotted the name (checked here when the name
    /// is already known, else as soon as the child zone is read). The cheapest refusals come
    /// first, and all of them before any call in the parent account.
    async fn verify_requester(
        &self,
        request: &Request,
        props: &Properties,
        session: &SessionContext,
        claim: Claim,
        name: Option<&DnsName>,
    ) -> Result<Requester, Failure> {
        let envelope = &request.envelope;
        check_parent_role(&self.config.parent_roles, props.parent_role.as_ref())?;
        let stack = StackRef::parse(&envelope.stack_id)
            .ok_or_else(|| Denial::BadStackId(envelope.stack_id.chars().take(120).collect()))?;
        let own_account = self.connector.own_account(session).await?;
        check_child_role(&own_account, &stack.account, props.child_role.as_ref())?;
        let requester = Requester {
            zone_account: zone_account(&stack.account, props.child_role.as_ref()).to_owned(),
            own_account,
            stack,
        };
        if let Some(name) = name {
            requester.may_delegate(self.config.policy.as_ref(), name)?;
        }
        if self.config.skip_request_verification {
            tracing::warn!(
                "request verification is OFF (DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION): anyone who can invoke this function can forge requests; use it only against an emulator"
            );
            return Ok(requester);
        }
        if let Verdict::Refused(why) = self.stack_verdict(request, props, session, claim, &requester).await? {
            let stack = &requester.stack;
            return Err(Denial::Unverified(format!(
                "stack {} in account {} does not show this request in progress: {why}",
                stack.name, stack.account
            ))
            .into());
        }
        Ok(requester)
    }

    /// What CloudFormation in the stack's account says of the request's resource.
    async fn stack_verdict(
        &self,
        request: &Request,
        props: &Properties,
        session: &SessionContext,
        claim: Claim,
        requester: &Requester,
    ) -> Result<Verdict, Failure> {
        let envelope = &request.envelope;
        let stack = &requester.stack;
        let unverified = |e: AdapterError| {
            Denial::Unverified(format!(
                "could not confirm with CloudFormation in account {} ({}) that stack {} is running this request: {e}. A stack in another account is read through ChildRoleArn, which needs cloudformation:DescribeStackResource, cloudformation:DescribeStacks and cloudformation:DescribeStackEvents on the stack",
                stack.account, stack.region, stack.name
            ))
        };
        let role = props
            .child_role
            .as_ref()
            .filter(|_| stack.account != requester.own_account);
        let stacks = self
            .connector
            .stacks(role, session, &stack.region)
            .await
            .map_err(unverified)?;
        let state = stacks
            .resource(&envelope.stack_id, &envelope.logical_resource_id)
            .await
            .map_err(unverified)?;
        let physical = envelope.physical_resource_id.as_deref();
        let verdict = verify_resource(
            claim,
            &request.resource_type,
            &envelope.logical_resource_id,
            physical,
            &state,
        );
        if verdict != Verdict::NeedsCleanupEvidence {
            return Ok(verdict);
        }
        let status = stacks
            .stack_status(&envelope.stack_id)
            .await
            .map_err(unverified)?;
        if !CLEANUP_STATUSES.contains(&status.as_str()) {
            return Ok(verify_cleanup(&envelope.logical_resource_id, &status, false));
        }
        // The replaced ID must be one this very resource had: the stack's events show it.
        let physical = physical.unwrap_or_default();
        let mut token = None;
        for _page in 0..MAX_EVENT_PAGES {
            let (events, next) = stacks
                .events(&envelope.stack_id, token)
                .await
                .map_err(unverified)?;
            match scan_events(
                &events,
                &envelope.logical_resource_id,
                physical,
                &request.resource_type,
            ) {
                EventScan::Found => {
                    return Ok(verify_cleanup(&envelope.logical_resource_id, &status, true));
                }
                EventScan::Absent => break,
                EventScan::ReadOn if next.is_none() => break,
                EventScan::ReadOn => token = next,
            }
        }
        Ok(verify_cleanup(&envelope.logical_resource_id, &status, false))
    }

    /// The child zone's name servers when it can still be read and is the delegated name's zone;
    /// `None` otherwise (deleted zone, role gone), in which case our identity's record is ours.
    async fn child_name_servers(
        &self,
        props: &Properties,
        session: &SessionContext,
        name: &DnsName,
    ) -> Option<Vec<String>> {
        let read = async {
            let child = self
                .connector
                .child(props.child_role.as_ref(), session)
                .await?;
            child.hosted_zone(&props.child_zone_id).await
        };
        match read.await {
            Ok(zone) => {
                if &zone.name != name {
                    tracing::warn!(child = %zone.name, %name, "the child zone has another name than the ID; its name servers decide whether the record is ours");
                }
                Some(zone.name_servers)
            }
            Err(e) => {
                tracing::info!(error = %e, "the child zone cannot be read; deleting the record at our identity");
                None
            }
        }
    }
}

async fn resolve_parent<P: ParentZoneStore>(
    parent: &P,
    reference: &ParentZoneRef,
) -> Result<Zone, AdapterError> {
    match reference {
        ParentZoneRef::Id(id) => parent.hosted_zone(id).await,
        ParentZoneRef::Name(name) => {
            let zones = parent.zones_named(name).await?;
            let public: Vec<&Zone> = zones.iter().filter(|z| !z.private).collect();
            match public.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(AdapterError::NotFound(format!(
                    "no public hosted zone is named {name} in the parent account ({} private); check ParentHostedZoneName, or give ParentHostedZoneId",
                    zones.len()
                ))),
                many => Err(AdapterError::Other(format!(
                    "{} public hosted zones are named {name} ({}); give ParentHostedZoneId to choose one",
                    many.len(),
                    many.iter()
                        .map(|z| z.id.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        }
    }
}

/// A failed change batch as the Reason states it: a refusal names its guardrail and what to do,
/// a permission problem the permission.
fn change_failure(e: AdapterError, parent_zone: &ZoneId) -> Failure {
    match e {
        AdapterError::Refused(refusal) => Failure::ChangeRefused { refusal },
        AdapterError::AccessDenied(m) => Failure::Aws(AdapterError::AccessDenied(format!(
            "{m}; the provider's role (or ParentRoleArn) needs route53:ChangeResourceRecordSets on {parent_zone} for NS and DS records"
        ))),
        other => Failure::Aws(other),
    }
}

/// Adds what to do to the errors of the first reads, which are mostly wiring mistakes.
fn explain_read(e: AdapterError, props: &Properties) -> AdapterError {
    match e {
        AdapterError::NotFound(m) => AdapterError::NotFound(format!(
            "{m}; check ChildHostedZoneId{} and the parent zone property",
            if props.child_role.is_some() {
                " and ChildRoleArn (the zone must be in the role's account)"
            } else {
                ""
            }
        )),
        AdapterError::AccessDenied(m) => AdapterError::AccessDenied(format!(
            "{m}; the child reader role needs route53:GetHostedZone on the child zone, and the provider's role (or ParentRoleArn) needs route53:GetHostedZone and route53:ListHostedZonesByName"
        )),
        other => other,
    }
}

/// The ID a failed answer carries: the real one once Route 53 may have changed (so the rollback
/// Delete cleans up), else the marker for a Create, else the existing ID.
fn fallback_id(envelope: &Envelope, progress: &Progress) -> String {
    match progress.identity() {
        // A replacing Update that may have written its new record answers the new ID, so
        // CloudFormation's rollback cleanup deletes it (it would be orphaned otherwise).
        Some(identity) if progress.changed_route53.load(Ordering::SeqCst) => identity.to_string(),
        _ => envelope
            .physical_resource_id
            .clone()
            .unwrap_or_else(|| failed_create_id(&envelope.request_id)),
    }
}

/// A request's text cut for a log line: CloudWatch splits events over 256 KB, and a split JSON
/// line is no longer the summary.
fn for_log(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn plain_values(values: &[String]) -> Vec<String> {
    values
        .iter()
        .map(|v| v.trim().trim_end_matches('.').to_ascii_lowercase())
        .collect()
}

fn stack_name(stack_id: &str) -> &str {
    // arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
    stack_id
        .split_once(":stack/")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
        .unwrap_or("")
}

/// `sd-<stack>-<logical id>`, cut to STS's 64 characters and its character set.
fn session_name(envelope: &Envelope) -> String {
    let raw = format!(
        "sd-{}-{}",
        stack_name(&envelope.stack_id),
        envelope.logical_resource_id
    );
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@-_".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if clean.len() < 2 {
        "sd-request".into()
    } else {
        clean
    }
}

fn change_comment(request: &Request) -> String {
    let e = &request.envelope;
    let comment = format!(
        "subdomain-delegation {} {}/{} {}",
        request.kind.as_str(),
        stack_name(&e.stack_id),
        e.logical_resource_id,
        e.request_id
    );
    comment.chars().take(256).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_traceable_and_valid() {
        let envelope = Envelope {
            stack_id: "arn:aws:cloudformation:us-east-1:111111111111:stack/StackSet-dns-abc/1234"
                .into(),
            logical_resource_id: "Delegation".into(),
            ..Envelope::default()
        };
        assert_eq!(session_name(&envelope), "sd-StackSet-dns-abc-Delegation");
        let long = Envelope {
            stack_id: format!(
                "arn:aws:cloudformation:us-east-1:1:stack/{}/1",
                "s".repeat(100)
            ),
            logical_resource_id: "L ö".into(),
            ..Envelope::default()
        };
        let name = session_name(&long);
        assert_eq!(name.len(), 64);
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c))
        );
    }
}
