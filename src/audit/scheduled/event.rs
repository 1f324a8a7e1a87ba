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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::parse_zone;
    use crate::audit::scheduled::fixtures::{config, settings};
    use crate::audit::scheduled::{AuditScope, DISABLED_VAR, RemovalSettings, ZONES_VAR};
    use serde_json::json;

    const ROLE: &str = "arn:aws:iam::111111111111:role/parent";
    const LOOPBACK: (&str, &str) = ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000");

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
}
