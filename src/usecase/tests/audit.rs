//! The audit use case over in-memory ports: which questions it asks, and when it removes.
use super::*;
use crate::domain::listing::{Cursor, RECORDS_PER_PAGE, RecordPage, page_of};
use crate::domain::model::{Change, LiveRecord, RecordType, SubmittedChange};
use crate::domain::probe::{Answer, Rcode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

fn n(s: &str) -> DnsName {
    DnsName::parse(s).unwrap()
}

fn zone() -> Zone {
    Zone {
        id: ZoneId::parse("Z0PARENT").unwrap(),
        name: n("example.com"),
        private: false,
        name_servers: Vec::new(),
    }
}

fn record(name: &str, rtype: &str, values: &[&str]) -> LiveRecord {
    LiveRecord {
        name: n(name),
        rtype: RecordType::parse(rtype),
        ttl: Some(300),
        values: values.iter().map(|v| v.to_string()).collect(),
        special: false,
    }
}

/// A parent zone in memory; records the change batches it is sent.
struct Parent {
    records: Mutex<Vec<LiveRecord>>,
    changes: Mutex<Vec<Vec<Change>>>,
}

impl ParentZoneStore for Parent {
    async fn hosted_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError> {
        if id == &zone().id {
            Ok(zone())
        } else {
            Err(AdapterError::new(
                ErrorKind::NotFound,
                "",
                format!("NoSuchHostedZone {id}"),
            ))
        }
    }
    async fn zones_named(&self, name: &DnsName) -> Result<Vec<Zone>, AdapterError> {
        Ok([zone()].into_iter().filter(|z| &z.name == name).collect())
    }
    async fn records_page(
        &self,
        _zone: &ZoneId,
        from: &Cursor,
    ) -> Result<RecordPage, AdapterError> {
        let all = self.records.lock().unwrap().clone();
        Ok(page_of(&all, from, RECORDS_PER_PAGE))
    }
    async fn change(
        &self,
        _zone: &ZoneId,
        changes: &[Change],
        _comment: &str,
    ) -> Result<SubmittedChange, AdapterError> {
        self.changes.lock().unwrap().push(changes.to_vec());
        Ok(SubmittedChange {
            id: "C1".into(),
            insync: true,
        })
    }
    async fn wait_insync(&self, _id: &str, _max: Duration) -> Result<bool, AdapterError> {
        Ok(true)
    }
}

impl ZoneLister for Parent {
    async fn public_zones(&self) -> Result<Vec<Zone>, AdapterError> {
        Ok(vec![zone()])
    }
    async fn delegation_records(&self, _zone: &ZoneId) -> Result<Vec<LiveRecord>, AdapterError> {
        Ok(self.records.lock().unwrap().clone())
    }
}

/// Name servers in memory: which names each host serves, in the first and in later probes.
struct Dns {
    serves: HashMap<&'static str, Vec<&'static str>>,
    /// Served from the second probe on.
    later: HashMap<&'static str, Vec<&'static str>>,
    soa_questions: AtomicUsize,
    questions: AtomicUsize,
    round: AtomicUsize,
}

fn addr(host: &str) -> SocketAddr {
    let i = host.bytes().map(u32::from).sum::<u32>() % 250;
    SocketAddr::from(([127, 0, 0, i as u8 + 1], 53))
}

impl DnsProber for Dns {
    async fn addresses(&self, host: &str) -> Result<Vec<SocketAddr>, String> {
        if host.starts_with("nowhere") {
            return Err(format!("no address for {host}"));
        }
        Ok(vec![addr(host)])
    }
    async fn ask(&self, server: SocketAddr, name: &DnsName, question: Question) -> Reply {
        self.questions.fetch_add(1, Ordering::SeqCst);
        if question == Question::Soa {
            self.soa_questions.fetch_add(1, Ordering::SeqCst);
        }
        let table = if self.round.load(Ordering::SeqCst) == 0 {
            &self.serves
        } else {
            &self.later
        };
        let host = table.keys().find(|h| addr(h) == server).copied();
        let serves = host.is_some_and(|h| table[h].contains(&name.as_str()));
        let answer = Answer {
            rcode: if serves {
                Rcode::NoError
            } else {
                Rcode::Refused
            },
            authoritative: serves,
            soa_at_name: serves && question == Question::Soa,
            referral: false,
            ns: if serves && question == Question::Ns {
                vec!["ns1.dns.test".into(), "ns2.dns.test".into()]
            } else {
                Vec::new()
            },
            dnskeys: Vec::new(),
            summary: String::new(),
        };
        Reply::Answered(answer)
    }
}

struct Rounds<'a>(&'a Dns);
impl Observer for Rounds<'_> {
    fn rechecking(&self, _count: usize, _after: Duration) {
        self.0.round.store(1, Ordering::SeqCst);
    }
}

fn scene() -> (Parent, Dns) {
    let ns = ["ns1.dns.test.", "ns2.dns.test."];
    let parent = Parent {
        records: Mutex::new(vec![
            record("example.com", "NS", &["ns-1.awsdns-01.com."]),
            record("ok.example.com", "NS", &ns),
            record("gone.example.com", "NS", &ns),
            record("gone.example.com", "DS", &["1 13 2 ab"]),
            record("back.example.com", "NS", &ns),
            record("outside.example.com", "NS", &ns),
            record(
                "half.example.com",
                "NS",
                &["ns1.dns.test.", "nowhere.test."],
            ),
        ]),
        changes: Mutex::default(),
    };
    let both = vec!["ok.example.com"];
    let dns = Dns {
        serves: HashMap::from([("ns1.dns.test", both.clone()), ("ns2.dns.test", both)]),
        later: HashMap::from([
            ("ns1.dns.test", vec!["ok.example.com", "back.example.com"]),
            ("ns2.dns.test", vec!["ok.example.com", "back.example.com"]),
        ]),
        soa_questions: AtomicUsize::new(0),
        questions: AtomicUsize::new(0),
        round: AtomicUsize::new(0),
    };
    (parent, dns)
}

fn request(removal: bool) -> AuditRequest {
    AuditRequest {
        zones: vec![ParentZoneRef::Name(n("example.com"))],
        concurrency: 4,
        removal: removal.then(|| RemovalRequest {
            allowed_names: vec![
                "gone.example.com".into(),
                "back.example.com".into(),
                "half.*".into(),
            ],
            recheck_after: Duration::ZERO,
            comment: "test".into(),
        }),
    }
}

#[tokio::test]
async fn every_delegation_below_the_apex_is_judged_with_few_questions() {
    let (parent, dns) = scene();
    let report = audit(&parent, &dns, &request(false), &Quiet).await;
    let verdicts: Vec<(&str, Verdict)> = report
        .audited
        .iter()
        .map(|a| (a.delegation.name.as_str(), a.judgement.verdict))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("back.example.com", Verdict::Dangling),
            ("gone.example.com", Verdict::Dangling),
            ("half.example.com", Verdict::Dangling),
            ("ok.example.com", Verdict::Ok),
            ("outside.example.com", Verdict::Dangling),
        ]
    );
    assert!(
        !report.audited[2].judgement.conclusive,
        "one server had no address"
    );
    // Two SOA questions per delegation (one per reachable server), one NS question for the served one.
    assert_eq!(dns.soa_questions.load(Ordering::SeqCst), 9);
    assert_eq!(dns.questions.load(Ordering::SeqCst), 10);
    assert!(report.removals.is_empty() && parent.changes.lock().unwrap().is_empty());
}

#[tokio::test]
async fn removal_deletes_only_what_two_probes_and_the_allowed_names_agree_on() {
    let (parent, dns) = scene();
    let report = audit(&parent, &dns, &request(true), &Rounds(&dns)).await;
    let outcomes: Vec<(&str, &Removal)> = report
        .removals
        .iter()
        .map(|r| (r.name.as_str(), &r.result))
        .collect();
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
    let of = |name: &str| outcomes.iter().find(|(n, _)| *n == name).unwrap().1;
    assert_eq!(of("gone.example.com"), &Removal::Removed("C1".into()));
    assert!(
        matches!(of("back.example.com"), Removal::Kept(why) if why.contains("second probe disagrees"))
    );
    assert!(
        matches!(of("half.example.com"), Removal::Kept(why) if why.contains("not every delegated name server"))
    );
    assert!(
        matches!(of("outside.example.com"), Removal::Kept(why) if why.contains("allowed names"))
    );
    let changes = parent.changes.lock().unwrap();
    assert_eq!(changes.len(), 1);
    let kinds: Vec<String> = changes[0]
        .iter()
        .map(|c| format!("{:?} {} {}", c.action, c.kind, c.name))
        .collect();
    assert_eq!(
        kinds,
        ["Delete DS gone.example.com", "Delete NS gone.example.com"]
    );
}

#[tokio::test]
async fn unknown_zones_are_errors_and_the_rest_is_audited() {
    let (parent, dns) = scene();
    let request = AuditRequest {
        zones: vec![
            ParentZoneRef::Id(ZoneId::parse("Z0NOSUCH").unwrap()),
            ParentZoneRef::Name(n("example.org")),
            ParentZoneRef::Id(ZoneId::parse("Z0PARENT").unwrap()),
            ParentZoneRef::Name(n("example.com")),
        ],
        concurrency: 1,
        removal: None,
    };
    let report = audit(&parent, &dns, &request, &Quiet).await;
    assert_eq!(report.errors.len(), 2);
    assert_eq!(
        report.zones.len(),
        1,
        "the same zone by ID and name is audited once"
    );
    assert_eq!(report.audited.len(), 5);
}
