//! The audit's warnings end to end (docs/design.md, "Audit"): the parent zone in moto, the child
//! zones on real Knot DNS servers (keys, signatures, CDS and CDNSKEY made by knotd and keymgr),
//! one delegation per warning and one control case that gives none, audited by the binary.

use crate::audit::{DNS_ACCOUNT, audit_args, bump_tag, command, put, run, strings};
use crate::support::knot::{Cds, Knot, KnotZone};
use crate::support::*;
use aws_sdk_route53::types::ChangeAction;
use serde_json::Value;
use std::collections::BTreeMap;

/// Two name servers under two registrable domains (dns.test, other.test), both Knot A.
const TWO: [&str; 2] = ["ns1.dns.test", "ns1.other.test"];
/// The server of Knot B, which signs with keys of its own.
const B: &str = "ns1.b.test";
/// In-bailiwick name servers of big.example.com, with glue in the parent.
const BIG_SERVERS: usize = 8;

fn big_servers() -> Vec<String> {
    (0..BIG_SERVERS)
        .map(|i| format!("ns{i}-{}.big.example.com", "x".repeat(56)))
        .chain(["ns1.dns.test".to_owned()])
        .collect()
}

struct Scene {
    moto: Moto,
    zone: String,
    _a: Knot,
    _b: Knot,
    overrides: Vec<String>,
}

async fn knots() -> (Knot, Knot) {
    let big = big_servers();
    let big: Vec<&str> = big.iter().map(String::as_str).collect();
    let a = Knot::start(&[
        KnotZone::new("control.example.com", &TWO),
        KnotZone::new("insecure.example.com", &TWO).signed(),
        KnotZone::new("signed.example.com", &TWO).signed(),
        KnotZone::new("pending.example.com", &TWO).publishing(Cds::Current),
        KnotZone::new("insync.example.com", &TWO).publishing(Cds::Current),
        KnotZone::new("deleting.example.com", &TWO).publishing(Cds::Delete),
        KnotZone::new("split.example.com", &["ns1.dns.test", B]).publishing(Cds::Current),
        KnotZone::new("ttl.example.com", &TWO),
        KnotZone::new("big.example.com", &big),
        KnotZone::new("one.example.com", &["ns1.dns.test"]),
        KnotZone::new("single.example.com", &["ns1.dns.test", "ns2.dns.test"]),
    ])
    .await;
    let b = Knot::start(&[KnotZone::new("split.example.com", &["ns1.dns.test", B]).signed()]).await;
    (a, b)
}

impl Scene {
    async fn new() -> Scene {
        let (a, b) = knots().await;
        let moto = Moto::start();
        let parent = moto.route53(DNS_ACCOUNT).await;
        let zone = create_zone(&parent, "example.com").await;
        let two = strings(&TWO);
        for name in [
            "control", "insecure", "signed", "pending", "insync", "deleting",
        ] {
            put(&parent, &zone, &format!("{name}.example.com"), "NS", &two).await;
        }
        let ds = |zone: &str| a.ds(zone);
        put(
            &parent,
            &zone,
            "signed.example.com",
            "DS",
            &ds("signed.example.com"),
        )
        .await;
        put(
            &parent,
            &zone,
            "insync.example.com",
            "DS",
            &ds("insync.example.com"),
        )
        .await;
        put(
            &parent,
            &zone,
            "deleting.example.com",
            "DS",
            &ds("deleting.example.com"),
        )
        .await;
        // The parent holds the current DS and one more, which the child's CDS no longer names.
        let current = ds("pending.example.com");
        let stale = vec![current[0].clone(), bump_tag(&current[0])];
        put(&parent, &zone, "pending.example.com", "DS", &stale).await;
        let split = strings(&["ns1.dns.test", B]);
        put(&parent, &zone, "split.example.com", "NS", &split).await;
        // Both servers' keys have a DS, whichever of them the DNSKEY question goes to.
        let mut both = ds("split.example.com");
        both.extend(b.ds("split.example.com"));
        put(&parent, &zone, "split.example.com", "DS", &both).await;
        let two_refs: Vec<&str> = two.iter().map(String::as_str).collect();
        change_record(
            &parent,
            &zone,
            ChangeAction::Create,
            "ttl.example.com",
            "NS",
            3600,
            &two_refs,
        )
        .await;
        big_delegation(&parent, &zone).await;
        put(
            &parent,
            &zone,
            "one.example.com",
            "NS",
            &strings(&["ns1.dns.test"]),
        )
        .await;
        let single = strings(&["ns1.dns.test", "ns2.dns.test"]);
        put(&parent, &zone, "single.example.com", "NS", &single).await;
        let hosts = ["ns1.dns.test", "ns2.dns.test", "ns1.other.test"]
            .map(String::from)
            .into_iter()
            .chain(big_servers().into_iter().take(BIG_SERVERS));
        let mut overrides: Vec<String> = hosts.map(|h| format!("{h}={}", a.addr)).collect();
        overrides.push(format!("{B}={}", b.addr));
        Scene {
            moto,
            zone,
            _a: a,
            _b: b,
            overrides,
        }
    }

    fn args(&self, format: &str) -> Vec<String> {
        audit_args(
            &self.zone,
            &["--format", format, "--timeout", "1"],
            &self.overrides,
        )
    }
}

/// big.example.com: eight long in-bailiwick name servers, each with two A and two AAAA glue
/// records in the parent, and ns1.dns.test.
async fn big_delegation(parent: &aws_sdk_route53::Client, zone: &str) {
    let servers = big_servers();
    put(
        parent,
        zone,
        "big.example.com",
        "NS",
        &strings(&servers.iter().map(String::as_str).collect::<Vec<_>>()),
    )
    .await;
    for host in &servers[..BIG_SERVERS] {
        put(
            parent,
            zone,
            host,
            "A",
            &["192.0.2.1".into(), "192.0.2.2".into()],
        )
        .await;
        put(
            parent,
            zone,
            host,
            "AAAA",
            &["2001:db8::1".into(), "2001:db8::2".into()],
        )
        .await;
    }
}

fn warnings_of(line: &Value) -> Vec<String> {
    line["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_warning_is_found_against_a_real_server_and_its_control_gives_none() {
    let scene = Scene::new().await;
    let out = run(&scene.moto.endpoint, scene.args("json")).await;
    assert_eq!(out.code, 0, "warnings are not findings: {}", out.stderr);
    let lines: BTreeMap<String, Value> = out
        .of("delegation")
        .into_iter()
        .map(|l| (l["name"].as_str().unwrap().to_owned(), l.clone()))
        .collect();
    let expected: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("control.example.com", &[][..]),
        ("insecure.example.com", &["insecure"][..]),
        ("signed.example.com", &[][..]),
        ("pending.example.com", &["ds-update-pending"][..]),
        ("insync.example.com", &[][..]),
        ("deleting.example.com", &["ds-update-pending"][..]),
        ("split.example.com", &["cds-inconsistent"][..]),
        ("ttl.example.com", &["ttl-mismatch"][..]),
        ("big.example.com", &["referral-too-large"][..]),
        ("one.example.com", &["too-few-servers"][..]),
        ("single.example.com", &["single-provider"][..]),
    ]);
    for (name, kinds) in &expected {
        let line = &lines[*name];
        assert_eq!(line["verdict"], "ok", "{name}: {line}");
        assert_eq!(warnings_of(line), *kinds, "{name}: {line}");
    }
    assert_eq!(lines.len(), expected.len());
    let evidence = |name: &str| {
        lines[name]["warnings"][0]["evidence"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(evidence("insecure.example.com").contains("flags 257"));
    assert!(evidence("deleting.example.com").contains("delete records"));
    assert!(evidence("pending.example.com").contains("CDS "));
    assert!(evidence("split.example.com").contains("ns1.b.test: no CDS or CDNSKEY"));
    assert!(evidence("ttl.example.com").contains("TTL 3600 s, the child apex's 300 s"));
    assert!(evidence("big.example.com").contains("9 NS, 0 DS, 32 glue records"));
    assert!(
        !lines["insecure.example.com"]["warnings"][0]["action"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert!(
        lines["pending.example.com"]["dnskey"]
            .as_str()
            .unwrap()
            .contains("(signed)")
    );
    assert_eq!(out.summary()["warnings"]["ds-update-pending"], 2);
    assert_eq!(out.summary()["warnings"]["insecure"], 1);

    // The table shows the kinds in their column and the evidence under the row.
    let args = scene.args("table");
    let endpoint = scene.moto.endpoint.clone();
    let out = tokio::task::spawn_blocking(move || command(&endpoint).args(args).output().unwrap())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().next().unwrap().contains("WARNINGS"), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("ttl.example.com"))
        .unwrap();
    assert!(row.contains("ttl-mismatch"), "{text}");
    assert!(
        text.contains("warning ttl-mismatch: the parent's NS set"),
        "{text}"
    );
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("11 delegations in 1 zones: 11 ok; warnings: ")
            && last.contains("2 ds-update-pending"),
        "{text}"
    );
}
