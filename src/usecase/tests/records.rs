//! Unit tests of `usecase::records` over the in-memory Route 53 (`crate::testkit`): the bound on
//! one name's read, over a zone served in small pages in Route 53's order, and the pages read,
//! counted in the fake's call log.
use super::*;
use crate::testkit::{Memory, Op, THROTTLE_BACKOFF};
use std::time::Duration;
use tokio::time::Instant;

const ACCOUNT: &str = "111111111111";

fn n(s: &str) -> DnsName {
    DnsName::parse(s).unwrap()
}

/// example.com, listed in pages of `size`, with one record set per (name, type); returns the
/// fake and the zone's ID.
fn zone(records: &[(String, &str)], size: usize) -> (Memory, ZoneId) {
    let aws = Memory::new(ACCOUNT);
    let id = aws.add_zone(ACCOUNT, "example.com");
    for (name, rtype) in records {
        aws.put_record(&id, name, rtype, 300, &["192.0.2.1"]);
    }
    aws.set_record_page_size(size);
    (aws, ZoneId::parse(&id).unwrap())
}

fn pages(aws: &Memory) -> usize {
    aws.count(Op::ListResourceRecordSets, ACCOUNT)
}

/// 150 names, each with two records below it.
fn many_names() -> (Vec<String>, Vec<(String, &'static str)>) {
    let names: Vec<String> = (0..150).map(|i| format!("a{i:03}.example.com")).collect();
    let records = names
        .iter()
        .flat_map(|name| {
            [
                (name.clone(), "NS"),
                (format!("x.{name}"), "A"),
                (format!("y.{name}"), "A"),
            ]
        })
        .collect();
    (names, records)
}

#[tokio::test]
async fn a_name_with_more_pages_below_it_than_the_bound_is_not_planned_on() {
    let mut records = vec![
        ("dev.example.com".to_owned(), "NS"),
        ("zz.example.com".to_owned(), "A"),
    ];
    let below = 2 * MAX_RUN_PAGES as usize + 1;
    records.extend((0..below).map(|i| (format!("h{i:04}.dev.example.com"), "A")));
    let (aws, zone_id) = zone(&records, 2);
    let names = vec![n("dev.example.com"), n("zz.example.com")];
    let error = at_and_below(&aws.route53(ACCOUNT), &zone_id, names)
        .await
        .unwrap_err();
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
    assert_eq!(pages(&aws), MAX_RUN_PAGES as usize);
}

#[tokio::test]
async fn many_names_in_a_row_are_bounded_each_not_together() {
    // 150 names, each with two records below it, in pages of 2: every page ends inside the next
    // name's stretch, so the read goes on page after page, 225 of them, without a jump.
    let (names, records) = many_names();
    let (aws, zone_id) = zone(&records, 2);
    let read = at_and_below(
        &aws.route53(ACCOUNT),
        &zone_id,
        names.iter().map(|s| n(s)).collect(),
    )
    .await
    .unwrap();
    assert_eq!(read.len(), records.len());
    assert_eq!(pages(&aws), records.len().div_ceil(2));
}

#[tokio::test(start_paused = true)]
async fn slow_and_throttled_pages_delay_the_read_but_do_not_change_it() {
    let (names, records) = many_names();
    let names: Vec<DnsName> = names.iter().take(10).map(|s| n(s)).collect();
    let (aws, zone_id) = zone(&records, 2);
    let parent = aws.route53(ACCOUNT);
    let fast = at_and_below(&parent, &zone_id, names.clone())
        .await
        .unwrap();
    let fast_pages = pages(&aws);
    aws.clear_calls();
    aws.slow(Op::ListResourceRecordSets, Duration::from_secs(1));
    aws.throttle(Op::ListResourceRecordSets, ACCOUNT, 2);
    let started = Instant::now();
    let slow = at_and_below(&parent, &zone_id, names).await.unwrap();
    assert_eq!(slow, fast);
    // Each attempt waits its second, each throttled one the backoff too; one page after another.
    assert_eq!(pages(&aws), fast_pages + 2);
    let waited = Duration::from_secs(pages(&aws) as u64) + 2 * THROTTLE_BACKOFF;
    assert_eq!(started.elapsed(), waited);
}
