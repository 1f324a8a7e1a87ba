//! Unit tests of `usecase::records`: the bound on one name's read, over a zone served in pages.
use super::*;
use crate::domain::listing::{Cursor, RecordPage, page_of};
use crate::domain::model::{Change, RecordType, SubmittedChange, Zone};
use crate::ports::ErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn n(s: &str) -> DnsName {
    DnsName::parse(s).unwrap()
}

fn record(name: &str, rtype: &str) -> LiveRecord {
    LiveRecord {
        name: n(name),
        rtype: RecordType::parse(rtype),
        ttl: Some(300),
        values: vec!["192.0.2.1".into()],
        special: false,
    }
}

/// A parent zone that serves its records in pages of `size`, in Route 53's order, and counts
/// the pages; it only lists.
struct Paged {
    records: Vec<LiveRecord>,
    size: usize,
    pages: AtomicUsize,
}

impl Paged {
    fn new(records: Vec<LiveRecord>, size: usize) -> Self {
        Paged {
            records,
            size,
            pages: AtomicUsize::new(0),
        }
    }
}

fn unused<T>() -> Result<T, AdapterError> {
    Err(AdapterError::new(
        ErrorKind::Other,
        "",
        "a read makes no other call",
    ))
}

impl ParentZoneStore for Paged {
    async fn hosted_zone(&self, _id: &ZoneId) -> Result<Zone, AdapterError> {
        unused()
    }
    async fn zones_named(&self, _name: &DnsName) -> Result<Vec<Zone>, AdapterError> {
        unused()
    }
    async fn records_page(
        &self,
        _zone: &ZoneId,
        from: &Cursor,
    ) -> Result<RecordPage, AdapterError> {
        self.pages.fetch_add(1, Ordering::SeqCst);
        Ok(page_of(&self.records, from, self.size))
    }
    async fn change(
        &self,
        _zone: &ZoneId,
        _changes: &[Change],
        _comment: &str,
    ) -> Result<SubmittedChange, AdapterError> {
        unused()
    }
    async fn wait_insync(&self, _id: &str, _max: Duration) -> Result<bool, AdapterError> {
        unused()
    }
}

fn zone_id() -> ZoneId {
    ZoneId::parse("Z0PARENT").unwrap()
}

#[tokio::test]
async fn a_name_with_more_pages_below_it_than_the_bound_is_not_planned_on() {
    let mut records = vec![
        record("dev.example.com", "NS"),
        record("zz.example.com", "A"),
    ];
    let below = 2 * MAX_RUN_PAGES as usize + 1;
    records.extend((0..below).map(|i| record(&format!("h{i:04}.dev.example.com"), "A")));
    let zone = Paged::new(records, 2);
    let names = vec![n("dev.example.com"), n("zz.example.com")];
    let error = at_and_below(&zone, &zone_id(), names).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message
            .contains("more than 30000 record sets in a row at, below or beside dev.example.com"),
        "{message}"
    );
    assert!(
        message.ends_with("Move records out from below dev.example.com"),
        "{message}"
    );
    assert_eq!(zone.pages.load(Ordering::SeqCst), MAX_RUN_PAGES as usize);
}

#[tokio::test]
async fn many_names_in_a_row_are_bounded_each_not_together() {
    // 150 names, each with two records below it, in pages of 2: every page ends inside the next
    // name's stretch, so the read goes on page after page, 225 of them, without a jump.
    let names: Vec<String> = (0..150).map(|i| format!("a{i:03}.example.com")).collect();
    let records: Vec<LiveRecord> = names
        .iter()
        .flat_map(|name| {
            [
                record(name, "NS"),
                record(&format!("x.{name}"), "A"),
                record(&format!("y.{name}"), "A"),
            ]
        })
        .collect();
    let zone = Paged::new(records.clone(), 2);
    let read = at_and_below(&zone, &zone_id(), names.iter().map(|s| n(s)).collect())
        .await
        .unwrap();
    assert_eq!(read.len(), records.len());
    assert_eq!(zone.pages.load(Ordering::SeqCst), records.len().div_ceil(2));
}
