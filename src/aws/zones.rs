//! The audit's reads of Route 53 (docs/design.md, "Audit"): every public zone, and every NS and DS
//! record set of a zone, each with as few calls as paging allows.

use super::errors::classify;
use super::route53::{Route53, zone_from};
use crate::domain::listing::{Cursor, RECORDS_PER_PAGE};
use crate::domain::model::{LiveRecord, Zone};
use crate::domain::properties::ZoneId;
use crate::domain::verdict::{delegation_records, kept_while_listing};
use crate::ports::{AdapterError, ErrorKind, ZoneLister};

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
        Err(AdapterError::new(
            ErrorKind::Other,
            "ListHostedZones",
            format!(
                "more than {} zones",
                MAX_ZONE_PAGES * ZONES_PER_PAGE as usize
            ),
        ))
    }

    async fn delegation_records(&self, zone: &ZoneId) -> Result<Vec<LiveRecord>, AdapterError> {
        let mut records = Vec::new();
        let mut from: Option<Cursor> = None;
        for _ in 0..MAX_AUDIT_PAGES {
            let page = self.list_records_page(zone, from.as_ref()).await?;
            // NS and DS, the two types a delegation is made of, and the glue candidates.
            records.extend(page.records.into_iter().filter(kept_while_listing));
            match page.next {
                Some(next) => from = Some(next),
                None => return Ok(delegation_records(records)),
            }
        }
        Err(AdapterError::new(
            ErrorKind::Other,
            format!("ListResourceRecordSets {zone}"),
            format!(
                "more than {} record sets; the audit does not judge a partial read",
                MAX_AUDIT_PAGES * RECORDS_PER_PAGE
            ),
        ))
    }
}
