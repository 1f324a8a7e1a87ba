//! Route 53 as one account sees it: the child zone reader, the parent zone store and the audit's
//! zone lister, with Route 53's listing order and page sizes and its change-batch semantics.

use super::Memory;
use super::state::{Op, RecordKey, RecordSet, State};
use crate::domain::listing::{Cursor, RecordPage, page_of};
use crate::domain::model::{Change, DnssecState, LiveRecord, RecordAction, SubmittedChange, Zone};
use crate::domain::name::{DnsName, same_values};
use crate::domain::properties::ZoneId;
use crate::domain::verdict::{delegation_records, kept_while_listing};
use crate::ports::{
    AdapterError, CallTally, ChildZoneReader, ErrorKind, ParentZoneStore, ZoneLister,
};
use std::collections::BTreeMap;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

/// ListHostedZones' largest page.
const ZONES_PER_PAGE: usize = 100;

/// Route 53 as one account sees it.
pub struct Route53In {
    pub(super) aws: Memory,
    pub(super) account: String,
    /// The session's Route 53 attempts, for the summary line.
    pub(super) counter: Arc<CallTally>,
}

impl Memory {
    /// Route 53 as `account` sees it, without assuming a role: for the use cases that take the
    /// adapter itself (the audit, the records read).
    pub fn route53(&self, account: &str) -> Route53In {
        Route53In {
            aws: self.clone(),
            account: account.to_owned(),
            counter: Arc::default(),
        }
    }
}

impl Route53In {
    /// Logs the call (and counts it for the summary line), then applies the injected faults.
    async fn enter(&self, op: Op) -> Result<MutexGuard<'_, State>, AdapterError> {
        let counter = Some(self.counter.as_ref());
        self.aws.enter(op, &self.account, counter, None).await
    }

    async fn get_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError> {
        let mut s = self.enter(Op::GetHostedZone).await?;
        Ok(s.zone(&self.account, id.as_str())?.zone.clone())
    }

    /// One page of ListResourceRecordSets, in Route 53's order; `None`: from the zone's start.
    async fn page(&self, zone: &ZoneId, from: Option<&Cursor>) -> Result<RecordPage, AdapterError> {
        let mut s = self.enter(Op::ListResourceRecordSets).await?;
        let size = s.record_page_size;
        let hosted = s.zone(&self.account, zone.as_str())?;
        // Every record set of a zone is at or below its apex: the apex is where the listing starts.
        let start = Cursor::at(&hosted.zone.name);
        Ok(page_of(
            &hosted.live_records(),
            from.unwrap_or(&start),
            size,
        ))
    }

    /// ChangeResourceRecordSets; with `tries`, throttling answers `ErrorKind::Throttled` after
    /// that many attempts.
    async fn submit(
        &self,
        zone: &ZoneId,
        changes: &[Change],
        tries: Option<u32>,
    ) -> Result<SubmittedChange, AdapterError> {
        self.aws.state().change_batches.push(changes.to_vec());
        let op = Op::ChangeResourceRecordSets;
        let counter = Some(self.counter.as_ref());
        let mut s = self.aws.enter(op, &self.account, counter, tries).await?;
        s.faults.change(zone, changes)?;
        let edits = s.faults.edits_before_change(zone);
        let hosted = s.zone(&self.account, zone.as_str())?;
        for edit in edits {
            hosted.records.insert(edit.key, edit.set);
        }
        hosted.records = applied(zone, &hosted.records, changes)?;
        s.changes += 1;
        let id = format!("C{:06}MEMORY", s.changes);
        s.faults.call(op, &self.account, true)?;
        Ok(SubmittedChange { id, insync: false })
    }
}

/// The zone's record sets once the batch applied, as Route 53 applies one: UPSERT replaces the
/// set; DELETE must name the exact TTL and values; the batch applies whole or not at all.
fn applied(
    zone: &ZoneId,
    records: &BTreeMap<RecordKey, RecordSet>,
    changes: &[Change],
) -> Result<BTreeMap<RecordKey, RecordSet>, AdapterError> {
    let mut records = records.clone();
    for change in changes {
        let key = (change.name.clone(), change.kind.as_str().to_owned());
        let refuse = |why: &str| {
            AdapterError::new(
                ErrorKind::Stale,
                "",
                format!(
                    "ChangeResourceRecordSets in {zone}: InvalidChangeBatch: [Tried to delete resource record set [name='{}', type='{}'] but {why}]",
                    change.name.fqdn(),
                    change.kind
                ),
            )
        };
        match change.action {
            RecordAction::Upsert => {
                records.insert(key, (change.ttl, change.values.clone()));
            }
            RecordAction::Delete => match records.get(&key) {
                None => return Err(refuse("it was not found")),
                Some((ttl, values))
                    if *ttl != change.ttl || !same_values(values, &change.values) =>
                {
                    return Err(refuse(
                        "the values provided do not match the current values",
                    ));
                }
                Some(_) => {
                    records.remove(&key);
                }
            },
        }
    }
    Ok(records)
}

impl ChildZoneReader for Route53In {
    async fn hosted_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError> {
        self.get_zone(id).await
    }

    async fn dnssec(&self, id: &ZoneId) -> Result<DnssecState, AdapterError> {
        let mut s = self.enter(Op::GetDnssec).await?;
        Ok(s.zone(&self.account, id.as_str())?.dnssec.clone())
    }
}

impl ParentZoneStore for Route53In {
    async fn hosted_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError> {
        self.get_zone(id).await
    }

    async fn zones_named(&self, name: &DnsName) -> Result<Vec<Zone>, AdapterError> {
        let s = self.enter(Op::ListHostedZonesByName).await?;
        Ok(s.zones
            .values()
            .filter(|z| z.account == self.account && &z.zone.name == name)
            .map(|z| z.zone.clone())
            .collect())
    }

    /// Route 53's listing order and page size (`Memory::set_record_page_size`).
    async fn records_page(&self, zone: &ZoneId, from: &Cursor) -> Result<RecordPage, AdapterError> {
        self.page(zone, Some(from)).await
    }

    async fn change(
        &self,
        zone: &ZoneId,
        changes: &[Change],
        _comment: &str,
    ) -> Result<SubmittedChange, AdapterError> {
        self.submit(zone, changes, None).await
    }

    async fn change_unless_throttled(
        &self,
        zone: &ZoneId,
        changes: &[Change],
        _comment: &str,
        tries: u32,
    ) -> Result<SubmittedChange, AdapterError> {
        self.submit(zone, changes, Some(tries)).await
    }

    async fn wait_insync(&self, _change_id: &str, _max: Duration) -> Result<bool, AdapterError> {
        drop(self.enter(Op::GetChange).await?);
        Ok(true)
    }
}

impl ZoneLister for Route53In {
    /// Every public zone of the account, one ListHostedZones call per 100 zones (private ones
    /// count: Route 53 lists them too).
    async fn public_zones(&self) -> Result<Vec<Zone>, AdapterError> {
        let mut zones = Vec::new();
        let mut page = 0;
        loop {
            let s = self.enter(Op::ListHostedZones).await?;
            let account = s.zones.values().filter(|z| z.account == self.account);
            let listed: Vec<Zone> = account
                .skip(page * ZONES_PER_PAGE)
                .take(ZONES_PER_PAGE + 1)
                .map(|z| z.zone.clone())
                .collect();
            let more = listed.len() > ZONES_PER_PAGE;
            let this_page = listed.into_iter().take(ZONES_PER_PAGE);
            zones.extend(this_page.filter(|z| !z.private));
            if !more {
                return Ok(zones);
            }
            page += 1;
        }
    }

    /// The zone's NS and DS record sets and the glue at their targets, every page read.
    async fn delegation_records(&self, zone: &ZoneId) -> Result<Vec<LiveRecord>, AdapterError> {
        let mut records = Vec::new();
        let mut from = None;
        loop {
            let page = self.page(zone, from.as_ref()).await?;
            records.extend(page.records.into_iter().filter(kept_while_listing));
            match page.next {
                Some(next) => from = Some(next),
                None => return Ok(delegation_records(records)),
            }
        }
    }
}
