//! The audit's reads of Route 53 (docs/design.md, "Audit"): every public zone, and every NS and DS
//! record set of a zone, each with as few calls as paging allows.

use super::errors::classify;
use super::route53::{RECORDS_PER_PAGE, Route53, live_record, zone_from};
use crate::domain::model::{LiveRecord, Zone};
use crate::domain::properties::ZoneId;
use crate::ports::{AdapterError, ZoneLister};
use aws_sdk_route53::types::RrType;

/// ListHostedZones' largest page.
const ZONES_PER_PAGE: i32 = 100;
/// Pages read before giving up on a zone: a million record sets, a hundred times Route 53's
/// default quota of records per zone.
const MAX_AUDIT_PAGES: usize = 3_400;
/// Pages of zones read before giving up: 100,000 zones.
const MAX_ZONE_PAGES: usize = 1_000;

impl ZoneLister for Route53 {
    async fn public_zones(&self) -> Result<Vec<Zone>, AdapterError> {
        let mut zones = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..MAX_ZONE_PAGES {
            self.paced().await;
            let out = self
                .client
                .list_hosted_zones()
                .set_marker(marker.take())
                .max_items(ZONES_PER_PAGE)
                .send()
                .await
                .map_err(|e| {
                    classify(
                        &format!("ListHostedZones in the {} account", self.account),
                        e,
                    )
                })?;
            for zone in out.hosted_zones() {
                let zone = zone_from(zone, Vec::new())?;
                if !zone.private {
                    zones.push(zone);
                }
            }
            match out.next_marker() {
                Some(next) if out.is_truncated() => marker = Some(next.to_owned()),
                _ => return Ok(zones),
            }
        }
        Err(AdapterError::Other(format!(
            "ListHostedZones: more than {} zones",
            MAX_ZONE_PAGES * ZONES_PER_PAGE as usize
        )))
    }

    async fn delegation_records(&self, zone: &ZoneId) -> Result<Vec<LiveRecord>, AdapterError> {
        let mut records = Vec::new();
        let mut start: Option<(String, Option<RrType>, Option<String>)> = None;
        for _ in 0..MAX_AUDIT_PAGES {
            self.paced().await;
            let (name, rtype, id) = start.take().unwrap_or_default();
            let out = self
                .client
                .list_resource_record_sets()
                .hosted_zone_id(zone.as_str())
                .set_start_record_name((!name.is_empty()).then_some(name))
                .set_start_record_type(rtype)
                .set_start_record_identifier(id)
                .max_items(RECORDS_PER_PAGE)
                .send()
                .await
                .map_err(|e| classify(&format!("ListResourceRecordSets {zone}"), e))?;
            records.extend(
                out.resource_record_sets()
                    .iter()
                    .filter(|r| matches!(r.r#type(), RrType::Ns | RrType::Ds))
                    .map(live_record),
            );
            match out.next_record_name() {
                Some(next) if out.is_truncated() => {
                    start = Some((
                        next.to_owned(),
                        out.next_record_type().cloned(),
                        out.next_record_identifier().map(str::to_owned),
                    ));
                }
                _ => return Ok(records),
            }
        }
        Err(AdapterError::Other(format!(
            "ListResourceRecordSets {zone}: more than {} record sets; the audit does not judge a partial read",
            MAX_AUDIT_PAGES * RECORDS_PER_PAGE as usize
        )))
    }
}
