//! The audit's findings for AWS Security Hub (docs/design.md, "Audit", "Security Hub"): one
//! finding per audited delegation in the AWS Security Finding Format (ASFF), typed. A delegation
//! that is not `ok` is an active finding; an `ok` one an archived finding, so that a later run
//! archives what an earlier run found. Pure: the audit's results in, findings out; the adapter
//! (src/aws/securityhub.rs) writes them in the SDK's shapes.

use super::properties::ZoneId;
use super::verdict::{Delegation, Evidence, Judgement, Verdict};
use super::warning::Warning;
use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

/// The ASFF version the findings follow.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// The rule that generates every finding: the delegation audit.
pub const GENERATOR_ID: &str = "subdomain-delegation/audit";
/// The ASFF resource type of the parent zone the delegation is in.
pub const RESOURCE_TYPE: &str = "AwsRoute53HostedZone";
/// ASFF's limits: the title, the description, the remediation text, and the key-value maps
/// (`ProductFields` and `Resources[].Details.Other`: at most 50 pairs, keys of 128 characters;
/// values cut to 1,024, the lower of the two maps' limits).
const MAX_TITLE: usize = 256;
const MAX_DESCRIPTION: usize = 1024;
const MAX_REMEDIATION: usize = 512;
const MAX_PAIRS: usize = 50;
const MAX_KEY: usize = 128;
const MAX_VALUE: usize = 1024;
/// The prefix of the audit's `ProductFields` keys (ASFF: `<company>/<product>/<field>` style).
const FIELD_PREFIX: &str = "subdomain-delegation/";

/// ASFF `Severity.Label`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// dangling: CRITICAL (anyone may take the name over); lame and dnssec-broken: HIGH (resolution
    /// fails for some or all resolvers); stale: MEDIUM; unknown (nothing known) and ok: INFORMATIONAL.
    pub fn of(verdict: Verdict) -> Severity {
        match verdict {
            Verdict::Dangling => Severity::Critical,
            Verdict::Lame | Verdict::DnssecBroken => Severity::High,
            Verdict::Stale => Severity::Medium,
            Verdict::Unknown | Verdict::Ok => Severity::Informational,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "INFORMATIONAL",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// ASFF `RecordState`: active while the delegation is not `ok`, archived once it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordState {
    Active,
    Archived,
}

/// ASFF `Compliance.Status`, and `Workflow.Status` with it: FAILED and NEW while active, PASSED
/// and RESOLVED once archived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compliance {
    Failed,
    Passed,
}

/// ASFF finding types (`namespace/category`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingType {
    /// Every finding: a DNS configuration that falls short of good practice.
    BestPractices,
    /// A dangling delegation: whoever creates the zone on those servers serves the name, and reads
    /// cookies scoped to the parent domain.
    DataExposure,
    /// Validating resolvers (dnssec-broken) or some resolvers (lame) cannot resolve the name.
    DenialOfService,
}

impl FindingType {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingType::BestPractices => {
                "Software and Configuration Checks/AWS Security Best Practices"
            }
            FindingType::DataExposure => "Effects/Data Exposure",
            FindingType::DenialOfService => "Effects/Denial of Service",
        }
    }

    fn of(verdict: Verdict) -> Vec<FindingType> {
        let effect = match verdict {
            Verdict::Dangling => Some(FindingType::DataExposure),
            Verdict::DnssecBroken | Verdict::Lame => Some(FindingType::DenialOfService),
            Verdict::Ok | Verdict::Stale | Verdict::Unknown => None,
        };
        std::iter::once(FindingType::BestPractices)
            .chain(effect)
            .collect()
    }
}

/// Where the findings go: the account and region Security Hub runs in, and its partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingScope {
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl FindingScope {
    /// The partition follows from the region's prefix, as AWS names them.
    pub fn new(region: &str, account: &str) -> FindingScope {
        let partition = [
            ("cn-", "aws-cn"),
            ("us-gov-", "aws-us-gov"),
            ("us-isob-", "aws-iso-b"),
            ("us-iso-", "aws-iso"),
            ("eu-isoe-", "aws-iso-e"),
            ("eusc-", "aws-eusc"),
        ]
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition);
        FindingScope {
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
        }
    }

    /// The account's own product, which any account may import findings into.
    pub fn product_arn(&self) -> String {
        let FindingScope {
            partition,
            region,
            account,
        } = self;
        format!("arn:{partition}:securityhub:{region}:{account}:product/{account}/default")
    }
}

/// One finding, as the audit fills in the ASFF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable per parent zone and name, so that a later run updates the finding.
    pub id: String,
    pub product_arn: String,
    pub account: String,
    pub types: Vec<FindingType>,
    /// `CreatedAt` and `UpdatedAt`: the audit keeps no state, so both are the run's time.
    pub observed_at: SystemTime,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub remediation: String,
    pub record_state: RecordState,
    pub compliance: Compliance,
    /// The parent zone's ARN (hosted zones have no region or account in theirs).
    pub resource_arn: String,
    /// `Resources[].Details.Other`: the evidence.
    pub details: BTreeMap<String, String>,
    /// `ProductFields`: the verdict, the zone, the name, the warnings.
    pub product_fields: BTreeMap<String, String>,
}

/// A finding Security Hub did not import, with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedFinding {
    pub id: String,
    pub code: String,
    pub message: String,
}

/// `subdomain-delegation/<parent zone ID>/<name>`.
pub fn finding_id(zone: &ZoneId, name: &str) -> String {
    format!("subdomain-delegation/{}/{name}", zone.as_str())
}

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// What to do, per verdict (README, "Audit").
fn remediation(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ok => "Nothing: every delegated name server serves the name.",
        Verdict::Dangling => {
            "Delete the NS (and DS) record in the parent zone, or recreate the child zone and update the delegation to its name servers (subdomain-delegation audit --remove-dangling deletes confirmed ones)."
        }
        Verdict::DnssecBroken => {
            "Publish the DS of the child's current key-signing key (an Update of the delegation's stack, Dnssec: auto), or remove the DS if the child stopped signing."
        }
        Verdict::Lame => {
            "Update the parent's NS record to the child zone's current name servers (an Update of the delegation's stack)."
        }
        Verdict::Stale => {
            "Make the parent's NS record and the child apex's NS set agree, usually by updating the parent's to the child zone's delegation set."
        }
        Verdict::Unknown => {
            "Check the network path to the delegated name servers, then audit again."
        }
    }
}

/// The audit's result for one delegation, as a finding in `scope`.
pub fn finding(
    scope: &FindingScope,
    delegation: &Delegation,
    judgement: &Judgement,
    warnings: &[Warning],
    evidence: &Evidence,
    now: SystemTime,
) -> Finding {
    let verdict = judgement.verdict;
    let ok = verdict == Verdict::Ok;
    let name = delegation.name.as_str();
    let mut fields = vec![
        ("Verdict", verdict.as_str().to_owned()),
        ("ParentZone", delegation.zone_name.to_string()),
        ("ParentZoneId", delegation.zone_id.to_string()),
        ("Name", name.to_owned()),
        ("Conclusive", judgement.conclusive.to_string()),
    ];
    let kinds: Vec<&str> = warnings.iter().map(|w| w.kind.as_str()).collect();
    if !kinds.is_empty() {
        fields.push(("Warnings", kinds.join(",")));
    }
    let product_fields = pairs(
        fields
            .into_iter()
            .map(|(k, v)| (format!("{FIELD_PREFIX}{k}"), v)),
    );
    Finding {
        id: finding_id(&delegation.zone_id, name),
        product_arn: scope.product_arn(),
        account: scope.account.clone(),
        types: FindingType::of(verdict),
        observed_at: now,
        severity: Severity::of(verdict),
        title: cut(&format!("Delegation {name} is {verdict}"), MAX_TITLE),
        description: cut(&judgement.reason, MAX_DESCRIPTION),
        remediation: cut(remediation(verdict), MAX_REMEDIATION),
        record_state: if ok {
            RecordState::Archived
        } else {
            RecordState::Active
        },
        compliance: if ok {
            Compliance::Passed
        } else {
            Compliance::Failed
        },
        resource_arn: format!(
            "arn:{}:route53:::hostedzone/{}",
            scope.partition,
            delegation.zone_id.as_str()
        ),
        details: pairs(details(delegation, warnings, evidence)),
        product_fields,
    }
}

/// The evidence as `Details.Other`: the parent's records, each server's answer, the warnings.
fn details(
    delegation: &Delegation,
    warnings: &[Warning],
    evidence: &Evidence,
) -> Vec<(String, String)> {
    let mut out = vec![
        ("Name".to_owned(), delegation.name.to_string()),
        ("NameServers".to_owned(), delegation.ns.join(" ")),
    ];
    if !delegation.ds.is_empty() {
        out.push(("DS".to_owned(), delegation.ds.join(", ")));
    }
    for s in &evidence.servers {
        let at = s.address.as_deref().unwrap_or("no address");
        out.push((
            format!("Server {}", s.host),
            format!("{at}: {}", s.soa.summary()),
        ));
    }
    let apex = [("ApexNs", &evidence.apex_ns), ("Dnskey", &evidence.dnskey)];
    for (key, reply) in apex {
        if let Some(reply) = reply {
            out.push((key.to_owned(), reply.summary()));
        }
    }
    for w in warnings {
        let text = format!("{} What to do: {}", w.evidence, w.action);
        out.push((format!("Warning {}", w.kind), text));
    }
    out
}

/// At most [`MAX_PAIRS`] pairs, keys and values cut to ASFF's lengths.
fn pairs(items: impl IntoIterator<Item = (String, String)>) -> BTreeMap<String, String> {
    items
        .into_iter()
        .take(MAX_PAIRS)
        .map(|(k, v)| (cut(&k, MAX_KEY), cut(&v, MAX_VALUE)))
        .collect()
}

impl fmt::Display for RecordState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordState::Active => "ACTIVE",
            RecordState::Archived => "ARCHIVED",
        })
    }
}

#[cfg(test)]
#[path = "tests/finding.rs"]
mod tests;
