//! The audit's report (docs/design.md, "Audit"): JSON lines for machines (the table for people is
//! `table`'s), the exit code a pipeline gates on, and CloudWatch's Embedded Metric Format for the
//! scheduled run.

use crate::domain::probe::Reply;
use crate::domain::verdict::{CdsProbe, ServerProbe, Verdict};
use crate::domain::warning::{Warning, WarningKind};
use crate::usecase::audit::{AuditReport, Audited, Removal, RemovalOutcome, ZoneError};
use crate::usecase::findings::Published;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Every delegation `ok`, nothing failed.
pub const EXIT_OK: i32 = 0;
/// At least one delegation is not `ok` (dangling, lame, stale, dnssec-broken or unknown).
pub const EXIT_FINDINGS: i32 = 1;
/// The command line is wrong.
pub const EXIT_USAGE: i32 = 2;
/// A zone could not be read (unknown zone, no permission, Route 53 failing), a removal failed, or
/// findings did not reach Security Hub: the audit is incomplete. Wins over findings.
pub const EXIT_ERRORS: i32 = 3;

/// The metric namespace of the scheduled audit.
pub const METRIC_NAMESPACE: &str = "SubdomainDelegation/Audit";
pub const METRIC_NAME: &str = "Delegations";

pub fn exit_code(report: &AuditReport) -> i32 {
    let removal_failed = report
        .removals
        .iter()
        .any(|r| matches!(r.result, Removal::Failed(_)));
    let import_failed = report.security_hub.as_ref().is_some_and(|p| !p.complete());
    if !report.errors.is_empty() || removal_failed || import_failed {
        EXIT_ERRORS
    } else if report
        .audited
        .iter()
        .any(|a| a.judgement.verdict != Verdict::Ok)
    {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// Delegations per verdict.
pub fn counts<'a>(audited: impl Iterator<Item = &'a Audited>) -> BTreeMap<&'static str, usize> {
    let mut counts: BTreeMap<&'static str, usize> =
        Verdict::ALL.iter().map(|v| (v.as_str(), 0)).collect();
    for a in audited {
        *counts.entry(a.judgement.verdict.as_str()).or_default() += 1;
    }
    counts
}

/// Warnings per kind, zeros included.
pub fn warning_counts<'a>(
    audited: impl Iterator<Item = &'a Audited>,
) -> BTreeMap<&'static str, usize> {
    let mut counts: BTreeMap<&'static str, usize> =
        WarningKind::ALL.iter().map(|k| (k.as_str(), 0)).collect();
    for w in audited.flat_map(|a| &a.warnings) {
        *counts.entry(w.kind.as_str()).or_default() += 1;
    }
    counts
}

fn warning_json(w: &Warning) -> Value {
    json!({"kind": w.kind.as_str(), "evidence": w.evidence, "action": w.action})
}

fn cds_json(c: &CdsProbe) -> Value {
    json!({"host": c.host, "cds": c.cds.summary(), "cdnskey": c.cdnskey.summary()})
}

fn server_json(s: &ServerProbe) -> Value {
    let (rcode, aa) = match &s.soa {
        Reply::Answered(a) => (json!(a.rcode.to_string()), json!(a.authoritative)),
        Reply::NoAnswer(_) => (Value::Null, Value::Null),
    };
    json!({
        "host": s.host,
        "address": s.address,
        "rcode": rcode,
        "aa": aa,
        "answer": s.soa.summary(),
    })
}

pub fn delegation_json(a: &Audited) -> Value {
    let d = &a.delegation;
    json!({
        "record": "delegation",
        "version": crate::cli::VERSION,
        "zone": d.zone_name.as_str(),
        "zone_id": d.zone_id.as_str(),
        "name": d.name.as_str(),
        "verdict": a.judgement.verdict.as_str(),
        "reason": a.judgement.reason,
        "conclusive": a.judgement.conclusive,
        "ns": d.ns,
        "ds": d.ds,
        "servers": a.evidence.servers.iter().map(server_json).collect::<Vec<_>>(),
        "apex_ns": a.evidence.apex_ns.as_ref().map(Reply::summary),
        "dnskey": a.evidence.dnskey.as_ref().map(Reply::summary),
        "cds": a.evidence.cds.iter().map(cds_json).collect::<Vec<_>>(),
        "warnings": a.warnings.iter().map(warning_json).collect::<Vec<_>>(),
    })
}

pub fn removal_json(r: &RemovalOutcome) -> Value {
    let mut v = json!({
        "record": "removal",
        "version": crate::cli::VERSION,
        "zone_id": r.zone_id.as_str(),
        "name": r.name.as_str(),
        "removed": matches!(r.result, Removal::Removed(_)),
        "records": r.records,
    });
    match &r.result {
        Removal::Removed(change) => v["change_id"] = json!(change),
        Removal::Kept(why) => v["kept"] = json!(why),
        Removal::Failed(why) => v["failed"] = json!(why),
    }
    v
}

pub fn error_json(e: &ZoneError) -> Value {
    json!({"record": "error", "version": crate::cli::VERSION, "zone": e.zone, "error": e.error.to_string()})
}

/// What the import into Security Hub did: counts, each finding it refused, each failed call.
pub fn security_hub_json(p: &Published) -> Value {
    let failed: Vec<Value> = p
        .failed
        .iter()
        .map(|f| json!({"id": f.id, "code": f.code, "message": f.message}))
        .collect();
    json!({
        "record": "security-hub",
        "version": crate::cli::VERSION,
        "active": p.active,
        "archived": p.archived,
        "calls": p.calls,
        "failed": failed,
        "errors": p.errors,
    })
}

/// The last line: what was audited, the counts, the cost.
pub fn summary_json(report: &AuditReport, route53_calls: u32, dns_queries: u64, ms: u128) -> Value {
    json!({
        "record": "summary",
        "version": crate::cli::VERSION,
        "zones": report.zones.iter().map(|z| z.name.as_str()).collect::<Vec<_>>(),
        "delegations": report.audited.len(),
        "verdicts": counts(report.audited.iter()),
        "warnings": warning_counts(report.audited.iter()),
        "errors": report.errors.len(),
        "removed": report
            .removals
            .iter()
            .filter(|r| matches!(r.result, Removal::Removed(_)))
            .count(),
        "security_hub": report.security_hub.as_ref().map(|p| json!({
            "imported": p.active + p.archived,
            "failed": p.failed.len() + p.errors.len(),
        })),
        "route53_calls": route53_calls,
        "dns_queries": dns_queries,
        "ms": ms as u64,
        "exit_code": exit_code(report),
    })
}

/// Every line of the JSON output: delegations, removals, errors, the Security Hub import, then the
/// summary.
pub fn json_lines(report: &AuditReport, summary: &Value) -> String {
    let mut out = String::new();
    let lines = report
        .audited
        .iter()
        .map(delegation_json)
        .chain(report.removals.iter().map(removal_json))
        .chain(report.errors.iter().map(error_json))
        .chain(report.security_hub.iter().map(security_hub_json))
        .chain(std::iter::once(summary.clone()));
    for line in lines {
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

pub use super::table::table;

/// One EMF document per parent zone: the count of delegations per verdict (zeros included, so an
/// alarm sees data every run), with the dimension sets (ParentZone, Verdict) and (Verdict).
pub fn emf_lines(report: &AuditReport, timestamp_ms: u128) -> Vec<String> {
    let mut lines = Vec::new();
    for zone in &report.zones {
        let in_zone = report
            .audited
            .iter()
            .filter(|a| a.delegation.zone_id == zone.id);
        for (verdict, count) in counts(in_zone) {
            let doc = json!({
                "_aws": {
                    "Timestamp": timestamp_ms as u64,
                    "CloudWatchMetrics": [{
                        "Namespace": METRIC_NAMESPACE,
                        "Dimensions": [["ParentZone", "Verdict"], ["Verdict"]],
                        "Metrics": [{"Name": METRIC_NAME, "Unit": "Count"}],
                    }],
                },
                "ParentZone": zone.name.as_str(),
                "Verdict": verdict,
                METRIC_NAME: count,
            });
            lines.push(doc.to_string());
        }
    }
    lines
}

#[cfg(test)]
#[path = "tests/report.rs"]
mod tests;
