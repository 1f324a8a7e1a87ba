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
        },
        judgement: Judgement {
            verdict,
            reason: format!("{verdict} because"),
            conclusive: false,
        },
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
