//! Why an audit event is refused (docs/design.md, "Events"): the rule that refused it, named in the
//! summary line; nothing is read or asked before the refusal.

use super::event::{EVENT_KEY, MAX_EVENT_CONCURRENCY, MAX_EVENT_TIMEOUT};
use super::settings::AuditSettingsError;

/// Why an audit event is refused; nothing is read or asked before the refusal.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "this deployment has no audit (DELEGATION_AUDIT_DISABLED=true, template parameter EnableAudit=false), so audit events are refused; run `subdomain-delegation audit` with your own credentials, or deploy with EnableAudit=true"
    )]
    Disabled,
    #[error(transparent)]
    Settings(#[from] AuditSettingsError),
    #[error("{EVENT_KEY}: {0}")]
    Invalid(String),
    #[error(
        "zone {zone} is not one of the deployment's audit zones ({configured}, DELEGATION_AUDIT_ZONES): an audit event may only narrow the deployment's audit, naming its zones as the deployment does"
    )]
    ZoneNotConfigured { zone: String, configured: String },
    #[error(
        "the deployment audits every public zone the function lists (DELEGATION_AUDIT_ZONES unset or *), so an audit event may not name zones; set AuditZones to let events narrow the audit, or run `subdomain-delegation audit ZONE` with your own credentials"
    )]
    ZonesNotConfigurable,
    #[error(
        "nameserverAddresses is honoured only when every endpoint the function uses is a loopback address (a local emulator), but {0}"
    )]
    AddressOverrides(String),
    #[error(
        "concurrency {0} is not from 1 to {MAX_EVENT_CONCURRENCY}: an audit event may only lower the deployment's"
    )]
    Concurrency(usize),
    #[error(
        "timeoutSeconds {0} is not above 0 and at most {max}: an audit event may only lower the deployment's",
        max = MAX_EVENT_TIMEOUT.as_secs_f64()
    )]
    Timeout(String),
    #[error(
        "parentRoleArn {0} is not one of DELEGATION_PARENT_ROLE_ARNS (template parameter ParentRoleArn)"
    )]
    ParentRole(String),
    #[error(
        "another audit is running in this execution environment; this event is refused rather than run beside it"
    )]
    AlreadyRunning,
}

impl Refusal {
    /// The rule that refused, for the summary line (`"refused"`) and the log.
    pub fn rule(&self) -> &'static str {
        match self {
            Refusal::Disabled => "disabled",
            Refusal::Settings(_) => "settings",
            Refusal::Invalid(_) => "invalid",
            Refusal::ZoneNotConfigured { .. } | Refusal::ZonesNotConfigurable => "zones",
            Refusal::AddressOverrides(_) => "nameserver-addresses",
            Refusal::Concurrency(_) => "concurrency",
            Refusal::Timeout(_) => "timeout",
            Refusal::ParentRole(_) => "parent-role",
            Refusal::AlreadyRunning => "overlap",
        }
    }
}
