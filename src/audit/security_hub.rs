//! The audit's import into AWS Security Hub (docs/design.md, "Audit"): where the findings go (the
//! credentials' own account, as STS's `GetCallerIdentity` tells it, in the SDK configuration's
//! region), then `usecase::findings` over the Security Hub adapter.

use crate::aws::{SdkConnector, SecurityHub};
use crate::domain::finding::FindingScope;
use crate::ports::{Connector, SessionContext};
use crate::usecase::audit::AuditReport;
use crate::usecase::findings::{Published, findings, publish};
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use std::time::SystemTime;

/// Imports one finding per audited delegation into Security Hub.
pub async fn import(
    sdk: &SdkConfig,
    retry: RetryConfig,
    connector: &SdkConnector,
    session: &SessionContext,
    report: &AuditReport,
) -> Published {
    let Some(region) = sdk.region() else {
        return Published::not_started(
            "no AWS region is configured (AWS_REGION), so there is no Security Hub to import into"
                .into(),
        );
    };
    let account = match connector.own_account(session).await {
        Ok(account) => account,
        Err(e) => {
            return Published::not_started(format!(
                "the account to import the findings into is unknown: {e}"
            ));
        }
    };
    let scope = FindingScope::new(region.as_ref(), &account);
    let findings = findings(&scope, &report.audited, SystemTime::now());
    publish(&SecurityHub::new(sdk, retry), &findings).await
}
