//! Security Hub, as the audit's import sees it: `BatchImportFindings` keeps each finding by its
//! ID (a later import of the same ID replaces it, as Security Hub updates it), refuses a call of
//! more than 100 findings, refuses a finding of another account than the caller's, and refuses the
//! findings a test names.

use super::Memory;
use super::state::Op;
use crate::domain::finding::{FailedFinding, Finding};
use crate::ports::{AdapterError, ErrorKind, FindingsSink};

/// Security Hub's limit on one `BatchImportFindings` call.
const MAX_FINDINGS_PER_CALL: usize = 100;

impl Memory {
    /// The findings Security Hub holds, by ID.
    pub fn findings(&self) -> Vec<Finding> {
        self.state().findings.values().cloned().collect()
    }

    /// Security Hub refuses the findings with these IDs (`InvalidInput`).
    pub fn refuse_findings(&self, ids: &[&str]) {
        let mut s = self.state();
        s.refused_findings
            .extend(ids.iter().map(|id| id.to_string()));
    }
}

impl FindingsSink for Memory {
    async fn import(&self, findings: &[Finding]) -> Result<Vec<FailedFinding>, AdapterError> {
        let account = self.state().own_account.clone();
        let mut s = self
            .enter(Op::BatchImportFindings, &account, None, None)
            .await?;
        if findings.len() > MAX_FINDINGS_PER_CALL {
            return Err(AdapterError::new(
                ErrorKind::Other,
                "BatchImportFindings",
                format!(
                    "InvalidInputException: {} findings, at most {MAX_FINDINGS_PER_CALL} a call",
                    findings.len()
                ),
            ));
        }
        let mut failed = Vec::new();
        for f in findings {
            let refusal = if s.refused_findings.contains(&f.id) {
                Some(("InvalidInput", "refused by the test".to_owned()))
            } else if f.account != account {
                Some((
                    "AccessDeniedException",
                    format!("AwsAccountId {} is not the caller's {account}", f.account),
                ))
            } else {
                None
            };
            match refusal {
                Some((code, message)) => failed.push(FailedFinding {
                    id: f.id.clone(),
                    code: code.into(),
                    message,
                }),
                None => {
                    s.findings.insert(f.id.clone(), f.clone());
                }
            }
        }
        Ok(failed)
    }
}
