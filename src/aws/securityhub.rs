//! AWS Security Hub behind `ports::FindingsSink` (docs/design.md, "Audit"): the audit's findings
//! written in the SDK's ASFF shapes and imported with `BatchImportFindings`, the only call (and
//! the only IAM action, `securityhub:BatchImportFindings`) the import needs.

use super::errors::classify;
use crate::domain::finding::{
    Compliance, FailedFinding, Finding, GENERATOR_ID, RESOURCE_TYPE, RecordState, SCHEMA_VERSION,
};
use crate::ports::{AdapterError, FindingsSink};
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, ComplianceStatus, FindingProviderFields, FindingProviderSeverity,
    Recommendation, Remediation, Resource, ResourceDetails, SeverityLabel, Workflow,
    WorkflowStatus,
};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

/// Security Hub in the SDK configuration's account and region.
#[derive(Clone, Debug)]
pub struct SecurityHub {
    client: aws_sdk_securityhub::Client,
}

impl SecurityHub {
    pub fn new(sdk: &SdkConfig, retry: RetryConfig) -> Self {
        let config = aws_sdk_securityhub::config::Builder::from(sdk)
            .retry_config(retry)
            .build();
        SecurityHub {
            client: aws_sdk_securityhub::Client::from_conf(config),
        }
    }
}

/// RFC 3339, as ASFF's `CreatedAt` and `UpdatedAt` want it.
fn rfc3339(at: std::time::SystemTime) -> String {
    DateTime::from(at)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// One finding in the SDK's shape. Severity and types go in `FindingProviderFields` too: once a
/// finding exists, Security Hub takes a provider's updates of them from there.
pub fn asff(f: &Finding) -> AwsSecurityFinding {
    let at = rfc3339(f.observed_at);
    let severity = SeverityLabel::from(f.severity.as_str());
    let types: Vec<String> = f.types.iter().map(|t| t.as_str().to_owned()).collect();
    let (compliance, workflow) = match f.compliance {
        Compliance::Failed => (ComplianceStatus::Failed, WorkflowStatus::New),
        Compliance::Passed => (ComplianceStatus::Passed, WorkflowStatus::Resolved),
    };
    let details = f
        .details
        .iter()
        .fold(ResourceDetails::builder(), |b, (k, v)| b.other(k, v))
        .build();
    let resource = Resource::builder()
        .r#type(RESOURCE_TYPE)
        .id(&f.resource_arn)
        .details(details)
        .build();
    let provider = FindingProviderFields::builder()
        .severity(
            FindingProviderSeverity::builder()
                .label(severity.clone())
                .build(),
        )
        .set_types(Some(types.clone()))
        .build();
    let finding = AwsSecurityFinding::builder()
        .schema_version(SCHEMA_VERSION)
        .id(&f.id)
        .product_arn(&f.product_arn)
        .generator_id(GENERATOR_ID)
        .aws_account_id(&f.account)
        .set_types(Some(types))
        .created_at(&at)
        .updated_at(&at)
        .severity(
            aws_sdk_securityhub::types::Severity::builder()
                .label(severity)
                .build(),
        )
        .title(&f.title)
        .description(&f.description)
        .remediation(
            Remediation::builder()
                .recommendation(Recommendation::builder().text(&f.remediation).build())
                .build(),
        )
        .resources(resource)
        .compliance(
            aws_sdk_securityhub::types::Compliance::builder()
                .status(compliance)
                .build(),
        )
        .workflow(Workflow::builder().status(workflow).build())
        .record_state(match f.record_state {
            RecordState::Active => aws_sdk_securityhub::types::RecordState::Active,
            RecordState::Archived => aws_sdk_securityhub::types::RecordState::Archived,
        })
        .finding_provider_fields(provider);
    f.product_fields
        .iter()
        .fold(finding, |b, (k, v)| b.product_fields(k, v))
        .build()
}

impl FindingsSink for SecurityHub {
    async fn import(&self, findings: &[Finding]) -> Result<Vec<FailedFinding>, AdapterError> {
        let out = self
            .client
            .batch_import_findings()
            .set_findings(Some(findings.iter().map(asff).collect()))
            .send()
            .await
            .map_err(|e| classify("BatchImportFindings", e))?;
        Ok(out
            .failed_findings()
            .iter()
            .map(|e| FailedFinding {
                id: e.id().unwrap_or_default().to_owned(),
                code: e.error_code().unwrap_or_default().to_owned(),
                message: e.error_message().unwrap_or_default().to_owned(),
            })
            .collect())
    }
}
