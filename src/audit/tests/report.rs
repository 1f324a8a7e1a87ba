//! Unit tests of `audit::report`, with plain values.
use super::*;
use crate::domain::model::Zone;
use crate::domain::name::DnsName;
use crate::domain::probe::DnsAnswer;
use crate::domain::properties::ZoneId;
use crate::domain::verdict::{Delegation, Evidence, Judgement, ServerProbe};
use crate::ports::{AdapterError, ErrorKind};

fn zone(id: &str, name: &str) -> Zone {
    Zone {
        id: ZoneId::parse(id).unwrap(),
        name: DnsName::parse(name).unwrap(),
        private: false,
        name_servers: Vec::new(),
    }
}

fn audited(zone: &Zone, name: &str, verdict: Verdict) -> Audited {
    Audited {
        delegation: Delegation {
            zone_id: zone.id.clone(),
            zone_name: zone.name.clone(),
            name: DnsName::parse(name).unwrap(),
            ns_ttl: 300,
            ns: vec!["ns1.example.net.".into()],
            ds_ttl: 0,
            ds: Vec::new(),
            glue: Vec::new(),
        },
        evidence: Evidence {
            servers: vec![
                ServerProbe {
                    host: "ns1.example.net".into(),
                    address: Some("127.0.0.1:53".into()),
                    soa: Reply::Answered(DnsAnswer::refused()),
                },
                ServerProbe {
                    host: "ns2.example.net".into(),
                    address: None,
                    soa: Reply::NoAnswer("no address for ns2.example.net".into()),
                },
            ],
            apex_ns: None,
            dnskey: None,
            cds: Vec::new(),
        },
        judgement: Judgement {
            verdict,
            reason: format!("{verdict} because"),
            conclusive: false,
        },
        warnings: Vec::new(),
    }
}

fn report(verdicts: &[Verdict]) -> AuditReport {
    let z = zone("Z0PARENT", "example.com");
    AuditReport {
        audited: verdicts
            .iter()
            .enumerate()
            .map(|(i, v)| audited(&z, &format!("d{i}.example.com"), *v))
            .collect(),
        zones: vec![z, zone("Z0OTHER", "example.org")],
        errors: Vec::new(),
        removals: Vec::new(),
        security_hub: None,
    }
}

#[test]
fn exit_codes_gate_on_findings_and_errors() {
    assert_eq!(exit_code(&report(&[])), EXIT_OK);
    assert_eq!(exit_code(&report(&[Verdict::Ok, Verdict::Ok])), EXIT_OK);
    for v in [
        Verdict::Dangling,
        Verdict::Lame,
        Verdict::Stale,
        Verdict::DnssecBroken,
        Verdict::Unknown,
    ] {
        assert_eq!(exit_code(&report(&[Verdict::Ok, v])), EXIT_FINDINGS, "{v}");
    }
    let mut r = report(&[Verdict::Dangling]);
    r.errors.push(ZoneError {
        zone: "Z0NONE".into(),
        error: AdapterError::new(ErrorKind::NotFound, "", "NoSuchHostedZone"),
    });
    assert_eq!(exit_code(&r), EXIT_ERRORS);
    let mut r = report(&[Verdict::Ok]);
    let removal = |result| RemovalOutcome {
        zone_id: ZoneId::parse("Z0PARENT").unwrap(),
        name: DnsName::parse("d0.example.com").unwrap(),
        result,
        records: vec!["NS 300 ns1.example.net.".into()],
    };
    r.removals
        .push(removal(Removal::Kept("second probe disagrees".into())));
    assert_eq!(exit_code(&r), EXIT_OK);
    r.removals
        .push(removal(Removal::Failed("Route 53 refused".into())));
    assert_eq!(exit_code(&r), EXIT_ERRORS);
    assert_eq!(
        [EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_ERRORS],
        [0, 1, 2, 3]
    );
}

#[test]
fn json_lines_carry_the_evidence_and_end_with_the_summary() {
    let r = report(&[Verdict::Ok, Verdict::Dangling]);
    let summary = summary_json(&r, 3, 8, 12);
    let text = json_lines(&r, &summary);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["verdict"], "dangling");
    assert_eq!(lines[1]["servers"][0]["rcode"], "REFUSED");
    assert_eq!(lines[1]["servers"][0]["aa"], false);
    assert_eq!(lines[1]["servers"][1]["address"], Value::Null);
    assert!(
        lines[1]["servers"][1]["answer"]
            .as_str()
            .unwrap()
            .starts_with("no answer")
    );
    assert_eq!(lines[2]["record"], "summary");
    assert_eq!(lines[2]["verdicts"]["dangling"], 1);
    assert_eq!(lines[2]["verdicts"]["stale"], 0);
    assert_eq!(lines[2]["exit_code"], EXIT_FINDINGS);
    assert_eq!(lines[2]["route53_calls"], 3);
    for line in &lines {
        assert_eq!(
            line["version"],
            crate::cli::VERSION,
            "every line names the version: {line}"
        );
    }
}

#[test]
fn the_table_shows_findings_with_what_each_server_said() {
    let text = table(&report(&[Verdict::Ok, Verdict::Lame]));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ZONE") && lines[0].contains("VERDICT"));
    assert!(lines[1].contains("d0.example.com") && lines[1].contains("ok"));
    assert!(lines[2].contains("lame"));
    assert!(lines[3].contains("ns1.example.net 127.0.0.1:53: REFUSED"));
    assert!(lines[4].contains("ns2.example.net (no address)"));
    assert_eq!(
        lines.last().unwrap(),
        &"2 delegations in 2 zones: 1 lame, 1 ok"
    );
}

#[test]
fn emf_documents_count_every_verdict_per_zone() {
    let lines = emf_lines(
        &report(&[Verdict::Dangling, Verdict::Dangling]),
        1_700_000_000_000,
    );
    assert_eq!(lines.len(), 12, "6 verdicts x 2 zones, zeros included");
    let docs: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let dangling = docs
        .iter()
        .find(|d| d["ParentZone"] == "example.com" && d["Verdict"] == "dangling")
        .unwrap();
    assert_eq!(dangling[METRIC_NAME], 2);
    let meta = &dangling["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(meta["Namespace"], METRIC_NAMESPACE);
    assert_eq!(
        meta["Dimensions"],
        serde_json::json!([["ParentZone", "Verdict"], ["Verdict"]])
    );
    assert_eq!(meta["Metrics"][0]["Unit"], "Count");
    assert_eq!(dangling["_aws"]["Timestamp"], 1_700_000_000_000u64);
    let other = docs
        .iter()
        .find(|d| d["ParentZone"] == "example.org" && d["Verdict"] == "dangling")
        .unwrap();
    assert_eq!(other[METRIC_NAME], 0);
}

fn with_warning(mut a: Audited) -> Audited {
    a.warnings.push(crate::domain::warning::Warning {
        kind: crate::domain::warning::WarningKind::TtlMismatch,
        evidence: "the parent's 300 s, the child's 60 s".into(),
        action: "make them agree".into(),
    });
    a
}

#[test]
fn warnings_show_in_the_json_the_table_and_the_counts_without_changing_the_exit_code() {
    let mut r = report(&[Verdict::Ok, Verdict::Ok]);
    r.audited[1] = with_warning(r.audited[1].clone());
    assert_eq!(exit_code(&r), EXIT_OK, "warnings are not findings");
    let line = delegation_json(&r.audited[1]);
    assert_eq!(line["warnings"][0]["kind"], "ttl-mismatch");
    assert_eq!(line["warnings"][0]["action"], "make them agree");
    assert_eq!(
        delegation_json(&r.audited[0])["warnings"],
        serde_json::json!([])
    );
    let summary = summary_json(&r, 0, 0, 0);
    assert_eq!(summary["warnings"]["ttl-mismatch"], 1);
    assert_eq!(summary["warnings"]["insecure"], 0);
    assert_eq!(summary["security_hub"], Value::Null);
    let text = table(&r);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("WARNINGS"), "{text}");
    assert!(lines[1].contains(" - "), "no warning: a dash: {text}");
    assert!(lines[2].contains("ttl-mismatch"), "{text}");
    assert!(
        lines[3].contains("warning ttl-mismatch: the parent's 300 s")
            && lines[3].contains("what to do: make them agree"),
        "{text}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .ends_with("2 ok; warnings: 1 ttl-mismatch"),
        "{text}"
    );
}

#[test]
fn a_security_hub_import_is_reported_and_its_failures_are_errors() {
    use crate::domain::finding::FailedFinding;
    use crate::usecase::findings::Published;
    let mut r = report(&[Verdict::Dangling, Verdict::Ok]);
    r.security_hub = Some(Published {
        active: 1,
        archived: 1,
        calls: 1,
        ..Published::default()
    });
    assert_eq!(exit_code(&r), EXIT_FINDINGS);
    let text = json_lines(&r, &summary_json(&r, 0, 0, 0));
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let hub = &lines[lines.len() - 2];
    assert_eq!(hub["record"], "security-hub");
    assert_eq!(
        (hub["active"].clone(), hub["archived"].clone()),
        (1.into(), 1.into())
    );
    assert_eq!(lines.last().unwrap()["security_hub"]["imported"], 2);
    assert!(table(&r).contains(
        "Security Hub: 1 active and 1 archived findings imported in 1 call(s), 0 refused"
    ));
    r.security_hub.as_mut().unwrap().failed.push(FailedFinding {
        id: "subdomain-delegation/Z0PARENT/d0.example.com".into(),
        code: "InvalidInput".into(),
        message: "bad".into(),
    });
    assert_eq!(exit_code(&r), EXIT_ERRORS);
    assert_eq!(
        security_hub_json(r.security_hub.as_ref().unwrap())["failed"][0]["code"],
        "InvalidInput"
    );
    assert!(table(&r).contains("error: Security Hub refused subdomain-delegation/Z0PARENT/d0.example.com: InvalidInput: bad"));
    r.security_hub = Some(Published::not_started("no region".into()));
    assert_eq!(exit_code(&r), EXIT_ERRORS);
    assert!(table(&r).contains("error: Security Hub: no region"));
}
