//! A real authoritative DNS server for the audit tests: Knot DNS (`knotd`, installed by
//! scripts/dns-server), started on a free loopback port, serving the zones a test gives it from zone
//! files it writes; signed zones are signed by knotd itself, and their DS read with `keymgr`.

use super::{free_port, repo_root};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use subdomain_delegation::dns::HickoryProber;
use subdomain_delegation::domain::name::DnsName;
use subdomain_delegation::domain::probe::{Question, Reply};
use subdomain_delegation::ports::DnsProber;

/// What a signed zone publishes of CDS and CDNSKEY records (knotd's `cds-cdnskey-publish`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cds {
    /// None at all.
    None,
    /// The records of the current key-signing key.
    Current,
    /// The "delete" records (algorithm 0, RFC 8078).
    Delete,
}

impl Cds {
    /// The knotd policy (see `config`) that publishes this.
    fn policy(self) -> &'static str {
        match self {
            Cds::None => "test",
            Cds::Current => "cds",
            Cds::Delete => "cds-delete",
        }
    }
}

/// A zone for Knot: its name, the NS set at its apex, whether knotd signs it (and what CDS it
/// publishes), and whether its zone file exists at start (a zone configured without one answers
/// SERVFAIL until `serve`).
#[derive(Clone, Debug)]
pub struct KnotZone {
    pub name: String,
    pub ns: Vec<String>,
    pub signed: bool,
    pub cds: Cds,
    pub loaded: bool,
}

impl KnotZone {
    pub fn new(name: &str, ns: &[&str]) -> KnotZone {
        KnotZone {
            name: name.to_owned(),
            ns: ns.iter().map(|s| s.to_string()).collect(),
            signed: false,
            cds: Cds::None,
            loaded: true,
        }
    }

    pub fn signed(mut self) -> KnotZone {
        self.signed = true;
        self
    }

    /// Signed, publishing these CDS and CDNSKEY records.
    pub fn publishing(mut self, cds: Cds) -> KnotZone {
        self.signed = true;
        self.cds = cds;
        self
    }

    pub fn not_loaded(mut self) -> KnotZone {
        self.loaded = false;
        self
    }
}

fn tool(name: &str) -> PathBuf {
    let p = PathBuf::from("/usr/sbin").join(name);
    assert!(
        p.exists(),
        "{} is missing: run scripts/dns-server (it installs Knot DNS from apt)",
        p.display()
    );
    p
}

/// A knotd on 127.0.0.1, stopped on drop.
pub struct Knot {
    child: Child,
    dir: PathBuf,
    pub addr: SocketAddr,
    zones: Vec<KnotZone>,
}

impl Knot {
    pub async fn start(zones: &[KnotZone]) -> Knot {
        let port = free_port();
        let dir = repo_root().join(format!("target/test-knot/{}", super::uuid()));
        std::fs::create_dir_all(dir.join("db")).unwrap();
        std::fs::write(dir.join("knot.conf"), config(&dir, port, zones)).unwrap();
        for (i, zone) in zones.iter().enumerate().filter(|(_, z)| z.loaded) {
            write_zone(&dir, i, zone);
        }
        let child = Command::new(tool("knotd"))
            .arg("-c")
            .arg(dir.join("knot.conf"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("knotd.log")).unwrap())
            .spawn()
            .expect("starting knotd");
        let knot = Knot {
            child,
            dir,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            zones: zones.to_vec(),
        };
        for zone in zones.iter().filter(|z| z.loaded) {
            knot.wait_served(zone).await;
        }
        knot
    }

    /// Waits until knotd answers the zone's SOA authoritatively (and, when signed, its DNSKEYs).
    pub async fn wait_served(&self, zone: &KnotZone) {
        let prober = HickoryProber::new(Default::default(), Duration::from_millis(300));
        let name = DnsName::parse(&zone.name).unwrap();
        let started = std::time::Instant::now();
        loop {
            let soa = prober.ask(self.addr, &name, Question::Soa).await;
            let keys = if zone.signed {
                prober.ask(self.addr, &name, Question::Dnskey).await
            } else {
                soa.clone()
            };
            let ready = matches!(&soa, Reply::Answered(a) if a.soa_at_name && a.authoritative)
                && match &keys {
                    Reply::Answered(a) => !zone.signed || !a.dnskeys.is_empty(),
                    Reply::NoAnswer(_) => false,
                };
            if ready {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "knotd did not serve {} within 30 s: {soa:?} {keys:?}; log: {}",
                zone.name,
                std::fs::read_to_string(self.dir.join("knotd.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The DS values (`tag alg 2 digest`, SHA-256) of a signed zone's key-signing key, as keymgr
    /// computes them.
    pub fn ds(&self, zone: &str) -> Vec<String> {
        let out = Command::new(tool("keymgr"))
            .arg("-c")
            .arg(self.dir.join("knot.conf"))
            .arg(zone)
            .arg("ds")
            .output()
            .expect("running keymgr");
        let text = String::from_utf8_lossy(&out.stdout);
        let ds: Vec<String> = text
            .lines()
            .filter_map(|l| l.split_once(" DS ").map(|(_, v)| v.trim().to_owned()))
            .filter(|v| v.split(' ').nth(2) == Some("2"))
            .collect();
        assert!(
            !ds.is_empty(),
            "keymgr printed no SHA-256 DS for {zone}: {text}"
        );
        ds
    }

    /// Writes the zone file of a zone configured without one and has knotd load it.
    pub async fn serve(&self, name: &str) {
        let i = self
            .zones
            .iter()
            .position(|z| z.name == name)
            .expect("a zone of this server");
        let zone = self.zones[i].clone();
        write_zone(&self.dir, i, &zone);
        let out = Command::new(tool("knotc"))
            .arg("-s")
            .arg(self.dir.join("knot.sock"))
            .args(["zone-reload", name])
            .output()
            .expect("running knotc");
        assert!(out.status.success(), "knotc zone-reload {name}: {out:?}");
        self.wait_served(&zone).await;
    }
}

impl Drop for Knot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn config(dir: &Path, port: u16, zones: &[KnotZone]) -> String {
    let d = dir.display();
    let mut conf = format!(
        "server:\n  listen: 127.0.0.1@{port}\n  rundir: {d}\ndatabase:\n  storage: {d}/db\n\
         control:\n  listen: {d}/knot.sock\nlog:\n  - target: stderr\n    any: warning\n\
         policy:\n  - id: test\n    algorithm: ecdsap256sha256\n    nsec3: off\n    cds-cdnskey-publish: none\n\
         \x20 - id: cds\n    algorithm: ecdsap256sha256\n    nsec3: off\n    cds-cdnskey-publish: always\n\
         \x20 - id: cds-delete\n    algorithm: ecdsap256sha256\n    nsec3: off\n    cds-cdnskey-publish: delete-dnssec\n\
         template:\n  - id: default\n    storage: {d}\n    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n\
         zone:\n"
    );
    // Files by position: a name at the 253-octet limit is too long for a file name.
    for (i, zone) in zones.iter().enumerate() {
        conf.push_str(&format!(
            "  - domain: {}\n    file: zone{i}.zone\n",
            zone.name
        ));
        if zone.signed {
            conf.push_str(&format!(
                "    dnssec-signing: on\n    dnssec-policy: {}\n",
                zone.cds.policy()
            ));
        }
    }
    conf
}

fn write_zone(dir: &Path, i: usize, zone: &KnotZone) {
    let mut text = format!(
        "$ORIGIN {name}.\n$TTL 300\n@ SOA {ns0}. hostmaster.dns.test. 1 3600 600 86400 300\n",
        name = zone.name,
        ns0 = zone.ns[0].trim_end_matches('.')
    );
    for ns in &zone.ns {
        text.push_str(&format!("@ NS {}.\n", ns.trim_end_matches('.')));
    }
    // A record below the apex would exceed 253 octets for a name at the limit.
    text.push_str("@ TXT \"served by knotd\"\n");
    std::fs::write(dir.join(format!("zone{i}.zone")), text).unwrap();
}
