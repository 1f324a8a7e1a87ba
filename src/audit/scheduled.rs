//! The scheduled audit (docs/design.md, "Events"): an event `{"subdomainDelegationAudit": {...}}`,
//! sent by the EventBridge Scheduler schedule of cfn/provider.yaml, runs the audit in the function.
//! It prints one JSON line per finding, per removal and per error, a summary line, and the counts
//! per verdict and parent zone as CloudWatch metrics in the Embedded Metric Format (stdout; no API
//! call).
//!
//! Whoever may invoke the function can send this event (docs/design.md, "Who may ask"), so it may
//! only narrow the deployment's audit: none at all with `DELEGATION_AUDIT_DISABLED=true`, zones
//! among `DELEGATION_AUDIT_ZONES`, a lower concurrency or DNS timeout, name-server address
//! overrides only against a local emulator, and one run at a time per execution environment.
//! Removal is the deployment's decision (`DELEGATION_AUDIT_REMOVE_DANGLING`), never the event's. A
//! refused event costs no Route 53 call and no DNS query.

use super::report::{self, delegation_json, error_json, removal_json, summary_json};
use super::{Options, add_overrides, parent_role, parse_nameserver_address, parse_zone};
use crate::config::{Config, every_endpoint_is_loopback};
use crate::dns::prober::DEFAULT_TIMEOUT;
use crate::domain::properties::ParentZoneRef;
use crate::domain::verdict::Verdict;
use crate::text::comma_list;
use crate::usecase::audit::{
    AuditRequest, DEFAULT_CONCURRENCY, DEFAULT_RECHECK_AFTER, Quiet, RemovalRequest,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// The event's key.
pub const EVENT_KEY: &str = "subdomainDelegationAudit";
/// The deployment's audit zones: comma-separated zone IDs or names (cfn/provider.yaml sets it from
/// `AuditZones`, else `ParentHostedZoneIds`).
pub const ZONES_VAR: &str = "DELEGATION_AUDIT_ZONES";
/// `true`: the deployment has no audit (cfn/provider.yaml with `EnableAudit=false`), so every
/// audit event is refused. Unset: audit events are served (local runs, tests).
pub const DISABLED_VAR: &str = "DELEGATION_AUDIT_DISABLED";
/// In `DELEGATION_AUDIT_ZONES` (as in `ParentHostedZoneIds`, IAM's resource wildcard): every zone.
const EVERY_ZONE: &str = "*";
/// The audit stops this long before the Lambda deadline, to print what it has.
const DEADLINE_MARGIN: Duration = Duration::from_secs(5);
/// The most delegations one event may have probed at once: the deployment's own, which an event
/// may only lower (more would multiply the DNS queries a forged event sends).
const MAX_EVENT_CONCURRENCY: usize = DEFAULT_CONCURRENCY;
/// The longest DNS try an event may ask for: the deployment's own, which an event may only lower
/// (longer tries keep the run, and its Route 53 pacing, busy longer).
const MAX_EVENT_TIMEOUT: Duration = DEFAULT_TIMEOUT;

/// Set while an audit runs in this process: a second audit event is refused at once rather than
/// run beside the first (two runs would spend the DNS account's Route 53 rate twice).
static AUDIT_RUNNING: AtomicBool = AtomicBool::new(false);

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

/// Why the audit settings of the deployment are unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditSettingsError {
    #[error(
        "DELEGATION_AUDIT_ZONES is invalid: {0} (template parameters AuditZones, ParentHostedZoneIds)"
    )]
    Zones(String),
}

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

/// The zones the deployment audits (`DELEGATION_AUDIT_ZONES`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditScope {
    /// Unset, empty or `*`: every public zone the function lists. An event may not name zones:
    /// checking a named zone against "every zone" would need Route 53 calls, and each named zone
    /// costs one more.
    EveryListedZone,
    /// Exactly these zones; an event may name some of them, by the same ID or name.
    Zones(Vec<ParentZoneRef>),
}

impl AuditScope {
    fn parse(list: Option<&str>) -> Result<Self, AuditSettingsError> {
        let items = comma_list(list);
        if items.is_empty() || items.iter().any(|z| z == EVERY_ZONE) {
            return Ok(AuditScope::EveryListedZone);
        }
        let mut zones = Vec::new();
        for item in &items {
            let zone = parse_zone(item).map_err(AuditSettingsError::Zones)?;
            if !zones.contains(&zone) {
                zones.push(zone);
            }
        }
        Ok(AuditScope::Zones(zones))
    }

    /// The zones an event asks for, within the deployment's.
    fn narrow(&self, asked: &[String]) -> Result<Vec<ParentZoneRef>, Refusal> {
        let mut zones = Vec::new();
        for text in asked {
            let zone = parse_zone(text).map_err(Refusal::Invalid)?;
            if !zones.contains(&zone) {
                zones.push(zone);
            }
        }
        match self {
            AuditScope::EveryListedZone if zones.is_empty() => Ok(zones),
            AuditScope::EveryListedZone => Err(Refusal::ZonesNotConfigurable),
            AuditScope::Zones(configured) if zones.is_empty() => Ok(configured.clone()),
            AuditScope::Zones(configured) => {
                if let Some(outside) = zones.iter().find(|z| !configured.contains(z)) {
                    return Err(Refusal::ZoneNotConfigured {
                        zone: zone_label(outside),
                        configured: configured
                            .iter()
                            .map(zone_label)
                            .collect::<Vec<_>>()
                            .join(","),
                    });
                }
                Ok(zones)
            }
        }
    }
}

fn zone_label(zone: &ParentZoneRef) -> String {
    match zone {
        ParentZoneRef::Id(id) => id.to_string(),
        ParentZoneRef::Name(name) => name.to_string(),
    }
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

/// What the deployment lets an audit event ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditSettings {
    /// `DELEGATION_AUDIT_DISABLED=true`: every audit event is refused.
    pub disabled: bool,
    pub scope: AuditScope,
    pub removal: RemovalSettings,
    /// Why the event may not override name-server addresses (an endpoint that is not loopback);
    /// `None`: every endpoint is loopback, a local emulator, and overrides are allowed.
    pub overrides_refused: Option<String>,
}

impl AuditSettings {
    pub fn from_env() -> Result<Self, AuditSettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, AuditSettingsError> {
        Ok(AuditSettings {
            disabled: var(DISABLED_VAR).is_some_and(|v| v.eq_ignore_ascii_case("true")),
            scope: AuditScope::parse(var(ZONES_VAR).as_deref())?,
            removal: RemovalSettings::from_lookup(&var),
            // The verification switch's rule (config.rs): addresses from an event steer the
            // probes only against a local emulator, never a deployment's real audit.
            overrides_refused: every_endpoint_is_loopback(&var).err(),
        })
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
    })
}

/// Marks an audit as running in this process until dropped (also when the run is cut short).
struct Running<'a>(&'a AtomicBool);

impl<'a> Running<'a> {
    fn start(flag: &'a AtomicBool) -> Result<Self, Refusal> {
        flag.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| Running(flag))
            .map_err(|_| Refusal::AlreadyRunning)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Logs a refused audit event and prints its summary line, which is also the function's result.
fn refuse(refusal: &Refusal) -> Value {
    tracing::error!(rule = refusal.rule(), problem = %refusal, "refusing an audit event");
    let line = json!({
        "record": "summary",
        "refused": refusal.rule(),
        "error": refusal.to_string(),
        "route53_calls": 0,
        "dns_queries": 0,
        "exit_code": report::EXIT_USAGE,
    });
    println!("{line}");
    line
}

/// Handles one audit event before `deadline`; prints the lines and returns the summary.
pub async fn handle(event: &Value, config: &Config, deadline: Instant) -> Value {
    handle_with(
        event,
        config,
        AuditSettings::from_env(),
        &AUDIT_RUNNING,
        deadline,
    )
    .await
}

async fn handle_with(
    event: &Value,
    config: &Config,
    settings: Result<AuditSettings, AuditSettingsError>,
    running: &AtomicBool,
    deadline: Instant,
) -> Value {
    // Every check before the guard and the SDK: a refusal reads and asks nothing.
    let admitted = settings
        .map_err(Refusal::from)
        .and_then(|settings| options(event, config, &settings))
        .and_then(|options| Running::start(running).map(|guard| (options, guard)));
    let (options, _running) = match admitted {
        Ok(admitted) => admitted,
        Err(refusal) => return refuse(&refusal),
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
    const LOOPBACK: (&str, &str) = ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000");

    fn settings(vars: &[(&str, &str)]) -> AuditSettings {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AuditSettings::from_lookup(move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .unwrap()
    }

    fn removing(mut s: AuditSettings) -> AuditSettings {
        s.removal = RemovalSettings {
            remove_dangling: true,
            allowed_names: vec!["*.example.com".into()],
        };
        s
    }

    fn refusal(event: Value, settings: &AuditSettings) -> Refusal {
        options(&event, &config(&[ROLE]), settings).unwrap_err()
    }

    #[test]
    fn audit_events_are_read_within_what_the_deployment_allows() {
        assert!(is_audit_event(&json!({EVENT_KEY: {}})));
        assert!(!is_audit_event(&json!({"RequestType": "Create"})));
        let on = removing(settings(&[LOOPBACK, (ZONES_VAR, "example.com,Z0ABC")]));
        let o = options(&json!({EVENT_KEY: {}}), &config(&[]), &on).unwrap();
        assert_eq!(o.request.zones.len(), 2, "no zones: the deployment's");
        assert_eq!(o.request.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(o.dns_timeout, DEFAULT_TIMEOUT);
        assert_eq!(
            o.request.removal.unwrap().recheck_after,
            DEFAULT_RECHECK_AFTER
        );
        let event = json!({EVENT_KEY: {
            "zones": ["Example.com.", "Z0ABC", "example.com"],
            "nameserverAddresses": {"ns1.example.net": "127.0.0.1:5353", "ns2": ["127.0.0.2", "[::1]:53"]},
            "parentRoleArn": ROLE, "concurrency": 5, "timeoutSeconds": 0.5,
        }});
        let o = options(&event, &config(&[ROLE]), &on).unwrap();
        assert_eq!(
            o.request.zones.len(),
            2,
            "a zone named twice is audited once"
        );
        assert_eq!(o.nameserver_addresses["ns2"].len(), 2);
        assert_eq!(o.request.concurrency, 5);
        assert_eq!(o.dns_timeout, Duration::from_millis(500));
        assert!(
            o.request.removal.is_none(),
            "overridden addresses never remove"
        );
        let e = options(&event, &config(&[]), &on).unwrap_err();
        assert_eq!(e.rule(), "parent-role");
        assert!(
            e.to_string()
                .contains("not one of DELEGATION_PARENT_ROLE_ARNS"),
            "{e}"
        );
        for bad in [
            json!({EVENT_KEY: {"removeDangling": true}}),
            json!({EVENT_KEY: {"zones": ["a..b"]}}),
            json!({EVENT_KEY: {"nameserverAddresses": {"ns": "nowhere"}}}),
            json!({EVENT_KEY: {"concurrency": -1}}),
            json!({EVENT_KEY: "all"}),
        ] {
            assert_eq!(refusal(bad.clone(), &on).rule(), "invalid", "{bad}");
        }
    }

    #[test]
    fn removal_is_the_deployments_alone() {
        let off = settings(&[LOOPBACK]);
        assert!(
            options(&json!({EVENT_KEY: null}), &config(&[]), &off)
                .unwrap()
                .request
                .removal
                .is_none()
        );
        // The event has no say: a field asking for removal makes it invalid.
        let asks = json!({EVENT_KEY: {"removeDangling": true}});
        assert_eq!(refusal(asks, &off).rule(), "invalid");
        let on = removing(settings(&[LOOPBACK]));
        let removal = options(&json!({EVENT_KEY: {}}), &config(&[]), &on)
            .unwrap()
            .request
            .removal
            .unwrap();
        assert_eq!(removal.allowed_names, ["*.example.com"]);
        // Removal on, but no allowed names: nothing may be removed.
        let mut no_names = on.clone();
        no_names.removal.allowed_names.clear();
        let o = options(&json!({EVENT_KEY: {}}), &config(&[]), &no_names).unwrap();
        assert!(o.request.removal.is_none());
    }

    #[test]
    fn a_deployment_without_the_audit_refuses_every_audit_event() {
        let off = settings(&[LOOPBACK, (DISABLED_VAR, "TRUE"), (ZONES_VAR, "example.com")]);
        assert!(off.disabled);
        for event in [json!({EVENT_KEY: {}}), json!({EVENT_KEY: null})] {
            assert_eq!(refusal(event, &off), Refusal::Disabled);
        }
        assert!(!settings(&[(DISABLED_VAR, "false")]).disabled);
    }

    #[test]
    fn zones_outside_the_deployments_are_refused() {
        let configured = settings(&[(ZONES_VAR, " example.com , /hostedzone/Z0ABC,")]);
        assert_eq!(
            configured.scope,
            AuditScope::Zones(vec![
                parse_zone("example.com").unwrap(),
                parse_zone("Z0ABC").unwrap()
            ])
        );
        let ok = json!({EVENT_KEY: {"zones": ["Z0ABC"]}});
        let o = options(&ok, &config(&[]), &configured).unwrap();
        assert_eq!(o.request.zones, [parse_zone("Z0ABC").unwrap()]);
        for outside in ["example.org", "Z0OTHER", "sub.example.com"] {
            let e = refusal(
                json!({EVENT_KEY: {"zones": ["example.com", outside]}}),
                &configured,
            );
            assert!(
                matches!(&e, Refusal::ZoneNotConfigured { zone, .. } if zone == outside),
                "{outside}: {e}"
            );
            assert!(e.to_string().contains("example.com,Z0ABC"), "{e}");
        }
        // Unset, empty or "*" (ParentHostedZoneIds' default): every public zone the function
        // lists, and an event may not name any.
        for every in [
            &[][..],
            &[(ZONES_VAR, "")],
            &[(ZONES_VAR, "*")],
            &[(ZONES_VAR, "Z0ABC,*")],
        ] {
            let s = settings(every);
            assert_eq!(s.scope, AuditScope::EveryListedZone, "{every:?}");
            let o = options(&json!({EVENT_KEY: {"zones": []}}), &config(&[]), &s).unwrap();
            assert!(o.request.zones.is_empty(), "every listed zone");
            let e = refusal(json!({EVENT_KEY: {"zones": ["example.com"]}}), &s);
            assert_eq!(e, Refusal::ZonesNotConfigurable, "{every:?}");
        }
        let bad = AuditSettings::from_lookup(|name| (name == ZONES_VAR).then(|| "a..b".into()));
        let e = bad.unwrap_err();
        assert!(
            e.to_string()
                .starts_with("DELEGATION_AUDIT_ZONES is invalid"),
            "{e}"
        );
    }

    #[test]
    fn address_overrides_need_every_endpoint_on_loopback() {
        let event = json!({EVENT_KEY: {"nameserverAddresses": {"ns1.example.net": "192.0.2.53"}}});
        for (vars, says) in [
            (
                vec![],
                "neither AWS_ENDPOINT_URL_ROUTE_53 nor AWS_ENDPOINT_URL",
            ),
            (
                vec![("AWS_ENDPOINT_URL", "https://route53.amazonaws.com")],
                "is not a loopback address",
            ),
            (
                vec![LOOPBACK, ("AWS_ENDPOINT_URL_STS", "http://10.0.0.1:5000")],
                "AWS_ENDPOINT_URL_STS",
            ),
        ] {
            let e = refusal(event.clone(), &settings(&vars));
            assert_eq!(e.rule(), "nameserver-addresses", "{vars:?}");
            assert!(e.to_string().contains(says), "{vars:?}: {e}");
        }
        // Without overrides the endpoints do not matter; on loopback the overrides are honoured.
        assert!(options(&json!({EVENT_KEY: {}}), &config(&[]), &settings(&[])).is_ok());
        let o = options(&event, &config(&[]), &settings(&[LOOPBACK])).unwrap();
        assert_eq!(o.nameserver_addresses["ns1.example.net"].len(), 1);
    }

    #[test]
    fn concurrency_and_timeout_may_only_be_lowered() {
        let s = settings(&[]);
        let asked = |fields: Value| options(&json!({EVENT_KEY: fields}), &config(&[]), &s);
        let o = asked(json!({"concurrency": 1, "timeoutSeconds": 2})).unwrap();
        assert_eq!((o.request.concurrency, o.dns_timeout), (1, DEFAULT_TIMEOUT));
        let o = asked(json!({"concurrency": DEFAULT_CONCURRENCY})).unwrap();
        assert_eq!(o.request.concurrency, DEFAULT_CONCURRENCY);
        for fields in [
            json!({"concurrency": 0}),
            json!({"concurrency": DEFAULT_CONCURRENCY + 1}),
            json!({"concurrency": 1024}),
        ] {
            assert_eq!(
                asked(fields.clone()).unwrap_err().rule(),
                "concurrency",
                "{fields}"
            );
        }
        for fields in [
            json!({"timeoutSeconds": 0}),
            json!({"timeoutSeconds": -1}),
            json!({"timeoutSeconds": 2.001}),
            json!({"timeoutSeconds": 30}),
        ] {
            assert_eq!(
                asked(fields.clone()).unwrap_err().rule(),
                "timeout",
                "{fields}"
            );
        }
    }

    #[tokio::test]
    async fn an_overlapping_run_is_refused_at_once() {
        let running = AtomicBool::new(false);
        let first = Running::start(&running).unwrap();
        assert_eq!(
            Running::start(&running).err(),
            Some(Refusal::AlreadyRunning)
        );
        // The handler refuses before it loads the SDK or asks anything: a deadline already past
        // would otherwise end in a timeout, not a refusal.
        let summary = handle_with(
            &json!({EVENT_KEY: {}}),
            &config(&[]),
            Ok(settings(&[])),
            &running,
            Instant::now(),
        )
        .await;
        assert_eq!(summary["refused"], "overlap", "{summary}");
        assert_eq!(summary["exit_code"], report::EXIT_USAGE);
        assert_eq!(summary["route53_calls"], 0);
        assert!(
            running.load(Ordering::Acquire),
            "the first run still holds it"
        );
        drop(first);
        assert!(Running::start(&running).is_ok(), "free once the first ends");
    }

    #[tokio::test]
    async fn a_refused_event_leaves_no_run_behind() {
        let running = AtomicBool::new(false);
        let s = settings(&[(ZONES_VAR, "example.com")]);
        let summary = handle_with(
            &json!({EVENT_KEY: {"zones": ["example.org"]}}),
            &config(&[]),
            Ok(s),
            &running,
            Instant::now(),
        )
        .await;
        assert_eq!(summary["refused"], "zones", "{summary}");
        assert!(
            summary["error"]
                .as_str()
                .unwrap()
                .contains("zone example.org is not one of the deployment's audit zones")
        );
        assert!(!running.load(Ordering::Acquire));
        let bad = Err(AuditSettingsError::Zones("x".into()));
        let summary = handle_with(
            &json!({EVENT_KEY: {}}),
            &config(&[]),
            bad,
            &running,
            Instant::now(),
        )
        .await;
        assert_eq!(summary["refused"], "settings", "{summary}");
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
