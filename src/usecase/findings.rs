//! Sending the audit's findings to AWS Security Hub (docs/design.md, "Audit"): every audited
//! delegation as one finding (active when it is not `ok`, archived when it is, so that a later run
//! archives what an earlier one found without reading Security Hub first), in pages of
//! `BatchImportFindings`. A page that fails does not stop the others; each failure is reported.

use super::audit::Audited;
use crate::domain::finding::{FailedFinding, Finding, FindingScope, RecordState, finding};
use crate::ports::FindingsSink;
use std::time::SystemTime;

/// `BatchImportFindings` takes at most 100 findings a call.
pub const FINDINGS_PER_CALL: usize = 100;

/// What the import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Published {
    /// Findings imported as active (delegations that are not `ok`) and as archived (`ok`).
    pub active: usize,
    pub archived: usize,
    /// `BatchImportFindings` calls made.
    pub calls: usize,
    /// Findings Security Hub did not import, with why.
    pub failed: Vec<FailedFinding>,
    /// Calls that failed as a whole, or why none could be made.
    pub errors: Vec<String>,
}

impl Published {
    /// Nothing went wrong: every finding was imported.
    pub fn complete(&self) -> bool {
        self.failed.is_empty() && self.errors.is_empty()
    }

    /// The import could not start (no account, no region): one error, no call.
    pub fn not_started(why: String) -> Published {
        Published {
            errors: vec![why],
            ..Published::default()
        }
    }
}

/// The findings of every audited delegation, as of `now`.
pub fn findings(scope: &FindingScope, audited: &[Audited], now: SystemTime) -> Vec<Finding> {
    audited
        .iter()
        .map(|a| {
            finding(
                scope,
                &a.delegation,
                &a.judgement,
                &a.warnings,
                &a.evidence,
                now,
            )
        })
        .collect()
}

/// Imports the findings in pages of [`FINDINGS_PER_CALL`].
pub async fn publish<S: FindingsSink>(sink: &S, findings: &[Finding]) -> Published {
    let mut published = Published::default();
    for page in findings.chunks(FINDINGS_PER_CALL) {
        published.calls += 1;
        match sink.import(page).await {
            Ok(failed) => {
                let imported = page.iter().filter(|f| !failed.iter().any(|x| x.id == f.id));
                for f in imported {
                    match f.record_state {
                        RecordState::Active => published.active += 1,
                        RecordState::Archived => published.archived += 1,
                    }
                }
                published.failed.extend(failed);
            }
            Err(e) => published.errors.push(format!(
                "BatchImportFindings of {} findings failed: {e}",
                page.len()
            )),
        }
    }
    published
}

#[cfg(test)]
#[path = "tests/findings.rs"]
mod tests;
