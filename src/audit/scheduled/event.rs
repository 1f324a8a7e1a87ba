//! The audit event (docs/design.md, "Events"): its fields, and the options it asks for within what
//! the deployment allows; whoever may invoke the function can send it (docs/design.md, "Who may
//! ask"), so it may only narrow the deployment's audit.

use super::refusal::Refusal;
use super::settings::AuditSettings;
use crate::audit::{Options, add_overrides, parent_role, parse_nameserver_address};
use crate::config::Config;
use crate::dns::prober::DEFAULT_TIMEOUT;
use crate::usecase::audit::{
    AuditRequest, DEFAULT_CONCURRENCY, DEFAULT_RECHECK_AFTER, RemovalRequest,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// The event's key.
pub const EVENT_KEY: &str = "subdomainDelegationAudit";
/// The most delegations one event may have probed at once: the deployment's own, which an event
/// may only lower (more would multiply the DNS queries a forged event sends).
pub(super) const MAX_EVENT_CONCURRENCY: usize = DEFAULT_CONCURRENCY;
/// The longest DNS try an event may ask for: the deployment's own, which an event may only lower
/// (longer tries keep the run, and its Route 53 pacing, busy longer).
pub(super) const MAX_EVENT_TIMEOUT: Duration = DEFAULT_TIMEOUT;

/// The audit event's settings; every field optional, unknown fields refused.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuditEvent {
    /// Parent zones by ID or name, each one of `DELEGATION_AUDIT_ZONES`; absent or empty: all of
    /// them.
    #[serde(default)]
    pub zones: Vec<String>,
    /// `{"ns1.example.net": "192.0.2.53:53"}` (a string or a list of strings per host); only when
    /// every endpoint is a loopback address.
    #[serde(default)]
    pub nameserver_addresses: HashMap<String, OneOrMany>,
    /// Must be one of `DELEGATION_PARENT_ROLE_ARNS`.
    pub parent_role_arn: Option<String>,
    pub parent_external_id: Option<String>,
    /// At most the deployment's concurrency.
    pub concurrency: Option<usize>,
    /// At most the deployment's DNS timeout.
    pub timeout_seconds: Option<f64>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Whether a Lambda event is an audit event.
pub fn is_audit_event(event: &Value) -> bool {
    event.get(EVENT_KEY).is_some()
}

/// The options an audit event asks for, within what the deployment allows.
pub fn options(
    event: &Value,
    config: &Config,
    settings: &AuditSettings,
) -> Result<Options, Refusal> {
    if settings.disabled {
        return Err(Refusal::Disabled);
    }
    let event = match event.get(EVENT_KEY) {
        None | Some(Value::Null) => AuditEvent::default(),
        Some(v) => AuditEvent::deserialize(v).map_err(|e| Refusal::Invalid(e.to_string()))?,
    };
    let zones = settings.scope.narrow(&event.zones)?;
    let mut overrides = HashMap::new();
    for (host, addrs) in &event.nameserver_addresses {
        let addrs = match addrs {
            OneOrMany::One(a) => std::slice::from_ref(a),
            OneOrMany::Many(v) => v.as_slice(),
        };
        for addr in addrs {
            let entry =
                parse_nameserver_address(&format!("{host}={addr}")).map_err(Refusal::Invalid)?;
            add_overrides(&mut overrides, [entry]);
        }
    }
    if let (false, Some(why)) = (overrides.is_empty(), &settings.overrides_refused) {
        return Err(Refusal::AddressOverrides(why.clone()));
    }
    let concurrency = match event.concurrency {
        None => MAX_EVENT_CONCURRENCY,
        Some(n) if (1..=MAX_EVENT_CONCURRENCY).contains(&n) => n,
        Some(n) => return Err(Refusal::Concurrency(n)),
    };
    let dns_timeout = match event.timeout_seconds {
        None => MAX_EVENT_TIMEOUT,
        Some(s) if s.is_finite() && s > 0.0 && s <= MAX_EVENT_TIMEOUT.as_secs_f64() => {
            Duration::from_secs_f64(s)
        }
        Some(s) => return Err(Refusal::Timeout(s.to_string())),
    };
    let role = match &event.parent_role_arn {
        Some(arn) if !config.parent_roles.contains(arn) => {
            return Err(Refusal::ParentRole(arn.clone()));
        }
        Some(arn) => {
            Some(parent_role(arn, event.parent_external_id.clone()).map_err(Refusal::Invalid)?)
        }
        None => None,
    };
    let removal = &settings.removal;
    // Addresses from the event could make healthy delegations look dangling: never remove on them.
    let remove =
        removal.remove_dangling && overrides.is_empty() && !removal.allowed_names.is_empty();
    if removal.remove_dangling && !remove {
        tracing::warn!(
            "removal is on, but not for this run: the event overrides name-server addresses, or DELEGATION_AUDIT_ALLOWED_NAMES is empty"
        );
    }
    // Nor import findings made with them into a real Security Hub: only into an emulator's.
    let security_hub =
        settings.security_hub && (overrides.is_empty() || settings.security_hub_on_loopback);
    if settings.security_hub && !security_hub {
        tracing::warn!(
            "the Security Hub import is on, but not for this run: the event overrides name-server addresses and Security Hub's endpoint is not a loopback address"
        );
    }
    Ok(Options {
        request: AuditRequest {
            zones,
            concurrency,
            removal: remove.then(|| RemovalRequest {
                allowed_names: removal.allowed_names.clone(),
                recheck_after: DEFAULT_RECHECK_AFTER,
                comment: "subdomain-delegation scheduled audit".into(),
            }),
        },
        nameserver_addresses: overrides,
        parent_role: role,
        dns_timeout,
        security_hub,
    })
}

#[cfg(test)]
#[path = "tests/event.rs"]
mod tests;
