//! Unit tests of `domain::batch`, with plain values.
use super::*;
use crate::domain::model::RecordKind;

fn n(s: &str) -> DnsName {
    DnsName::parse(s).unwrap()
}

fn upsert(name: &str, kind: RecordKind, values: &[&str]) -> Change {
    Change {
        action: RecordAction::Upsert,
        name: n(name),
        kind,
        ttl: 300,
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn ns(name: &str) -> Vec<Change> {
    vec![upsert(
        name,
        RecordKind::Ns,
        &[
            "ns-1.awsdns-01.com.",
            "ns-2.awsdns-02.net.",
            "ns-3.awsdns-03.org.",
            "ns-4.awsdns-04.co.uk.",
        ],
    )]
}

#[test]
fn requests_are_packed_whole_within_route53_limits() {
    let changes: Vec<Vec<Change>> = (0..150).map(|i| ns(&format!("a{i}.example.com"))).collect();
    let requests: Vec<(usize, &[Change])> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.as_slice()))
        .collect();
    // Four values an UPSERT, counted twice: 8 records a request, so 125 fit the record limit,
    // but only 100 fit the change limit.
    let packed = pack(&requests, &ROUTE53_LIMITS);
    assert_eq!(packed.calls.len(), 2);
    assert_eq!(packed.calls[0].len(), 100);
    assert_eq!(packed.calls[1].len(), 50);
    assert!(packed.too_large.is_empty());
    // The order is kept.
    assert_eq!(packed.calls.concat(), (0..150).collect::<Vec<_>>());
    // A tighter change-throughput budget makes more, smaller calls.
    let tight = pack(&requests, &BatchLimits::with_change_budget(20));
    assert_eq!(tight.calls.len(), 8);
    assert!(tight.calls.iter().all(|c| c.len() <= 20));
}

#[test]
fn values_and_records_limit_a_call_too() {
    let long = "x".repeat(2_000);
    let changes: Vec<Vec<Change>> = (0..10)
        .map(|i| {
            vec![upsert(
                &format!("d{i}.example.com"),
                RecordKind::Ds,
                &[&long],
            )]
        })
        .collect();
    let requests: Vec<(usize, &[Change])> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.as_slice()))
        .collect();
    // 4,000 characters each (an UPSERT counts twice): 8 per call under 32,000.
    let packed = pack(&requests, &ROUTE53_LIMITS);
    assert_eq!(
        packed.calls.iter().map(Vec::len).collect::<Vec<_>>(),
        [8, 2]
    );
    let huge = vec![upsert(
        "h.example.com",
        RecordKind::Ds,
        &[&"y".repeat(20_000)],
    )];
    let packed = pack(&[(0, huge.as_slice())], &ROUTE53_LIMITS);
    assert_eq!(packed.too_large, [0]);
    assert!(packed.calls.is_empty());
}

#[test]
fn the_view_evolves_with_each_planned_request() {
    let mut view = vec![LiveRecord {
        name: n("www.example.com"),
        rtype: RecordType::Other("A".into()),
        ttl: Some(60),
        values: vec!["192.0.2.1".into()],
        special: false,
    }];
    apply(&mut view, &ns("dev.example.com"));
    assert_eq!(at_and_below(&view, &n("dev.example.com")).len(), 1);
    // A second UPSERT replaces the record set; a DELETE removes it.
    let mut other = ns("dev.example.com");
    other[0].values = vec!["ns1.elsewhere.org.".into()];
    apply(&mut view, &other);
    let now = at_and_below(&view, &n("dev.example.com"));
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].values, ["ns1.elsewhere.org."]);
    let mut delete = other.clone();
    delete[0].action = RecordAction::Delete;
    apply(&mut view, &delete);
    assert!(at_and_below(&view, &n("dev.example.com")).is_empty());
    assert_eq!(view.len(), 1, "other records are untouched");
}

#[test]
fn halves_split_a_failed_call() {
    assert_eq!(halves(&[1, 2, 3, 4, 5]), (vec![1, 2], vec![3, 4, 5]));
    assert_eq!(halves(&[7]), (vec![], vec![7]));
}

#[test]
fn a_throttled_call_makes_the_remaining_calls_smaller() {
    assert_eq!(throttled_budget(100), 50);
    assert_eq!(throttled_budget(50), 25);
    // Never below one whole request.
    assert_eq!(throttled_budget(4), MOST_CHANGES_PER_REQUEST);
    assert_eq!(throttled_budget(1), MOST_CHANGES_PER_REQUEST);

    let changes: Vec<Vec<Change>> = (0..130).map(|i| ns(&format!("a{i}.example.com"))).collect();
    let all: Vec<&[Change]> = changes.iter().map(Vec::as_slice).collect();
    // A call of 100 (throttled), the halves of a refused call (10 + 10), and 10 more.
    let calls = vec![
        (0..100).collect::<Vec<usize>>(),
        (100..110).collect(),
        (110..120).collect(),
        (120..130).collect(),
    ];
    let limits = BatchLimits::with_change_budget(throttled_budget(100));
    let shrunk = shrink(calls, &all, &limits);
    assert_eq!(
        shrunk.iter().map(Vec::len).collect::<Vec<_>>(),
        [50, 50, 10, 10, 10],
        "calls that fit are kept apart, as they were"
    );
    assert_eq!(shrunk.concat(), (0..130).collect::<Vec<_>>(), "in order");

    // A request larger than the budget still gets a call of its own.
    let big = vec![
        upsert("b.example.com", RecordKind::Ns, &["ns-1.example.net."]),
        upsert("b.example.com", RecordKind::Ds, &["1 13 2 AA"]),
    ];
    let all: Vec<&[Change]> = vec![&big, &changes[0]];
    let shrunk = shrink(vec![vec![0, 1]], &all, &BatchLimits::with_change_budget(1));
    assert_eq!(shrunk, [vec![1], vec![0]]);
}
