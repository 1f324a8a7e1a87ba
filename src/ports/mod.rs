//! What the handler and the audit need from AWS and DNS, as small traits: the adapters implement
//! them, tests inject mocks.

use crate::domain::finding::{FailedFinding, Finding};
use crate::domain::listing::{Cursor, RecordPage};
use crate::domain::model::{
    Change, DnssecState, LiveRecord, ResourceState, StackEvent, StackStatus, SubmittedChange, Zone,
};
use crate::domain::name::DnsName;
use crate::domain::probe::{Question, Reply};
use crate::domain::properties::{RoleSpec, ZoneId};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::Instant;

mod error;
pub use error::{AdapterError, During, ErrorKind};

/// Reads the child zone, in the child account.
#[allow(async_fn_in_trait)]
pub trait ChildZoneReader {
    async fn hosted_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError>;
    async fn dnssec(&self, id: &ZoneId) -> Result<DnssecState, AdapterError>;
}

/// Reads and changes the parent zone, in the parent account.
#[allow(async_fn_in_trait)]
pub trait ParentZoneStore {
    async fn hosted_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError>;
    /// Every zone whose name is exactly `name` (all pages), public and private.
    async fn zones_named(&self, name: &DnsName) -> Result<Vec<Zone>, AdapterError>;
    /// One page of the zone's record sets in Route 53's listing order, from `from` on.
    async fn records_page(&self, zone: &ZoneId, from: &Cursor) -> Result<RecordPage, AdapterError>;
    async fn change(
        &self,
        zone: &ZoneId,
        changes: &[Change],
        comment: &str,
    ) -> Result<SubmittedChange, AdapterError>;
    /// `change`, but answering [`ErrorKind::Throttled`] once Route 53 has throttled it
    /// `tries` times: a batch splits a call that the change-throughput limit keeps refusing (a
    /// call larger than the bucket would wait until the deadline), where one request just waits.
    async fn change_unless_throttled(
        &self,
        zone: &ZoneId,
        changes: &[Change],
        comment: &str,
        tries: u32,
    ) -> Result<SubmittedChange, AdapterError> {
        let _ = tries;
        self.change(zone, changes, comment).await
    }
    /// Waits up to `max` for the change to be INSYNC; `Ok(false)` when time ran out first.
    async fn wait_insync(&self, change_id: &str, max: Duration) -> Result<bool, AdapterError>;
}

/// How long AssumeRole's AccessDenied is retried for one request: a role created moments ago is
/// refused by STS until IAM has propagated it (docs/design.md, "Who may ask").
pub const ASSUME_ROLE_PATIENCE: Duration = Duration::from_secs(30);

/// Route 53 HTTP attempts (retries included) and how many of them were throttled: what the
/// summary line and the metrics report of a request (docs/design.md, "Logs" and "Metrics").
#[derive(Debug, Default)]
pub struct CallTally {
    calls: AtomicU32,
    throttles: AtomicU32,
}

impl CallTally {
    pub fn call(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    pub fn throttled(&self) {
        self.throttles.fetch_add(1, Ordering::Relaxed);
    }

    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::Relaxed)
    }

    pub fn throttles(&self) -> u32 {
        self.throttles.load(Ordering::Relaxed)
    }
}

/// Who the adapters act as, and where STS is asked.
#[derive(Clone, Debug)]
pub struct SessionContext {
    /// A traceable role session name (stack and logical ID), at most 64 characters.
    pub session_name: String,
    pub sts_region: String,
    /// Route 53 HTTP attempts of this request, for the summary log line and the metrics.
    pub route53: Arc<CallTally>,
    /// Until when a refused AssumeRole is tried again: a reader role created in the same stack
    /// is refused until IAM has propagated it (docs/design.md, "Who may ask"). A batch's first
    /// pass tries once, so that a role that refuses holds no other request.
    pub role_patience_until: Instant,
}

/// Reads a stack's state from CloudFormation, in the stack's account and region.
#[allow(async_fn_in_trait)]
pub trait StackReader {
    /// `DescribeStackResource`: the logical resource's status and current PhysicalResourceId.
    async fn resource(
        &self,
        stack_id: &str,
        logical_id: &str,
    ) -> Result<ResourceState, AdapterError>;
    /// `DescribeStacks`: the stack's status.
    async fn stack_status(&self, stack_id: &str) -> Result<StackStatus, AdapterError>;
    /// `DescribeStackEvents`: one page of the stack's events, newest first, and the token of the
    /// next (older) page.
    async fn events(
        &self,
        stack_id: &str,
        next_token: Option<String>,
    ) -> Result<(Vec<StackEvent>, Option<String>), AdapterError>;
}

/// Makes adapters for one request, assuming the request's roles.
#[allow(async_fn_in_trait)]
pub trait Connector {
    type Child: ChildZoneReader;
    type Parent: ParentZoneStore;
    type Stacks: StackReader;
    /// CloudFormation in `region`, as `role` (the child reader role) or as the provider itself.
    async fn stacks(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
        region: &str,
    ) -> Result<Self::Stacks, AdapterError>;
    /// The account the provider runs in.
    async fn own_account(&self, session: &SessionContext) -> Result<String, AdapterError>;
    async fn child(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
    ) -> Result<Self::Child, AdapterError>;
    async fn parent(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
    ) -> Result<Self::Parent, AdapterError>;
}

/// Lists the parent zones and their records for the audit (docs/design.md, "Audit"): as few
/// Route 53 calls as paging allows.
#[allow(async_fn_in_trait)]
pub trait ZoneLister {
    /// Every public hosted zone the credentials can list (all pages of `ListHostedZones`).
    async fn public_zones(&self) -> Result<Vec<Zone>, AdapterError>;
    /// Every NS and DS record set of the zone (all pages of `ListResourceRecordSets`, 300 a page);
    /// other types are dropped as they are read.
    async fn delegation_records(&self, zone: &ZoneId) -> Result<Vec<LiveRecord>, AdapterError>;
}

/// Asks name servers directly over DNS (docs/design.md, "Audit").
#[allow(async_fn_in_trait)]
pub trait DnsProber {
    /// The addresses of a name server host (`ip:port`): the configured override, else the system
    /// resolver; IPv4 first.
    async fn addresses(&self, host: &str) -> Result<Vec<SocketAddr>, String>;
    /// Asks `server` one question about `name`, without recursion (RD=0); UDP, TCP when the
    /// answer is truncated; a timeout and one retry.
    async fn ask(&self, server: SocketAddr, name: &DnsName, question: Question) -> Reply;
}

/// Sends the audit's findings to AWS Security Hub (docs/design.md, "Audit").
#[allow(async_fn_in_trait)]
pub trait FindingsSink {
    /// One `BatchImportFindings` call of at most `usecase::findings::FINDINGS_PER_CALL`
    /// findings: the ones Security Hub did not import, with why; `Err` when the call failed.
    async fn import(&self, findings: &[Finding]) -> Result<Vec<FailedFinding>, AdapterError>;
}
