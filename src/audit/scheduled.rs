//! The scheduled audit (docs/design.md, "Events"): an event `{"subdomainDelegationAudit": {...}}`,
//! sent by the EventBridge Scheduler schedule of cfn/provider.yaml, runs the audit in the function.
//! It prints one JSON line per finding, per removal and per error, a summary line, and the counts
//! per verdict and parent zone as CloudWatch metrics in the Embedded Metric Format (stdout; no API
//! call). Removal is the deployment's decision (`DELEGATION_AUDIT_REMOVE_DANGLING`), never the
//! event's.

use super::report::{self, delegation_json, error_json, removal_json, summary_json};
use super::{Options, add_overrides, parent_role, parse_nameserver_address, parse_zone};
use crate::config::Config;
use crate::dns::prober::DEFAULT_TIMEOUT;
use crate::domain::verdict::Verdict;
use crate::text::comma_list;
use crate::usecase::audit::{
    AuditRequest, DEFAULT_CONCURRENCY, DEFAULT_RECHECK_AFTER, Quiet, RemovalRequest,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// The event's key.
pub const EVENT_KEY: &str = "subdomainDelegationAudit";
/// The audit stops this long before the Lambda deadline, to print what it has.
const DEADLINE_MARGIN: Duration = Duration::from_secs(5);

/// The audit event's settings; every field optional, unknown fields refused.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuditEvent {
    /// Parent zones by ID or name; absent or empty: every public zone.
    #[serde(default)]
    pub zones: Vec<String>,
    /// `{"ns1.example.net": "192.0.2.53:53"}` (a string or a list of strings per host).
    #[serde(default)]
    pub nameserver_addresses: HashMap<String, OneOrMany>,
    /// Must be one of `DELEGATION_PARENT_ROLE_ARNS`.
    pub parent_role_arn: Option<String>,
    pub parent_external_id: Option<String>,
    pub concurrency: Option<usize>,
    pub timeout_seconds: Option<f64>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The deployment's removal settings (template parameters `AuditRemoveDangling` and
/// `AllowedRecordNames`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemovalSettings {
    /// `DELEGATION_AUDIT_REMOVE_DANGLING=true`.
    pub remove_dangling: bool,
    /// `DELEGATION_AUDIT_ALLOWED_NAMES`: comma-separated IAM `StringLike` patterns.
    pub allowed_names: Vec<String>,
}

impl RemovalSettings {
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Self {
        RemovalSettings {
            remove_dangling: var("DELEGATION_AUDIT_REMOVE_DANGLING")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            allowed_names: comma_list(var("DELEGATION_AUDIT_ALLOWED_NAMES").as_deref()),
        }
    }
}

/// Whether a Lambda event is an audit event.
pub fn is_audit_event(event: &Value) -> bool {
    event.get(EVENT_KEY).is_some()
}

/// The options an audit event asks for, within what the deployment allows.
pub fn options(
    event: &Value,
    config: &Config,
    removal: &RemovalSettings,
) -> Result<Options, String> {
    let settings = match event.get(EVENT_KEY) {
        None | Some(Value::Null) => AuditEvent::default(),
        Some(v) => AuditEvent::deserialize(v).map_err(|e| format!("{EVENT_KEY}: {e}"))?,
    };
    let zones = settings
        .zones
        .iter()
        .map(|z| parse_zone(z))
        .collect::<Result<Vec<_>, _>>()?;
    let mut overrides = HashMap::new();
    for (host, addrs) in &settings.nameserver_addresses {
        let addrs = match addrs {
            OneOrMany::One(a) => vec![a.clone()],
            OneOrMany::Many(v) => v.clone(),
        };
        for addr in addrs {
            add_overrides(
                &mut overrides,
                [parse_nameserver_address(&format!("{host}={addr}"))?],
            );
        }
    }
    let role = match &settings.parent_role_arn {
        Some(arn) if !config.parent_roles.contains(arn) => {
            return Err(format!(
                "parentRoleArn {arn} is not one of DELEGATION_PARENT_ROLE_ARNS (template parameter ParentRoleArn)"
            ));
        }
        Some(arn) => Some(parent_role(arn, settings.parent_external_id.clone())?),
        None => None,
    };
    // Addresses from the event could make healthy delegations look dangling: never remove on them.
    let remove =
        removal.remove_dangling && overrides.is_empty() && !removal.allowed_names.is_empty();
    if removal.remove_dangling && !remove {
        tracing::warn!(
            "removal is on, but not for this run: the event overrides name-server addresses, or DELEGATION_AUDIT_ALLOWED_NAMES is empty"
        );
    }
    Ok(Options {
        request: AuditRequest {
            zones,
            concurrency: settings
                .concurrency
                .unwrap_or(DEFAULT_CONCURRENCY)
                .clamp(1, 1024),
            removal: remove.then(|| RemovalRequest {
                allowed_names: removal.allowed_names.clone(),
                recheck_after: DEFAULT_RECHECK_AFTER,
                comment: "subdomain-delegation scheduled audit".into(),
            }),
        },
        nameserver_addresses: overrides,
        parent_role: role,
        dns_timeout: settings
            .timeout_seconds
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 30.0)
            .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64),
    })
}

/// Handles one audit event before `deadline`; prints the lines and returns the summary.
pub async fn handle(event: &Value, config: &Config, deadline: Instant) -> Value {
    let removal = RemovalSettings::from_lookup(|name| std::env::var(name).ok());
    let options = match options(event, config, &removal) {
        Ok(options) => options,
        Err(why) => {
            tracing::error!(problem = %why, "ignoring an audit event with invalid settings");
            return json!({"record": "summary", "error": why, "exit_code": report::EXIT_USAGE});
        }
    };
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let stop = deadline
        .checked_sub(DEADLINE_MARGIN)
        .unwrap_or_else(Instant::now);
    let run = match tokio::time::timeout_at(stop, super::run(&sdk, config, &options, &Quiet)).await
    {
        Ok(Ok(run)) => run,
        Ok(Err(why)) => {
            tracing::error!(problem = %why, "the audit could not start");
            return json!({"record": "summary", "error": why, "exit_code": report::EXIT_ERRORS});
        }
        Err(_) => {
            let why = "the audit did not finish before the Lambda deadline; raise the function's timeout or audit fewer zones per event";
            tracing::error!(problem = why, "audit timed out");
            return json!({"record": "summary", "error": why, "exit_code": report::EXIT_ERRORS});
        }
    };
    let r = &run.report;
    let findings = r
        .audited
        .iter()
        .filter(|a| a.judgement.verdict != Verdict::Ok);
    let lines = findings
        .map(delegation_json)
        .chain(r.removals.iter().map(removal_json))
        .chain(r.errors.iter().map(error_json));
    for line in lines {
        println!("{line}");
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    for line in report::emf_lines(r, now_ms) {
        println!("{line}");
    }
    let summary = summary_json(
        r,
        run.route53_calls,
        run.dns_queries,
        run.elapsed.as_millis(),
    );
    println!("{summary}");
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(roles: &[&str]) -> Config {
        Config {
            parent_roles: roles.iter().map(|r| r.to_string()).collect(),
            ..Config::default()
        }
    }

    const ROLE: &str = "arn:aws:iam::111111111111:role/parent";

    #[test]
    fn audit_events_are_read_within_what_the_deployment_allows() {
        assert!(is_audit_event(&json!({EVENT_KEY: {}})));
        assert!(!is_audit_event(&json!({"RequestType": "Create"})));
        let on = RemovalSettings {
            remove_dangling: true,
            allowed_names: vec!["*.example.com".into()],
        };
        let o = options(&json!({EVENT_KEY: {}}), &config(&[]), &on).unwrap();
        assert!(o.request.zones.is_empty());
        assert_eq!(
            o.request.removal.unwrap().recheck_after,
            DEFAULT_RECHECK_AFTER
        );
        let event = json!({EVENT_KEY: {
            "zones": ["example.com", "Z0ABC"],
            "nameserverAddresses": {"ns1.example.net": "127.0.0.1:5353", "ns2": ["127.0.0.2", "[::1]:53"]},
            "parentRoleArn": ROLE, "concurrency": 5000, "timeoutSeconds": 0.5,
        }});
        let o = options(&event, &config(&[ROLE]), &on).unwrap();
        assert_eq!(o.request.zones.len(), 2);
        assert_eq!(o.nameserver_addresses["ns2"].len(), 2);
        assert_eq!(o.request.concurrency, 1024);
        assert_eq!(o.dns_timeout, Duration::from_millis(500));
        assert!(
            o.request.removal.is_none(),
            "overridden addresses never remove"
        );
        let e = options(&event, &config(&[]), &on).unwrap_err();
        assert!(e.contains("not one of DELEGATION_PARENT_ROLE_ARNS"), "{e}");
        let off = RemovalSettings::default();
        assert!(
            options(&json!({EVENT_KEY: null}), &config(&[]), &off)
                .unwrap()
                .request
                .removal
                .is_none()
        );
        for bad in [
            json!({EVENT_KEY: {"removeDangling": true}}),
            json!({EVENT_KEY: {"zones": ["a..b"]}}),
            json!({EVENT_KEY: {"nameserverAddresses": {"ns": "nowhere"}}}),
            json!({EVENT_KEY: "all"}),
        ] {
            assert!(options(&bad, &config(&[]), &off).is_err(), "{bad}");
        }
    }

    #[test]
    fn removal_settings_come_from_the_environment() {
        let vars = |name: &str| match name {
            "DELEGATION_AUDIT_REMOVE_DANGLING" => Some("TRUE".to_owned()),
            "DELEGATION_AUDIT_ALLOWED_NAMES" => Some(" *.a.example.com, ,b.example.com".to_owned()),
            _ => None,
        };
        let s = RemovalSettings::from_lookup(vars);
        assert!(s.remove_dangling);
        assert_eq!(s.allowed_names, ["*.a.example.com", "b.example.com"]);
        assert_eq!(
            RemovalSettings::from_lookup(|_| None),
            RemovalSettings::default()
        );
    }
}
