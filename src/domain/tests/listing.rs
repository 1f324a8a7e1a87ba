//! Unit tests of `domain::listing`: the scan over zones served in Route 53's order and in the
//! emulator's (no trailing dot), against the records each name really has.
use super::*;
use crate::domain::model::{RecordKind, RecordType};
use proptest::prelude::*;

fn n(s: &str) -> DnsName {
    DnsName::parse(s).unwrap()
}

fn ns(name: &str) -> LiveRecord {
    LiveRecord {
        name: n(name),
        rtype: RecordType::Managed(RecordKind::Ns),
        ttl: Some(300),
        values: vec!["ns-1.example.net".into()],
        special: false,
    }
}

/// The emulator's order: the stem without the trailing dot.
fn moto_page(records: &[LiveRecord], from: &Cursor, size: usize) -> RecordPage {
    page_sorted_by(records, from, size, stem)
}

/// Runs a scan over `records` served by `pager`: what it read and how many pages.
fn scan(
    records: &[LiveRecord],
    names: &[&str],
    size: usize,
    pager: fn(&[LiveRecord], &Cursor, usize) -> RecordPage,
) -> (Vec<LiveRecord>, usize) {
    let mut scan = Scan::new(names.iter().map(|s| n(s)).collect());
    let (mut read, mut pages) = (Vec::new(), 0);
    let mut cursor = scan.first();
    while let Some(from) = cursor {
        pages += 1;
        assert!(pages <= 10_000, "the scan does not end");
        let page = pager(records, &from, size);
        read.extend(page.records);
        cursor = scan.after_page(page.next.as_ref());
    }
    (read, pages)
}

fn at_and_below<'a>(records: &'a [LiveRecord], name: &str) -> Vec<&'a LiveRecord> {
    let name = n(name);
    let mut found: Vec<&LiveRecord> = records
        .iter()
        .filter(|r| r.name.is_at_or_below(&name))
        .collect();
    found.sort_by_key(|r| (r.name.clone(), r.rtype.to_string()));
    found.dedup();
    found
}

/// Every record at and below every name was read, in either order.
fn assert_complete(records: &[LiveRecord], read: &[LiveRecord], names: &[&str]) {
    for name in names {
        assert_eq!(
            at_and_below(read, name),
            at_and_below(records, name),
            "records at and below {name}"
        );
    }
}

#[test]
fn route53_sorts_reversed_labels_with_the_trailing_dot() {
    let zone: Vec<LiveRecord> = [
        "api.dev.example.com",
        "dev-x.example.com",
        "dev.example.com",
    ]
    .iter()
    .map(|s| ns(s))
    .collect();
    let page = page_of(&zone, &Cursor::at(&n("example.com")), 10);
    let names: Vec<&str> = page.records.iter().map(|r| r.name.as_str()).collect();
    // `com.example.dev-x.` < `com.example.dev.` < `com.example.dev.api.`
    assert_eq!(
        names,
        [
            "dev-x.example.com",
            "dev.example.com",
            "api.dev.example.com"
        ]
    );
}

#[test]
fn names_next_to_each_other_share_a_page() {
    let zone: Vec<LiveRecord> = (0..1000)
        .map(|i| ns(&format!("a{i:04}.example.com")))
        .collect();
    let names: Vec<String> = (500..800).map(|i| format!("a{i:04}.example.com")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (read, pages) = scan(&zone, &names, RECORDS_PER_PAGE, page_of);
    assert_complete(&zone, &read, &names);
    // 300 adjacent names: the page from the first holds them all; the whole zone is 4 pages.
    assert_eq!(pages, 1);
}

#[test]
fn a_batch_jumps_over_the_records_between_its_names() {
    let zone: Vec<LiveRecord> = (0..3000)
        .map(|i| ns(&format!("a{i:04}.example.com")))
        .collect();
    let names = [
        "a0007.example.com",
        "a1500.example.com",
        "a2999.example.com",
    ];
    let (read, pages) = scan(&zone, &names, RECORDS_PER_PAGE, page_of);
    assert_complete(&zone, &read, &names);
    assert_eq!(pages, 3, "one page at each name, not the ten of the zone");
}

#[test]
fn names_spread_over_the_whole_zone_read_it_once() {
    let zone: Vec<LiveRecord> = (0..3000)
        .map(|i| ns(&format!("a{i:04}.example.com")))
        .collect();
    let names: Vec<String> = (0..3000)
        .step_by(7)
        .map(|i| format!("a{i:04}.example.com"))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (read, pages) = scan(&zone, &names, RECORDS_PER_PAGE, page_of);
    assert_complete(&zone, &read, &names);
    assert!(pages <= 3000 / RECORDS_PER_PAGE + 1, "{pages} pages");
}

#[test]
fn a_run_below_a_name_longer_than_a_page_is_read_to_its_end() {
    let mut zone: Vec<LiveRecord> = (0..700)
        .map(|i| ns(&format!("h{i}.dev.example.com")))
        .collect();
    zone.extend(
        [
            "dev.example.com",
            "dev-x.example.com",
            "devops.example.com",
            "zz.example.com",
        ]
        .map(ns),
    );
    for pager in [
        page_of as fn(&[LiveRecord], &Cursor, usize) -> RecordPage,
        moto_page,
    ] {
        let (read, _) = scan(&zone, &["dev.example.com", "zz.example.com"], 300, pager);
        assert_complete(&zone, &read, &["dev.example.com", "zz.example.com"]);
    }
}

#[test]
fn a_name_the_zone_does_not_hold_is_covered_by_the_page_past_it() {
    let zone = vec![ns("a.example.com"), ns("c.example.com")];
    let (read, pages) = scan(&zone, &["b.example.com"], 300, page_of);
    assert_eq!(pages, 1);
    assert!(at_and_below(&read, "b.example.com").is_empty());
}

#[test]
fn no_names_no_pages() {
    assert_eq!(scan(&[ns("a.example.com")], &[], 300, page_of).1, 0);
}

/// Labels drawn from a small alphabet with `-`, so that names extend each other and the two
/// orders disagree often.
fn label() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "a-b", "a-", "b0", "ab", "a-a"])
        .prop_map(|s| s.trim_end_matches('-').to_owned())
}

fn name() -> impl Strategy<Value = String> {
    prop::collection::vec(label(), 1..4)
        .prop_map(|labels| format!("{}.example.com", labels.join(".")))
}

proptest! {
    #[test]
    fn every_name_gets_everything_at_and_below_it_in_either_order(
        zone in prop::collection::vec((name(), prop::sample::select(vec!["A", "DS", "NS", "TXT"])), 0..60),
        names in prop::collection::vec(name(), 1..12),
        size in 1usize..8,
    ) {
        // Several types at one name, so that pages are also cut inside a name.
        let mut records: Vec<LiveRecord> = zone
            .iter()
            .map(|(name, rtype)| LiveRecord { rtype: RecordType::parse(rtype), ..ns(name) })
            .collect();
        records.sort_by_key(|r| (r.name.clone(), r.rtype.to_string()));
        records.dedup();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let zone_pages = records.len().div_ceil(size) + 1;
        let (read, pages) = scan(&records, &names, size, page_of);
        assert_complete(&records, &read, &names);
        // In Route 53's order: never more pages than a jump to each name plus the whole zone.
        prop_assert!(pages <= names.len() + zone_pages, "{} pages", pages);
        // In the emulator's, a name whose place differs is read on its own once more.
        let (read, pages) = scan(&records, &names, size, moto_page);
        assert_complete(&records, &read, &names);
        prop_assert!(pages <= 2 * (names.len() + zone_pages), "{} pages", pages);
    }
}
