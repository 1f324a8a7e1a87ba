//! The audit's table for people (docs/design.md, "Audit", "Output"): one row per delegation with
//! its verdict and warnings; under a finding what each server answered, under a warning what was
//! observed and what to do; then removals, errors, the Security Hub import and the counts.

use super::report::{counts, warning_counts};
use crate::domain::verdict::Verdict;
use crate::usecase::audit::{AuditReport, Audited, Removal};
use crate::usecase::findings::Published;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The widest a table column is padded to.
const MAX_COLUMN: usize = 40;
/// The WARNINGS cell of a delegation without any.
const NO_WARNINGS: &str = "-";
const HEADER: [&str; 5] = ["ZONE", "NAME", "VERDICT", "WARNINGS", "DETAIL"];

fn row(a: &Audited) -> [String; 5] {
    let kinds: Vec<&str> = a.warnings.iter().map(|w| w.kind.as_str()).collect();
    [
        a.delegation.zone_name.to_string(),
        a.delegation.name.to_string(),
        a.judgement.verdict.to_string(),
        if kinds.is_empty() {
            NO_WARNINGS.to_owned()
        } else {
            kinds.join(",")
        },
        a.judgement.reason.clone(),
    ]
}

/// What each server answered (under a finding), and each warning's evidence and what to do.
fn details(out: &mut String, indent: usize, a: &Audited) {
    if a.judgement.verdict != Verdict::Ok {
        for s in &a.evidence.servers {
            let address = s.address.as_deref().unwrap_or("(no address)");
            let _ = writeln!(
                out,
                "{:indent$}    {} {address}: {}",
                "",
                s.host,
                s.soa.summary()
            );
        }
    }
    for w in &a.warnings {
        let _ = writeln!(
            out,
            "{:indent$}    warning {}: {} (what to do: {})",
            "", w.kind, w.evidence, w.action
        );
    }
}

/// The table for people: one row per delegation; under it, what each server answered (findings)
/// and each warning.
pub fn table(report: &AuditReport) -> String {
    let rows: Vec<[String; 5]> = report.audited.iter().map(row).collect();
    let header = HEADER.map(String::from);
    // Columns as wide as their longest cell, up to a limit: a longer name overflows its own row.
    let width = |i: usize| {
        rows.iter()
            .chain(std::iter::once(&header))
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
            .min(MAX_COLUMN)
    };
    let (w0, w1, w2, w3) = (width(0), width(1), width(2), width(3));
    let mut out = String::new();
    for (i, r) in std::iter::once(&header).chain(&rows).enumerate() {
        let _ = writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            r[0], r[1], r[2], r[3], r[4]
        );
        if let Some(a) = i.checked_sub(1).map(|i| &report.audited[i]) {
            details(&mut out, w0, a);
        }
    }
    footer(&mut out, report);
    out
}

/// Removals, errors, the Security Hub import, and the counts per verdict and warning.
fn footer(out: &mut String, report: &AuditReport) {
    for r in &report.removals {
        let _ = match &r.result {
            Removal::Removed(change) => writeln!(
                out,
                "removed {} ({}; change {change})",
                r.name,
                r.records.join("; ")
            ),
            Removal::Kept(why) => writeln!(out, "kept {}: {why}", r.name),
            Removal::Failed(why) => writeln!(out, "removal of {} failed: {why}", r.name),
        };
    }
    for e in &report.errors {
        let _ = writeln!(out, "error: {}: {}", e.zone, e.error);
    }
    if let Some(p) = &report.security_hub {
        security_hub(out, p);
    }
    let verdicts = listed(&counts(report.audited.iter()));
    let warnings = listed(&warning_counts(report.audited.iter()));
    let _ = writeln!(
        out,
        "{} delegations in {} zones: {}{}",
        report.audited.len(),
        report.zones.len(),
        verdicts.unwrap_or_else(|| "none".to_owned()),
        warnings.map_or_else(String::new, |w| format!("; warnings: {w}"))
    );
}

fn security_hub(out: &mut String, p: &Published) {
    let _ = writeln!(
        out,
        "Security Hub: {} active and {} archived findings imported in {} call(s), {} refused",
        p.active,
        p.archived,
        p.calls,
        p.failed.len()
    );
    for f in &p.failed {
        let _ = writeln!(
            out,
            "error: Security Hub refused {}: {}: {}",
            f.id, f.code, f.message
        );
    }
    for e in &p.errors {
        let _ = writeln!(out, "error: Security Hub: {e}");
    }
}

/// `2 dangling, 1 ok`: the counts that are not zero, or `None`.
fn listed(counts: &BTreeMap<&'static str, usize>) -> Option<String> {
    let listed: Vec<String> = counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(v, n)| format!("{n} {v}"))
        .collect();
    (!listed.is_empty()).then(|| listed.join(", "))
}
