//! Unit tests of `audit::scheduled::event`: what an audit event may ask for.
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
fn the_security_hub_import_is_the_deployments_and_never_real_with_overrides() {
    use crate::audit::scheduled::SECURITY_HUB_VAR;
    let on = |vars: &[(&str, &str)]| {
        let mut all = vec![(SECURITY_HUB_VAR, "true")];
        all.extend_from_slice(vars);
        settings(&all)
    };
    let plain = json!({EVENT_KEY: {}});
    assert!(
        !options(&plain, &config(&[]), &settings(&[]))
            .unwrap()
            .security_hub
    );
    assert!(
        options(&plain, &config(&[]), &on(&[]))
            .unwrap()
            .security_hub
    );
    assert_eq!(
        refusal(json!({EVENT_KEY: {"securityHub": true}}), &settings(&[])).rule(),
        "invalid",
        "the event has no say"
    );
    let overriding = json!({EVENT_KEY: {"nameserverAddresses": {"ns1": "127.0.0.1"}}});
    let emulator = on(&[LOOPBACK]);
    assert!(
        options(&overriding, &config(&[]), &emulator)
            .unwrap()
            .security_hub
    );
    let real_hub = on(&[
        LOOPBACK,
        (
            "AWS_ENDPOINT_URL_SECURITYHUB",
            "https://securityhub.us-east-1.amazonaws.com",
        ),
    ]);
    let o = options(&overriding, &config(&[]), &real_hub).unwrap();
    assert!(
        !o.security_hub,
        "overridden addresses never reach a real Security Hub"
    );
    assert!(
        options(&plain, &config(&[]), &real_hub)
            .unwrap()
            .security_hub
    );
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
