//! One connector for the SDK-mock tests: the product's adapters (`aws::Route53`,
//! `aws::CloudFormation`) over SDK clients that answer from `aws-smithy-mocks` rules, shaped like
//! the services' real answers, with moto behind whatever a test does not mock. The rules of the
//! handler run on the in-memory fake (`subdomain_delegation::testkit`); this is for what only the
//! adapters and the SDK's shapes can show.

use std::sync::{Arc, Mutex};
use subdomain_delegation::aws::{CloudFormation, Route53, SdkConnector};
use subdomain_delegation::domain::properties::RoleSpec;
use subdomain_delegation::ports::{AdapterError, Connector, ErrorKind, SessionContext};

/// Sessions asked of CloudFormation: (role ARN, region).
pub type StackSessions = Arc<Mutex<Vec<(Option<String>, String)>>>;

/// Where each Route 53 and CloudFormation session comes from.
pub struct MockedSdk {
    /// The child and the parent account's Route 53 clients; `None`: moto's, through `moto`.
    pub route53: Option<(aws_sdk_route53::Client, aws_sdk_route53::Client)>,
    /// CloudFormation's client; `None`: request verification is off in the test.
    pub cloudformation: Option<aws_sdk_cloudformation::Client>,
    /// moto, for STS, the own account and unmocked Route 53.
    pub moto: Option<SdkConnector>,
    /// Each CloudFormation session asked for: the role (ARN) and the region.
    pub stack_sessions: StackSessions,
}

impl MockedSdk {
    /// Route 53 from these mocked clients; nothing else.
    pub fn route53(child: aws_sdk_route53::Client, parent: aws_sdk_route53::Client) -> Self {
        MockedSdk {
            route53: Some((child, parent)),
            cloudformation: None,
            moto: None,
            stack_sessions: Arc::default(),
        }
    }

    /// CloudFormation from this mocked client, the rest from moto.
    pub fn cloudformation(cfn: aws_sdk_cloudformation::Client, moto: SdkConnector) -> Self {
        MockedSdk {
            route53: None,
            cloudformation: Some(cfn),
            moto: Some(moto),
            stack_sessions: Arc::default(),
        }
    }

    fn moto(&self) -> &SdkConnector {
        self.moto
            .as_ref()
            .expect("the test mocks Route 53 or gives moto")
    }
}

impl Connector for MockedSdk {
    type Child = Route53;
    type Parent = Route53;
    type Stacks = CloudFormation;

    async fn stacks(
        &self,
        role: Option<&RoleSpec>,
        _: &SessionContext,
        region: &str,
    ) -> Result<CloudFormation, AdapterError> {
        let Some(cfn) = &self.cloudformation else {
            return Err(AdapterError::new(
                ErrorKind::Other,
                "",
                "request verification is off in these tests",
            ));
        };
        self.stack_sessions
            .lock()
            .unwrap()
            .push((role.map(|r| r.arn.clone()), region.to_owned()));
        Ok(CloudFormation::new(cfn.clone()))
    }

    async fn own_account(&self, s: &SessionContext) -> Result<String, AdapterError> {
        match &self.moto {
            Some(moto) => moto.own_account(s).await,
            None => Ok("111111111111".into()),
        }
    }

    async fn child(
        &self,
        role: Option<&RoleSpec>,
        s: &SessionContext,
    ) -> Result<Route53, AdapterError> {
        match &self.route53 {
            Some((child, _)) => Ok(Route53::new(child.clone(), "child")),
            None => self.moto().child(role, s).await,
        }
    }

    async fn parent(
        &self,
        role: Option<&RoleSpec>,
        s: &SessionContext,
    ) -> Result<Route53, AdapterError> {
        match &self.route53 {
            Some((_, parent)) => Ok(Route53::new(parent.clone(), "parent")),
            None => self.moto().parent(role, s).await,
        }
    }
}
