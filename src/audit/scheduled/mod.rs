//! The scheduled audit (docs/design.md, "Events"): an event `{"subdomainDelegationAudit": {...}}`,
//! sent by the EventBridge Scheduler schedule of cfn/provider.yaml, runs the audit in the function.
//! It prints one JSON line per finding (a delegation that is not `ok` or has warnings), per
//! removal and per error, a summary line, and the counts per verdict and parent zone as CloudWatch
//! metrics in the Embedded Metric Format (stdout; no API call); with
//! `DELEGATION_AUDIT_SECURITY_HUB=true` it imports its findings into Security Hub too.
//!
//! Whoever may invoke the function can send this event (docs/design.md, "Who may ask"), so it may
//! only narrow the deployment's audit: none at all with `DELEGATION_AUDIT_DISABLED=true`, zones
//! among `DELEGATION_AUDIT_ZONES`, a lower concurrency or DNS timeout, name-server address
//! overrides only against a local emulator, and one run at a time per execution environment.
//! Removal is the deployment's decision (`DELEGATION_AUDIT_REMOVE_DANGLING`), never the event's. A
//! refused event costs no Route 53 call and no DNS query.
//!
//! Layout: `event` reads an audit event and narrows the deployment's audit to what it asks;
//! `settings` reads what the deployment allows; `refusal` says why an event is refused; `handler`
//! runs an admitted event, one at a time, and prints what it found.

mod event;
#[cfg(test)]
mod fixtures;
mod handler;
mod refusal;
mod settings;

pub use event::{AuditEvent, EVENT_KEY, OneOrMany, is_audit_event, options};
pub use handler::handle;
pub use refusal::Refusal;
pub use settings::{
    AuditScope, AuditSettings, AuditSettingsError, DISABLED_VAR, RemovalSettings, SECURITY_HUB_VAR,
    ZONES_VAR,
};
