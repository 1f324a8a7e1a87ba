//! What the scheduled audit's unit tests share: a deployment's settings from plain pairs.

use super::settings::AuditSettings;
use crate::config::Config;

/// The provider's settings with these parent roles configured.
pub(super) fn config(roles: &[&str]) -> Config {
    Config {
        parent_roles: roles.iter().map(|r| r.to_string()).collect(),
        ..Config::default()
    }
}

/// The audit's settings from these environment variables.
pub(super) fn settings(vars: &[(&str, &str)]) -> AuditSettings {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    AuditSettings::from_lookup(move |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
    .unwrap()
}
