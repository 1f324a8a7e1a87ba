//! `DELEGATION_POLICY` (docs/design.md, "Who may ask"): which accounts may delegate which names,
//! checked whole at start, and the accounts it allots a name to.

use crate::domain::model::is_account_id;
use crate::domain::name::DnsName;
use serde::Deserialize;

/// `DELEGATION_POLICY`: which accounts may delegate which names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub allow: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// 12-digit account IDs, or `*` for any account.
    pub accounts: Vec<String>,
    /// Names, with `{account}` for the requesting account and an optional leading `*.` for any
    /// name strictly below.
    pub names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DELEGATION_POLICY is invalid: {0}")]
pub struct PolicyError(String);

impl Policy {
    /// Parses and checks the whole policy, so a mistake stops the function at start.
    pub fn parse(json: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = serde_json::from_str(json).map_err(|e| PolicyError(e.to_string()))?;
        for (i, rule) in policy.allow.iter().enumerate() {
            if rule.accounts.is_empty() || rule.names.is_empty() {
                return Err(PolicyError(format!(
                    "rule {i} needs at least one account and one name"
                )));
            }
            for account in &rule.accounts {
                let ok = account == "*" || is_account_id(account);
                if !ok {
                    return Err(PolicyError(format!(
                        "rule {i}: account {account:?} is neither a 12-digit account ID nor \"*\""
                    )));
                }
            }
            for pattern in &rule.names {
                // Check the pattern's shape with a placeholder account.
                let sample = pattern.replace("{account}", "123456789012");
                let bare = sample.strip_prefix("*.").unwrap_or(&sample);
                if let Err(e) = DnsName::parse(bare) {
                    return Err(PolicyError(format!(
                        "rule {i}: name pattern {pattern:?} {e}"
                    )));
                }
                if pattern.matches('{').count() != pattern.matches("{account}").count() {
                    return Err(PolicyError(format!(
                        "rule {i}: name pattern {pattern:?} has a placeholder other than {{account}}"
                    )));
                }
            }
        }
        Ok(policy)
    }
}

/// The accounts `DELEGATION_POLICY` allots a name to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allottees {
    /// A rule for any account (`"*"`) names it without `{account}`.
    pub everyone: bool,
    pub accounts: std::collections::BTreeSet<String>,
}

impl Allottees {
    pub fn includes(&self, account: &str) -> bool {
        self.everyone || self.accounts.contains(account)
    }

    pub fn is_nobody(&self) -> bool {
        !self.everyone && self.accounts.is_empty()
    }
}

impl std::fmt::Display for Allottees {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.everyone {
            return f.write_str("every account");
        }
        let accounts: Vec<&str> = self.accounts.iter().map(String::as_str).collect();
        write!(f, "account {}", accounts.join(", "))
    }
}

/// How long an AWS account ID is.
const ACCOUNT_ID_DIGITS: usize = 12;

impl Policy {
    /// Every account the policy allots `name` to. A `{account}` pattern of a rule for any account
    /// can only match with an account ID that stands in the name itself, so the candidates are
    /// the name's runs of 12 digits.
    pub fn allottees(&self, name: &DnsName) -> Allottees {
        let mut found = Allottees::default();
        let text = name.to_string();
        let bytes = text.as_bytes();
        let in_name: std::collections::BTreeSet<String> =
            (0..bytes.len().saturating_sub(ACCOUNT_ID_DIGITS - 1))
                .map(|i| &bytes[i..i + ACCOUNT_ID_DIGITS])
                .filter(|run| run.iter().all(u8::is_ascii_digit))
                .map(|run| String::from_utf8_lossy(run).into_owned())
                .collect();
        for rule in &self.allow {
            for pattern in &rule.names {
                let templated = pattern.contains("{account}");
                for account in &rule.accounts {
                    if account != "*" {
                        if pattern_matches(&pattern.replace("{account}", account), name) {
                            found.accounts.insert(account.clone());
                        }
                    } else if !templated {
                        found.everyone |= pattern_matches(pattern, name);
                    } else {
                        for candidate in &in_name {
                            if pattern_matches(&pattern.replace("{account}", candidate), name) {
                                found.accounts.insert(candidate.clone());
                            }
                        }
                    }
                }
            }
        }
        found
    }

    /// The name patterns allotted to `account`, for a refusal's Reason.
    pub(super) fn patterns_for(&self, account: &str) -> String {
        let patterns: Vec<String> = self
            .allow
            .iter()
            .filter(|rule| rule.accounts.iter().any(|a| a == "*" || a == account))
            .flat_map(|rule| rule.names.iter().map(|p| p.replace("{account}", account)))
            .collect();
        if patterns.is_empty() {
            "none".into()
        } else {
            patterns.join(", ")
        }
    }
}

fn pattern_matches(pattern: &str, name: &DnsName) -> bool {
    match pattern.strip_prefix("*.") {
        Some(base) => DnsName::parse(base).is_ok_and(|base| name.is_strictly_below(&base)),
        None => DnsName::parse(pattern).is_ok_and(|p| &p == name),
    }
}

#[cfg(test)]
#[path = "../tests/authority/policy.rs"]
pub(super) mod tests;
