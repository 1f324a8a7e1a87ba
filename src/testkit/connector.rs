//! STS and the connector: the provider's own account, role assumption (with the ExternalId a
//! role's trust policy demands, and optionally the adapter's patience with a refusal), and the
//! adapters for the account a role leads to.

use super::Memory;
use super::route53::Route53In;
use super::stacks::CloudFormationIn;
use super::state::Op;
use crate::domain::properties::RoleSpec;
use crate::ports::{AdapterError, Connector, ErrorKind, SessionContext};
use std::time::Duration;

/// How long the emulated STS adapter pauses between refused AssumeRole calls.
const ROLE_RETRY_PAUSE: Duration = Duration::from_millis(500);

impl Memory {
    /// Makes a refused AssumeRole wait and retry until the session's patience runs out, as STS's
    /// adapter does (off by default: most tests want the refusal at once).
    pub fn emulate_role_patience(&self) {
        self.state().role_patience = true;
    }

    /// The account the provider acts in: the role's (once assumed), or its own.
    async fn assume(&self, role: Option<&RoleSpec>) -> Result<String, AdapterError> {
        let Some(role) = role else {
            return Ok(self.state().own_account.clone());
        };
        let s = self
            .enter(Op::AssumeRole, &role.account, None, None)
            .await?;
        match s.roles.get(&role.arn) {
            Some(demanded) if demanded.is_none() || demanded == &role.external_id => {
                Ok(role.account.clone())
            }
            _ => Err(AdapterError::new(
                ErrorKind::RoleRefused,
                "",
                format!(
                    "could not assume role {}: AccessDenied: not authorized to perform sts:AssumeRole",
                    role.arn
                ),
            )),
        }
    }

    /// [`Memory::assume`], retried as the STS adapter retries a refusal: until the session's
    /// patience runs out, when [`Memory::emulate_role_patience`] asked for it.
    async fn assume_patiently(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
    ) -> Result<String, AdapterError> {
        loop {
            let result = self.assume(role).await;
            let left = session
                .role_patience_until
                .saturating_duration_since(tokio::time::Instant::now());
            let patient = self.state().role_patience;
            match result {
                Err(e) if e.is(&ErrorKind::RoleRefused) && patient && !left.is_zero() => {
                    tokio::time::sleep(left.min(ROLE_RETRY_PAUSE)).await;
                }
                other => return other,
            }
        }
    }

    async fn connect(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
    ) -> Result<Route53In, AdapterError> {
        Ok(Route53In {
            aws: self.clone(),
            account: self.assume_patiently(role, session).await?,
            counter: session.route53.clone(),
        })
    }
}

impl Connector for Memory {
    type Child = Route53In;
    type Parent = Route53In;
    type Stacks = CloudFormationIn;

    async fn stacks(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
        region: &str,
    ) -> Result<CloudFormationIn, AdapterError> {
        let account = self.assume_patiently(role, session).await?;
        Ok(self.cloudformation(&account, region))
    }

    async fn own_account(&self, _: &SessionContext) -> Result<String, AdapterError> {
        let own = self.state().own_account.clone();
        drop(self.enter(Op::GetCallerIdentity, &own, None, None).await?);
        Ok(own)
    }

    async fn child(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
    ) -> Result<Route53In, AdapterError> {
        self.connect(role, session).await
    }

    async fn parent(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
    ) -> Result<Route53In, AdapterError> {
        self.connect(role, session).await
    }
}
