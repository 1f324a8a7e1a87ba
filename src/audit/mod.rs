//! The audit's runners (docs/design.md, "Audit"): the command line (`cli`) and the scheduled event
//! (`scheduled`) build the same options; `run` connects the adapters and runs the use case, then,
//! when asked, imports the findings into Security Hub (`security_hub`); `report` and `table`
//! render what it found.

pub mod cli;
pub mod report;
pub mod scheduled;
pub mod security_hub;
pub mod table;

use crate::aws::SdkConnector;
use crate::config::Config;
use crate::dns::HickoryProber;
use crate::domain::name::DnsName;
use crate::domain::properties::{ParentZoneRef, RoleSpec, ZoneId, role_arn_account};
use crate::ports::{CallTally, Connector, SessionContext};
use crate::usecase::audit::{AuditReport, AuditRequest, Observer, audit};
use aws_config::retry::RetryConfig;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Attempts of one Route 53 call in an audit. Not the provider's patience (`aws::retry_config`,
/// bounded by a CloudFormation request's deadline): a person or a pipeline waits for the audit, so
/// an unreachable or failing Route 53 ends it within seconds, as an error (exit code 3).
const AUDIT_ATTEMPTS: u32 = 5;
const AUDIT_BACKOFF: Duration = Duration::from_secs(1);
const AUDIT_BACKOFF_CAP: Duration = Duration::from_secs(5);

fn audit_retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(AUDIT_ATTEMPTS)
        .with_initial_backoff(AUDIT_BACKOFF)
        .with_max_backoff(AUDIT_BACKOFF_CAP)
}

/// What an audit run needs besides the AWS configuration.
#[derive(Clone, Debug)]
pub struct Options {
    pub request: AuditRequest,
    /// `HOST=ADDR:PORT` overrides of name servers' addresses.
    pub nameserver_addresses: HashMap<String, Vec<SocketAddr>>,
    pub parent_role: Option<RoleSpec>,
    /// One DNS try's timeout.
    pub dns_timeout: Duration,
    /// Import the findings into Security Hub (`--security-hub`, `DELEGATION_AUDIT_SECURITY_HUB`).
    pub security_hub: bool,
}

/// What a run produced, with its cost.
pub struct Run {
    pub report: AuditReport,
    pub route53_calls: u32,
    pub dns_queries: u64,
    pub elapsed: Duration,
}

/// A zone given by ID (`Z…`, with or without `/hostedzone/`) or by name.
pub fn parse_zone(text: &str) -> Result<ParentZoneRef, String> {
    if let Some(id) = ZoneId::parse(text) {
        return Ok(ParentZoneRef::Id(id));
    }
    DnsName::parse(text)
        .map(ParentZoneRef::Name)
        .map_err(|e| format!("zone {text:?} is neither a hosted zone ID nor a name: it {e}"))
}

/// `HOST=ADDR[:PORT]` (IPv6 as `[ADDR]:PORT`); the port defaults to 53.
pub fn parse_nameserver_address(text: &str) -> Result<(String, SocketAddr), String> {
    let (host, addr) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not HOST=ADDR:PORT"))?;
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return Err(format!("{text:?} names no host"));
    }
    let addr = addr.trim();
    let parsed = addr
        .parse::<SocketAddr>()
        .or_else(|_| {
            addr.parse::<std::net::IpAddr>()
                .map(|ip| SocketAddr::new(ip, 53))
        })
        .map_err(|_| format!("{addr:?} in {text:?} is not an IP address with an optional port"))?;
    Ok((host, parsed))
}

/// Adds overrides to a map, several addresses per host allowed.
pub fn add_overrides(
    map: &mut HashMap<String, Vec<SocketAddr>>,
    entries: impl IntoIterator<Item = (String, SocketAddr)>,
) {
    for (host, addr) in entries {
        let addrs = map.entry(host).or_default();
        if !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
}

/// A role to act as in the parent account.
pub fn parent_role(arn: &str, external_id: Option<String>) -> Result<RoleSpec, String> {
    let account = role_arn_account(arn).ok_or_else(|| {
        format!("{arn:?} is not an IAM role ARN such as arn:aws:iam::111111111111:role/Name")
    })?;
    Ok(RoleSpec {
        arn: arn.to_owned(),
        account,
        external_id,
    })
}

/// Runs one audit with the SDK's configuration (endpoints, credentials, region from the
/// environment) and the hickory prober.
pub async fn run<O: Observer>(
    sdk: &aws_config::SdkConfig,
    config: &Config,
    options: &Options,
    observer: &O,
) -> Result<Run, String> {
    let started = Instant::now();
    let connector = SdkConnector::new(sdk.clone(), audit_retry_config())
        .with_requests_per_second(config.route53_requests_per_second);
    let calls = Arc::new(CallTally::default());
    let session = SessionContext {
        session_name: "sd-audit".into(),
        sts_region: config.sts_region(None),
        route53: calls.clone(),
        role_patience_until: tokio::time::Instant::now() + crate::ports::ASSUME_ROLE_PATIENCE,
    };
    let parent = connector
        .parent(options.parent_role.as_ref(), &session)
        .await
        .map_err(|e| e.to_string())?;
    let prober = HickoryProber::new(options.nameserver_addresses.clone(), options.dns_timeout);
    let mut report = audit(&parent, &prober, &options.request, observer).await;
    if options.security_hub {
        let published =
            security_hub::import(sdk, audit_retry_config(), &connector, &session, &report).await;
        report.security_hub = Some(published);
    }
    Ok(Run {
        report,
        route53_calls: calls.calls(),
        dns_queries: prober.queries(),
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_and_overrides_parse() {
        assert!(matches!(parse_zone("Z0ABC123"), Ok(ParentZoneRef::Id(_))));
        assert!(matches!(
            parse_zone("/hostedzone/Z0ABC123"),
            Ok(ParentZoneRef::Id(_))
        ));
        assert!(
            matches!(parse_zone("Example.COM."), Ok(ParentZoneRef::Name(n)) if n.as_str() == "example.com")
        );
        assert!(
            matches!(parse_zone("bücher.example"), Ok(ParentZoneRef::Name(n)) if n.as_str() == "xn--bcher-kva.example")
        );
        assert!(parse_zone("a..b").is_err());
        let (host, addr) = parse_nameserver_address("NS1.Example.net.=127.0.0.1:5353").unwrap();
        assert_eq!(
            (host.as_str(), addr.to_string().as_str()),
            ("ns1.example.net", "127.0.0.1:5353")
        );
        let (_, addr) = parse_nameserver_address("ns=::1").unwrap();
        assert_eq!(addr.to_string(), "[::1]:53");
        let (_, addr) = parse_nameserver_address("ns=[::1]:5300").unwrap();
        assert_eq!(addr.port(), 5300);
        for bad in ["ns", "=1.2.3.4", "ns=host:53", "ns=1.2.3.4:99999"] {
            assert!(parse_nameserver_address(bad).is_err(), "{bad}");
        }
        let mut map = HashMap::new();
        add_overrides(&mut map, [("a".into(), addr), ("a".into(), addr)]);
        assert_eq!(map["a"].len(), 1);
        assert!(parent_role("arn:aws-cn:iam::111111111111:role/x", None).is_ok());
        assert!(parent_role("nope", None).is_err());
    }
}
