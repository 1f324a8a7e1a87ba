//! What the deployment lets an audit event ask for (docs/design.md, "Events", "Configuration"):
//! the audit zones, the removal settings, the import into Security Hub and whether the audit is on
//! at all, read from the environment.

use super::refusal::Refusal;
use crate::audit::parse_zone;
use crate::config::{every_endpoint_is_loopback, is_loopback_url};
use crate::domain::properties::ParentZoneRef;
use crate::text::comma_list;

/// The deployment's audit zones: comma-separated zone IDs or names (cfn/provider.yaml sets it from
/// `AuditZones`, else `ParentHostedZoneIds`).
pub const ZONES_VAR: &str = "DELEGATION_AUDIT_ZONES";
/// `true`: the deployment has no audit (cfn/provider.yaml with `EnableAudit=false`), so every
/// audit event is refused. Unset: audit events are served (local runs, tests).
pub const DISABLED_VAR: &str = "DELEGATION_AUDIT_DISABLED";
/// `true`: the scheduled audit imports its findings into Security Hub (docs/design.md, "Audit").
pub const SECURITY_HUB_VAR: &str = "DELEGATION_AUDIT_SECURITY_HUB";
/// The SDK's endpoint variables for Security Hub: the specific one, else the general one.
const SECURITY_HUB_ENDPOINT_VARS: [&str; 2] = ["AWS_ENDPOINT_URL_SECURITYHUB", "AWS_ENDPOINT_URL"];
/// In `DELEGATION_AUDIT_ZONES` (as in `ParentHostedZoneIds`, IAM's resource wildcard): every zone.
const EVERY_ZONE: &str = "*";

/// Why the audit settings of the deployment are unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditSettingsError {
    #[error(
        "DELEGATION_AUDIT_ZONES is invalid: {0} (template parameters AuditZones, ParentHostedZoneIds)"
    )]
    Zones(String),
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
    pub(super) fn narrow(&self, asked: &[String]) -> Result<Vec<ParentZoneRef>, Refusal> {
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
    /// `DELEGATION_AUDIT_SECURITY_HUB=true`: import the findings into Security Hub. Never the
    /// event's choice.
    pub security_hub: bool,
    /// Security Hub's endpoint is a loopback address (an emulator): the only Security Hub a run
    /// with the event's address overrides may import into.
    pub security_hub_on_loopback: bool,
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
            // The verification switch's rule (config/endpoints.rs): addresses from an event steer
            // the probes only against a local emulator, never a deployment's real audit.
            overrides_refused: every_endpoint_is_loopback(&var).err(),
            security_hub: var(SECURITY_HUB_VAR).is_some_and(|v| v.eq_ignore_ascii_case("true")),
            security_hub_on_loopback: SECURITY_HUB_ENDPOINT_VARS
                .iter()
                .find_map(|name| var(name))
                .is_some_and(|url| is_loopback_url(&url)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
