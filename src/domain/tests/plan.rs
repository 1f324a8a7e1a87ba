//! Unit tests of `domain::plan`, with plain values.
use super::*;
use crate::domain::properties::ZoneId;

fn n(s: &str) -> DnsName {
    DnsName::parse(s).unwrap()
}
fn z(s: &str) -> ZoneId {
    ZoneId::parse(s).unwrap()
}
fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}
const NS: [&str; 2] = ["ns-1.awsdns-01.com", "ns-2.awsdns-02.net"];
const OTHER_NS: [&str; 1] = ["ns1.elsewhere.org."];

fn zone(id: &str, name: &str, private: bool, ns: &[&str]) -> Zone {
    Zone {
        id: z(id),
        name: n(name),
        private,
        name_servers: strings(ns),
    }
}
fn record(name: &str, rtype: &str, ttl: i64, values: &[&str]) -> LiveRecord {
    LiveRecord {
        name: n(name),
        rtype: RecordType::parse(rtype),
        ttl: Some(ttl),
        values: strings(values),
        special: false,
    }
}
fn desired(ds: Option<&[&str]>) -> Desired {
    Desired {
        name: n("dev.example.com"),
        name_servers: strings(&NS),
        ds: ds.map(strings),
        ttl: 300,
    }
}
const CREATE: Mode = Mode::Create {
    on_conflict: OnConflict::Fail,
    allow_occluded_records: false,
};
const CREATE_REPLACE: Mode = Mode::Create {
    on_conflict: OnConflict::Replace,
    allow_occluded_records: false,
};

#[test]
fn names_are_checked() {
    let parent = zone("ZP", "example.com", false, &["ns-p"]);
    let child = zone("ZC", "dev.example.com", false, &NS);
    assert_eq!(check_names(&parent, &child, None), Ok(n("dev.example.com")));
    assert_eq!(
        check_names(&parent, &child, Some(&n("DEV.example.com."))),
        Ok(n("dev.example.com"))
    );
    assert!(matches!(
        check_names(&parent, &child, Some(&n("test.example.com"))),
        Err(Refusal::DelegatedNameMismatch { .. })
    ));
    let apex = zone("ZC", "example.com", false, &NS);
    assert!(matches!(
        check_names(&parent, &apex, None),
        Err(Refusal::Apex { .. })
    ));
    let outside = zone("ZC", "badexample.com", false, &NS);
    assert!(matches!(
        check_names(&parent, &outside, None),
        Err(Refusal::NotBelow { .. })
    ));
    let above = zone("ZC", "com", false, &NS);
    assert!(matches!(
        check_names(&parent, &above, None),
        Err(Refusal::NotBelow { .. })
    ));
    let private_child = zone("ZC", "dev.example.com", true, &[]);
    assert!(matches!(
        check_names(&parent, &private_child, None),
        Err(Refusal::ChildPrivate { .. })
    ));
    let private_parent = zone("ZP", "example.com", true, &[]);
    assert!(matches!(
        check_names(&private_parent, &child, None),
        Err(Refusal::ParentPrivate { .. })
    ));
    let bare = zone("ZC", "dev.example.com", false, &[]);
    assert!(matches!(
        check_names(&parent, &bare, None),
        Err(Refusal::NoNameServers { .. })
    ));
    let msg = check_names(&parent, &apex, None).unwrap_err().to_string();
    assert!(msg.contains("never touches a zone apex"), "{msg}");
    // Names Route 53 writes with escapes (a wildcard, `&`) could not be named in an ID, so their
    // Delete would find nothing: refused at Create.
    for escaped in [
        "\\052.example.com.",
        "a\\046b.example.com.",
        "x\\.y.example.com.",
    ] {
        let odd = Zone {
            name: DnsName::from_route53(escaped),
            ..zone("ZC", "dev.example.com", false, &NS)
        };
        let refusal = check_names(&parent, &odd, None).unwrap_err();
        assert!(
            matches!(refusal, Refusal::UnidentifiableName { .. }),
            "{escaped}: {refusal}"
        );
        assert!(
            refusal
                .to_string()
                .contains("its Delete could not remove it")
        );
    }
}

#[test]
fn create_on_empty_name_upserts_ns_with_fqdn_values() {
    let plan = plan_upsert(&desired(Some(&[])), &[], CREATE).unwrap();
    assert_eq!(plan.outcome, UpsertOutcome::Created);
    assert_eq!(
        plan.changes,
        vec![Change {
            action: RecordAction::Upsert,
            name: n("dev.example.com"),
            kind: RecordKind::Ns,
            ttl: 300,
            values: strings(&["ns-1.awsdns-01.com.", "ns-2.awsdns-02.net."]),
        }]
    );
}

#[test]
fn same_values_are_adopted_in_any_order_and_case() {
    let live = [record(
        "dev.example.com",
        "NS",
        172800,
        &["NS-2.awsdns-02.net.", "ns-1.awsdns-01.com."],
    )];
    let plan = plan_upsert(&desired(None), &live, CREATE).unwrap();
    assert_eq!(plan.outcome, UpsertOutcome::Adopted);
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].ttl, 300);
}

#[test]
fn records_already_as_desired_are_not_written_again() {
    let ds = ["12345 13 2 ABCDEF"];
    let live = [
        record(
            "dev.example.com",
            "NS",
            300,
            &["NS-2.awsdns-02.net.", "ns-1.awsdns-01.com."],
        ),
        record("dev.example.com", "DS", 300, &ds),
    ];
    // A redelivered Create adopts its own record and writes nothing.
    let plan = plan_upsert(&desired(Some(&ds)), &live, CREATE).unwrap();
    assert_eq!(plan.outcome, UpsertOutcome::Adopted);
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
    // An Update that changes no record is unchanged.
    let plan = plan_upsert(&desired(Some(&ds)), &live, Mode::Converge).unwrap();
    assert_eq!(plan.outcome, UpsertOutcome::Unchanged);
    assert!(plan.changes.is_empty());
    // Only what differs is written: a new DS key, with the NS left alone.
    let plan = plan_upsert(
        &desired(Some(&["54321 13 2 FEDCBA"])),
        &live,
        Mode::Converge,
    )
    .unwrap();
    assert_eq!(plan.outcome, UpsertOutcome::Updated);
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].kind, RecordKind::Ds);
    // A TTL change is a change.
    let other_ttl = Desired {
        ttl: 60,
        ..desired(Some(&ds))
    };
    assert_eq!(
        plan_upsert(&other_ttl, &live, Mode::Converge)
            .unwrap()
            .changes
            .len(),
        2
    );
}

#[test]
fn other_ns_values_conflict_unless_replace() {
    let live = [record("dev.example.com", "NS", 300, &OTHER_NS)];
    let refusal = plan_upsert(&desired(None), &live, CREATE).unwrap_err();
    assert_eq!(
        refusal,
        Refusal::Conflict {
            name: n("dev.example.com"),
            kind: RecordKind::Ns,
            existing: "ns1.elsewhere.org.".into()
        }
    );
    assert!(refusal.to_string().contains("set OnConflict to replace"));
    let plan = plan_upsert(&desired(None), &live, CREATE_REPLACE).unwrap();
    assert_eq!(plan.outcome, UpsertOutcome::Replaced);
    assert_eq!(plan.changes[0].action, RecordAction::Upsert);
}

#[test]
fn converge_overwrites_without_conflict_check() {
    let live = [
        record("dev.example.com", "NS", 300, &OTHER_NS),
        record("a.dev.example.com", "A", 300, &["192.0.2.1"]),
    ];
    let plan = plan_upsert(&desired(None), &live, Mode::Converge).unwrap();
    assert_eq!(plan.outcome, UpsertOutcome::Updated);
    assert_eq!(plan.changes.len(), 1);
}

#[test]
fn occluded_records_are_refused_and_named() {
    let live = [
        record("dev.example.com", "TXT", 300, &["\"x\""]),
        record("api.dev.example.com", "A", 300, &["192.0.2.1"]),
    ];
    let refusal = plan_upsert(&desired(None), &live, CREATE).unwrap_err();
    let msg = refusal.to_string();
    assert!(
        msg.contains("dev.example.com TXT, api.dev.example.com A"),
        "{msg}"
    );
    assert!(msg.contains("AllowOccludedRecords"));
    let allow = Mode::Create {
        on_conflict: OnConflict::Fail,
        allow_occluded_records: true,
    };
    assert_eq!(
        plan_upsert(&desired(None), &live, allow).unwrap().outcome,
        UpsertOutcome::Created
    );
}

#[test]
fn many_occluded_records_are_summarised() {
    let live: Vec<LiveRecord> = (0..12)
        .map(|i| record(&format!("h{i}.dev.example.com"), "A", 60, &["192.0.2.1"]))
        .collect();
    let msg = plan_upsert(&desired(None), &live, CREATE)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("and 7 more"), "{msg}");
}

#[test]
fn special_records_are_never_managed() {
    let mut alias = record("dev.example.com", "NS", 300, &NS);
    alias.special = true;
    assert!(matches!(
        plan_upsert(&desired(None), &[alias.clone()], CREATE_REPLACE),
        Err(Refusal::Unmanageable { .. })
    ));
    assert_eq!(
        plan_delete(&n("dev.example.com"), &[alias], None, true),
        DeletePlan::Absent
    );
}

#[test]
fn ds_follows_the_desired_state() {
    let ds = "12345 13 2 ABCDEF";
    let plan = plan_upsert(&desired(Some(&[ds])), &[], CREATE).unwrap();
    assert_eq!(
        plan.changes
            .iter()
            .map(|c| (c.action, c.kind))
            .collect::<Vec<_>>(),
        vec![
            (RecordAction::Upsert, RecordKind::Ns),
            (RecordAction::Upsert, RecordKind::Ds)
        ]
    );
    assert_eq!(plan.changes[1].ttl, 300);
    assert_eq!(plan.changes[1].values, strings(&[ds]));

    // Signing turned off: the DS the provider wrote is removed, with its exact live values.
    let live = [
        record("dev.example.com", "NS", 300, &NS),
        record("dev.example.com", "DS", 600, &[ds]),
    ];
    let plan = plan_upsert(&desired(Some(&[])), &live, Mode::Converge).unwrap();
    assert_eq!(
        plan.changes[0],
        Change {
            action: RecordAction::Delete,
            name: n("dev.example.com"),
            kind: RecordKind::Ds,
            ttl: 600,
            values: strings(&[ds])
        }
    );
    // The NS is already as desired: only the DS goes.
    assert_eq!(plan.changes.len(), 1);

    // Dnssec=off: a DS at the name is left alone (and the NS needs nothing).
    let plan = plan_upsert(&desired(None), &live, Mode::Converge).unwrap();
    assert!(plan.changes.is_empty());
    assert_eq!(plan.outcome, UpsertOutcome::Unchanged);

    // Create against a different DS conflicts like NS does.
    let refusal = plan_upsert(&desired(Some(&["999 13 2 FF"])), &live, CREATE).unwrap_err();
    assert!(matches!(
        refusal,
        Refusal::Conflict {
            kind: RecordKind::Ds,
            ..
        }
    ));
}

#[test]
fn delete_plans() {
    let name = n("dev.example.com");
    assert_eq!(plan_delete(&name, &[], None, true), DeletePlan::Absent);
    let live = [
        record("dev.example.com", "DS", 600, &["1 13 2 AA"]),
        record("dev.example.com", "NS", 3600, &NS),
        record("x.dev.example.com", "A", 60, &["192.0.2.1"]),
    ];
    let child = strings(&NS);
    let DeletePlan::Delete(changes) = plan_delete(&name, &live, Some(&child), true) else {
        panic!("expected a delete");
    };
    assert_eq!(changes.len(), 2);
    assert_eq!((changes[0].kind, changes[0].ttl), (RecordKind::Ds, 600));
    assert_eq!((changes[1].kind, changes[1].ttl), (RecordKind::Ns, 3600));
    assert!(changes.iter().all(|c| c.action == RecordAction::Delete));

    let DeletePlan::Delete(changes) = plan_delete(&name, &live, None, false) else {
        panic!("expected a delete");
    };
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].values, strings(&NS));

    let elsewhere = strings(&OTHER_NS);
    assert_eq!(
        plan_delete(&name, &live, Some(&elsewhere), true),
        DeletePlan::Foreign {
            live_values: strings(&NS)
        }
    );
}

#[test]
fn identities_round_trip_and_reject_foreign_ids() {
    let id = Identity {
        parent_zone_id: z("Z0ABC123"),
        name: n("dev.example.com"),
    };
    assert_eq!(id.to_string(), "Z0ABC123/dev.example.com");
    assert_eq!(Identity::parse("Z0ABC123/dev.example.com"), Some(id));
    for foreign in [
        "failed-create:1234-5678",
        "",
        "Z0ABC123",
        "Z0ABC123/",
        "/dev.example.com",
        "z0abc/dev.example.com",
        "Z0ABC123/Dev.Example.com",
        "Z0ABC123/dev.example.com.",
        "mystack-MyDelegation-1A2B3C4D5E6F",
        "2026/11/27/[$LATEST]abcdef",
    ] {
        assert_eq!(Identity::parse(foreign), None, "{foreign}");
    }
}
