//! The use cases: what the provider does for a request, as short async functions over the ports
//! (docs/design.md, "Lifecycle" and "Who may ask"). A runner (the CloudFormation runner today)
//! parses the request and answers it; these decide what to read, check and write. Reading the
//! parent zone, planning and writing are separate steps, so a runner can also drive them for many
//! requests against one parent zone. The audit (`audit`) reads every delegation of parent zones
//! and judges it over DNS.

pub mod audit;
pub mod findings;
pub mod pipeline;
pub mod probe;
pub mod records;
pub mod verify;

use crate::config::Config;
use crate::domain::authority::Denial;
use crate::domain::guardrail::ChangeRefusal;
use crate::domain::model::RequestKind;
use crate::domain::plan::{Identity, Refusal};
use crate::domain::properties::{Properties, PropertyError, ZoneId};
use crate::ports::{AdapterError, Connector, During, ErrorKind, SessionContext};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// Time kept back from a wait for INSYNC, for the answer.
const ANSWER_RESERVE: Duration = Duration::from_secs(1);

/// A request as the use cases see it: typed, with what names its stack resource.
#[derive(Clone, Debug)]
pub struct DelegationRequest {
    pub kind: RequestKind,
    pub stack_id: String,
    pub logical_id: String,
    pub request_id: String,
    pub resource_type: String,
    /// The resource's current PhysicalResourceId (Update, Delete).
    pub physical_id: Option<String>,
    /// The properties, or why they are wrong (a Delete of an ID the provider never wrote succeeds
    /// whatever its properties say).
    pub props: Result<Properties, PropertyError>,
}

impl DelegationRequest {
    fn props(&self) -> Result<&Properties, Failure> {
        self.props
            .as_ref()
            .map_err(|e| Failure::Properties(e.clone()))
    }

    /// The change batch's comment: who asked, for the parent zone's history.
    fn change_comment(&self) -> String {
        let comment = format!(
            "subdomain-delegation {} {}/{} {}",
            self.kind.as_str(),
            stack_name(&self.stack_id),
            self.logical_id,
            self.request_id
        );
        comment.chars().take(MAX_COMMENT_CHARS).collect()
    }
}

/// Route 53's limit on a change batch comment.
const MAX_COMMENT_CHARS: usize = 256;
/// STS's limit on a role session name.
const MAX_SESSION_NAME_CHARS: usize = 64;

/// `<name>` of `arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`, or "".
pub fn stack_name(stack_id: &str) -> &str {
    stack_id
        .split_once(":stack/")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
        .unwrap_or("")
}

/// `sd-<stack>-<logical id>`, cut to STS's 64 characters and its character set: traceable in
/// CloudTrail to the stack that asked.
pub fn session_name(stack_id: &str, logical_id: &str) -> String {
    let raw = format!("sd-{}-{logical_id}", stack_name(stack_id));
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@-_".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(MAX_SESSION_NAME_CHARS)
        .collect();
    if clean.len() < 2 {
        "sd-request".into()
    } else {
        clean
    }
}

/// Why a request failed; the message is the first sentence of the Reason.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Properties(PropertyError),
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("{0}")]
    Aws(#[from] AdapterError),
    #[error("{0}")]
    Denied(#[from] Denial),
    #[error("{0}")]
    ChangeRefused(ChangeRefusal),
    #[error(
        "the change {change} to {identity} was written but was not INSYNC within {waited_secs} s; retry the stack operation, or set WaitForSync to false"
    )]
    NotInSync {
        change: String,
        identity: Identity,
        waited_secs: u64,
    },
}

impl Failure {
    /// STS refused a role the request names: the one failure that waiting may cure (IAM
    /// propagation), so a batch tries it again after answering the others.
    pub fn is_role_refusal(&self) -> bool {
        matches!(self, Failure::Aws(e) if e.is(&ErrorKind::RoleRefused))
    }
}

/// What the summary line says a request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Created,
    Adopted,
    Replaced,
    Updated,
    Unchanged,
    NothingToDelete,
    ParentZoneGone,
    RefusedApex,
    AlreadyAbsent,
    LeftForeignRecord,
    Deleted,
    DeletedNsAndDs,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Created => "created",
            Action::Adopted => "adopted",
            Action::Replaced => "replaced",
            Action::Updated => "updated",
            Action::Unchanged => "unchanged",
            Action::NothingToDelete => "nothing-to-delete",
            Action::ParentZoneGone => "parent-zone-gone",
            Action::RefusedApex => "refused-apex",
            Action::AlreadyAbsent => "already-absent",
            Action::LeftForeignRecord => "left-foreign-record",
            Action::Deleted => "deleted",
            Action::DeletedNsAndDs => "deleted-ns-and-ds",
        })
    }
}

/// What a request achieved: the ID and attributes to answer, and what was done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub physical_id: String,
    pub data: BTreeMap<String, String>,
    pub action: Action,
}

impl Outcome {
    /// A Delete's answer: the ID it was asked to delete, no attributes.
    pub fn of_delete(request: &DelegationRequest, action: Action) -> Self {
        Outcome {
            physical_id: request.physical_id.clone().unwrap_or_default(),
            data: BTreeMap::new(),
            action,
        }
    }
}

/// What a runner must know of a request still under way: for the summary line, and for the ID a
/// failed or timed-out request answers.
#[derive(Debug)]
pub struct Progress {
    /// When the runner's deadline guard answers; waits end a little before it.
    guard_at: Instant,
    identity: Mutex<Option<Identity>>,
    /// Set just before a change batch is sent, cleared when Route 53 refused it outright.
    wrote: AtomicBool,
}

impl Progress {
    pub fn new(guard_at: Instant) -> Self {
        Progress {
            guard_at,
            identity: Mutex::default(),
            wrote: AtomicBool::default(),
        }
    }

    /// The identity the request acts on, once known.
    pub fn identity(&self) -> Option<Identity> {
        self.identity.lock().map(|i| i.clone()).unwrap_or(None)
    }

    fn set_identity(&self, identity: &Identity) {
        if let Ok(mut slot) = self.identity.lock() {
            *slot = Some(identity.clone());
        }
    }

    /// Whether Route 53 may have been changed (a batch was sent and not refused outright).
    pub fn may_have_written(&self) -> bool {
        self.wrote.load(Ordering::SeqCst)
    }

    /// Just before a change batch with this request's changes is sent.
    fn writing(&self) {
        self.wrote.store(true, Ordering::SeqCst);
    }

    /// Route 53 refused that batch outright (denied, refused, stale): nothing changed.
    fn refused(&self) {
        self.wrote.store(false, Ordering::SeqCst);
    }

    pub fn guard_at(&self) -> Instant {
        self.guard_at
    }

    /// Time left for waiting on Route 53, keeping some for the answer.
    fn wait_budget(&self) -> Duration {
        self.guard_at
            .saturating_duration_since(Instant::now())
            .saturating_sub(ANSWER_RESERVE)
    }
}

/// What the use cases act through: the adapters, the settings, who they act as, and the
/// request's progress.
pub struct Context<'a, C: Connector> {
    pub connector: &'a C,
    pub config: &'a Config,
    pub session: SessionContext,
    pub progress: &'a Progress,
}

/// A definite refusal of a change batch: Route 53 applied none of it.
fn changed_nothing(e: &AdapterError) -> bool {
    matches!(
        e.kind,
        ErrorKind::AccessDenied | ErrorKind::Refused(_) | ErrorKind::Stale
    )
}

/// A failed change batch as the Reason states it: a refusal names its guardrail and what to do,
/// a permission problem the permission.
fn change_failure(e: AdapterError, parent_zone: &ZoneId) -> Failure {
    match e.kind {
        ErrorKind::Refused(refusal) => Failure::ChangeRefused(refusal),
        _ => Failure::Aws(e.during(During::Change {
            parent_zone: parent_zone.clone(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_traceable_and_valid() {
        assert_eq!(
            session_name(
                "arn:aws:cloudformation:us-east-1:111111111111:stack/StackSet-dns-abc/1234",
                "Delegation"
            ),
            "sd-StackSet-dns-abc-Delegation"
        );
        let name = session_name(
            &format!(
                "arn:aws:cloudformation:us-east-1:1:stack/{}/1",
                "s".repeat(100)
            ),
            "L ö",
        );
        assert_eq!(name.len(), 64);
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c))
        );
    }
}
