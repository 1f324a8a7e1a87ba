//! The Route 53 adapter: the child zone reader and the parent zone store, over one client acting
//! in one account.

use super::errors::{THROTTLING_CODES, classify, retry_config};
use super::pace::AccountPace;
use crate::domain::listing::{self, Cursor, RecordPage};
use crate::domain::model::{
    Change, DnssecState, KeySigningKey, KeyStatus, LiveRecord, RecordAction, RecordType,
    SigningStatus, SubmittedChange, Zone,
};
use crate::domain::name::DnsName;
use crate::domain::properties::ZoneId;
use crate::ports::{AdapterError, CallTally, ChildZoneReader, ErrorKind, ParentZoneStore};
use aws_sdk_route53::error::DisplayErrorContext;
use aws_sdk_route53::types::{
    ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord, ResourceRecordSet, RrType,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::sync::Arc;
use std::time::Duration;

/// `listing::RECORDS_PER_PAGE` as the SDK takes it.
const RECORDS_PER_PAGE: i32 = listing::RECORDS_PER_PAGE as i32;

/// Counts the HTTP attempts a client makes (retries included), and the throttled ones, for the
/// summary log line and the metrics.
#[derive(Debug, Clone)]
pub(super) struct CallCounter(pub(super) Arc<CallTally>);

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.call();
        Ok(())
    }

    /// A throttled attempt, told by the error code in the response Route 53 sent (the SDK's retry
    /// classifiers run more than once per attempt, so they cannot count).
    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.inner().response().and_then(|r| r.body().bytes());
        if body
            .and_then(error_code)
            .is_some_and(|code| THROTTLING_CODES.contains(&code))
        {
            self.0.throttled();
        }
        Ok(())
    }
}

/// The `<Code>` of a Route 53 error response (REST-XML).
fn error_code(body: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let len = text[start..].find("</Code>")?;
    Some(text[start..start + len].trim())
}

/// A Route 53 client acting in one account (the child's or the parent's).
#[derive(Clone, Debug)]
pub struct Route53 {
    pub(super) client: aws_sdk_route53::Client,
    pub(super) account: &'static str,
    pace: Option<Arc<AccountPace>>,
}

impl Route53 {
    /// An adapter over a ready client (tests inject mocked clients this way).
    pub fn new(client: aws_sdk_route53::Client, account: &'static str) -> Self {
        Route53 {
            client,
            account,
            pace: None,
        }
    }

    /// The same adapter, spaced by `pace` after throttling (its client must carry the matching
    /// `PaceHooks` as retry classifier and interceptor, as `SdkConnector`'s clients do).
    pub fn with_pace(mut self, pace: Arc<AccountPace>) -> Self {
        self.pace = Some(pace);
        self
    }

    /// Waits, after throttling, until the account's next call may go out.
    pub(super) async fn paced(&self) {
        if let Some(pace) = &self.pace {
            pace.ready().await;
        }
    }

    /// One ChangeResourceRecordSets call; with `tries`, no more attempts than that (the rest of
    /// the client's retry settings unchanged).
    async fn submit(
        &self,
        zone: &ZoneId,
        changes: &[Change],
        comment: &str,
        tries: Option<u32>,
    ) -> Result<SubmittedChange, AdapterError> {
        let batch = ChangeBatch::builder()
            .comment(comment)
            .set_changes(Some(
                changes.iter().map(to_sdk).collect::<Result<Vec<_>, _>>()?,
            ))
            .build()
            .map_err(|e| AdapterError::new(ErrorKind::Other, "ChangeBatch", e.to_string()))?;
        self.paced().await;
        let mut call = self
            .client
            .change_resource_record_sets()
            .hosted_zone_id(zone.as_str())
            .change_batch(batch)
            .customize();
        if let Some(tries) = tries {
            call = call.config_override(
                aws_sdk_route53::config::Builder::default()
                    .retry_config(retry_config().with_max_attempts(tries.max(1))),
            );
        }
        let out = call
            .send()
            .await
            .map_err(|e| classify(&format!("ChangeResourceRecordSets in {zone}"), e))?;
        let info = out.change_info().ok_or_else(|| {
            AdapterError::new(
                ErrorKind::Other,
                "ChangeResourceRecordSets",
                "returned no ChangeInfo",
            )
        })?;
        Ok(SubmittedChange {
            id: info.id().trim_start_matches("/change/").to_owned(),
            insync: info.status() == &ChangeStatus::Insync,
        })
    }
}

pub(super) fn zone_from(
    zone: &aws_sdk_route53::types::HostedZone,
    name_servers: Vec<String>,
) -> Result<Zone, AdapterError> {
    let id = ZoneId::parse(zone.id()).ok_or_else(|| {
        AdapterError::new(
            ErrorKind::Other,
            "",
            format!("Route 53 returned an unexpected zone ID {:?}", zone.id()),
        )
    })?;
    Ok(Zone {
        id,
        name: DnsName::from_route53(zone.name()),
        private: zone.config().is_some_and(|c| c.private_zone()),
        name_servers,
    })
}

fn live_record(r: &ResourceRecordSet) -> LiveRecord {
    LiveRecord {
        name: DnsName::from_route53(r.name()),
        rtype: RecordType::parse(r.r#type().as_str()),
        ttl: r.ttl(),
        values: r
            .resource_records()
            .iter()
            .map(|v| v.value().to_owned())
            .collect(),
        special: r.alias_target().is_some()
            || r.set_identifier().is_some()
            || r.traffic_policy_instance_id().is_some(),
    }
}

fn to_sdk(change: &Change) -> Result<aws_sdk_route53::types::Change, AdapterError> {
    let build = |e: aws_smithy_types::error::operation::BuildError| {
        AdapterError::new(ErrorKind::Other, "Change", e.to_string())
    };
    let records = change
        .values
        .iter()
        .map(|v| ResourceRecord::builder().value(v).build().map_err(build))
        .collect::<Result<Vec<_>, _>>()?;
    let set = ResourceRecordSet::builder()
        .name(change.name.fqdn())
        .r#type(RrType::from(change.kind.as_str()))
        .ttl(change.ttl)
        .set_resource_records(Some(records))
        .build()
        .map_err(build)?;
    aws_sdk_route53::types::Change::builder()
        .action(match change.action {
            RecordAction::Upsert => ChangeAction::Upsert,
            RecordAction::Delete => ChangeAction::Delete,
        })
        .resource_record_set(set)
        .build()
        .map_err(build)
}

impl Route53 {
    /// One ListResourceRecordSets page from `from` (`None`: the zone's first record set), for the
    /// provider's reads and the audit's.
    pub(super) async fn list_records_page(
        &self,
        zone: &ZoneId,
        from: Option<&Cursor>,
    ) -> Result<RecordPage, AdapterError> {
        self.paced().await;
        let out = self
            .client
            .list_resource_record_sets()
            .hosted_zone_id(zone.as_str())
            .set_start_record_name(from.map(|c| c.name.clone()))
            .set_start_record_type(from.and_then(|c| c.rtype.as_deref()).map(RrType::from))
            .set_start_record_identifier(from.and_then(|c| c.identifier.clone()))
            .max_items(RECORDS_PER_PAGE)
            .send()
            .await
            .map_err(|e| {
                let context = match from {
                    Some(c) => format!("ListResourceRecordSets {zone} from {}", c.name),
                    None => format!("ListResourceRecordSets {zone}"),
                };
                classify(&context, e)
            })?;
        let next = match (out.is_truncated(), out.next_record_name()) {
            (true, Some(name)) => Some(Cursor {
                name: name.to_owned(),
                rtype: out.next_record_type().map(|t| t.as_str().to_owned()),
                identifier: out.next_record_identifier().map(str::to_owned),
            }),
            _ => None,
        };
        Ok(RecordPage {
            records: out.resource_record_sets().iter().map(live_record).collect(),
            next,
        })
    }

    async fn get_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError> {
        self.paced().await;
        let out = self
            .client
            .get_hosted_zone()
            .id(id.as_str())
            .send()
            .await
            .map_err(|e| {
                classify(
                    &format!("GetHostedZone {id} in the {} account", self.account),
                    e,
                )
            })?;
        let zone = out.hosted_zone().ok_or_else(|| {
            AdapterError::new(
                ErrorKind::Other,
                format!("GetHostedZone {id}"),
                "returned no zone",
            )
        })?;
        let name_servers = out
            .delegation_set()
            .map(|d| d.name_servers().to_vec())
            .unwrap_or_default();
        zone_from(zone, name_servers)
    }
}

impl ChildZoneReader for Route53 {
    async fn hosted_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError> {
        self.get_zone(id).await
    }

    async fn dnssec(&self, id: &ZoneId) -> Result<DnssecState, AdapterError> {
        self.paced().await;
        let out = self
            .client
            .get_dnssec()
            .hosted_zone_id(id.as_str())
            .send()
            .await
            .map_err(|e| classify(&format!("GetDNSSEC {id} in the child account"), e))?;
        Ok(DnssecState {
            serve_signature: SigningStatus::parse(
                out.status()
                    .and_then(|s| s.serve_signature())
                    .unwrap_or("NOT_SIGNING"),
            ),
            key_signing_keys: out
                .key_signing_keys()
                .iter()
                .map(|k| KeySigningKey {
                    name: k.name().unwrap_or_default().to_owned(),
                    status: KeyStatus::parse(k.status().unwrap_or_default()),
                    ds_record: k.ds_record().unwrap_or_default().to_owned(),
                })
                .collect(),
        })
    }
}

impl ParentZoneStore for Route53 {
    async fn hosted_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError> {
        self.get_zone(id).await
    }

    async fn zones_named(&self, name: &DnsName) -> Result<Vec<Zone>, AdapterError> {
        let mut zones = Vec::new();
        let mut next: Option<(String, Option<String>)> = Some((name.fqdn(), None));
        while let Some((dns_name, zone_id)) = next.take() {
            self.paced().await;
            let out = self
                .client
                .list_hosted_zones_by_name()
                .dns_name(dns_name)
                .set_hosted_zone_id(zone_id)
                .send()
                .await
                .map_err(|e| classify(&format!("ListHostedZonesByName {name}"), e))?;
            let mut past_name = false;
            for zone in out.hosted_zones() {
                if &DnsName::from_route53(zone.name()) == name {
                    zones.push(zone_from(zone, Vec::new())?);
                } else {
                    // Zones come sorted by name: once past ours, no later page can hold it.
                    past_name = true;
                }
            }
            if out.is_truncated() && !past_name {
                next = out
                    .next_dns_name()
                    .map(|n| (n.to_owned(), out.next_hosted_zone_id().map(str::to_owned)));
            }
        }
        Ok(zones)
    }

    async fn records_page(&self, zone: &ZoneId, from: &Cursor) -> Result<RecordPage, AdapterError> {
        self.list_records_page(zone, Some(from)).await
    }

    async fn change(
        &self,
        zone: &ZoneId,
        changes: &[Change],
        comment: &str,
    ) -> Result<SubmittedChange, AdapterError> {
        self.submit(zone, changes, comment, None).await
    }

    async fn change_unless_throttled(
        &self,
        zone: &ZoneId,
        changes: &[Change],
        comment: &str,
        tries: u32,
    ) -> Result<SubmittedChange, AdapterError> {
        self.submit(zone, changes, comment, Some(tries)).await
    }

    async fn wait_insync(&self, change_id: &str, max: Duration) -> Result<bool, AdapterError> {
        use aws_sdk_route53::client::Waiters;
        match self
            .client
            .wait_until_resource_record_sets_changed()
            .id(change_id)
            .wait(max)
            .await
        {
            Ok(_) => Ok(true),
            Err(aws_sdk_route53::waiters::resource_record_sets_changed::WaitUntilResourceRecordSetsChangedError::ExceededMaxWait(_)) => Ok(false),
            Err(e) => Err(AdapterError::new(
                ErrorKind::Other,
                format!("waiting for change {change_id} to be INSYNC"),
                DisplayErrorContext(&e).to_string(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_code_is_read_from_route53s_error_response() {
        let throttled = br#"<?xml version="1.0"?>
<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>"#;
        assert_eq!(error_code(throttled), Some("Throttling"));
        assert!(THROTTLING_CODES.contains(&"PriorRequestNotComplete"));
        assert_eq!(
            error_code(b"<ChangeInfo><Id>/change/C1</Id></ChangeInfo>"),
            None
        );
        assert_eq!(error_code(b"\xff\xfe"), None);
        assert_eq!(error_code(b"<Code>unterminated"), None);
    }
}
