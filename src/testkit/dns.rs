//! The name servers the audit probes, scripted: each host has an address and serves some names
//! (authoritatively: the SOA at the name, the NS set of the hosts that serve it with the TTL set
//! for it, the DNSKEYs set for it, signed or not, the CDS and CDNSKEY records set for it on that
//! host), refuses the rest, or answers nothing at all. A host without an address is one the
//! resolver cannot find. Every question is logged.

use super::Memory;
use crate::domain::name::DnsName;
use crate::domain::probe::{DnsAnswer, DnsKey, DsValue, Question, Rcode, Reply};
use crate::ports::DnsProber;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

/// One question a name server was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asked {
    /// The server's host name (or its address, when no host has it).
    pub host: String,
    pub name: DnsName,
    pub question: Question,
}

/// What one host publishes at a name: CDS and CDNSKEY records.
#[derive(Clone, Default)]
struct Cds {
    cds: Vec<DsValue>,
    cdnskey: Vec<DnsKey>,
}

struct Server {
    host: String,
    address: SocketAddr,
    serves: BTreeSet<DnsName>,
    silent: bool,
    cds: BTreeMap<DnsName, Cds>,
}

#[derive(Default)]
pub(super) struct DnsWorld {
    servers: Vec<Server>,
    dnskeys: BTreeMap<DnsName, Vec<DnsKey>>,
    /// Names whose DNSKEY answers carry an RRSIG.
    signed: BTreeSet<DnsName>,
    ns_ttls: BTreeMap<DnsName, u32>,
    questions: Vec<Asked>,
}

/// A host as the prober names it: lower case, no trailing dot.
fn host_name(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

impl DnsWorld {
    fn server(&mut self, host: &str) -> &mut Server {
        let host = host_name(host);
        let i = match self.servers.iter().position(|s| s.host == host) {
            Some(i) => i,
            None => {
                let n = self.servers.len();
                let address =
                    SocketAddr::from(([127, 0, 1 + (n / 250) as u8, 1 + (n % 250) as u8], 53));
                self.servers.push(Server {
                    host,
                    address,
                    serves: BTreeSet::new(),
                    silent: false,
                    cds: BTreeMap::new(),
                });
                n
            }
        };
        &mut self.servers[i]
    }

    /// The hosts that serve `name`, as an NS answer lists them.
    fn name_servers_of(&self, name: &DnsName) -> Vec<String> {
        let serving = self.servers.iter().filter(|s| s.serves.contains(name));
        let mut hosts: Vec<String> = serving.map(|s| s.host.clone()).collect();
        hosts.sort();
        hosts
    }

    fn answer(&self, server: Option<&Server>, name: &DnsName, question: Question) -> Reply {
        let Some(server) = server else {
            return Reply::NoAnswer("connection refused".into());
        };
        if server.silent {
            return Reply::NoAnswer("timed out".into());
        }
        if !server.serves.contains(name) {
            return Reply::Answered(DnsAnswer::refused());
        }
        let mut answer = DnsAnswer {
            soa_at_name: question == Question::Soa,
            summary: format!("NOERROR aa {}", question.as_str()),
            ..DnsAnswer::empty(Rcode::NoError, true)
        };
        let published = server.cds.get(name).cloned().unwrap_or_default();
        match question {
            Question::Soa => {}
            Question::Ns => {
                answer.ns = self.name_servers_of(name);
                answer.ns_ttl = self.ns_ttls.get(name).copied();
            }
            Question::Dnskey => {
                answer.dnskeys = self.dnskeys.get(name).cloned().unwrap_or_default();
                answer.signed = self.signed.contains(name) && !answer.dnskeys.is_empty();
            }
            Question::Cds => answer.cds = published.cds,
            Question::Cdnskey => answer.dnskeys = published.cdnskey,
        }
        Reply::Answered(answer)
    }
}

impl Memory {
    /// A name server `host` with an address (it serves nothing yet); returns the address.
    pub fn name_server(&self, host: &str) -> SocketAddr {
        self.state().dns.server(host).address
    }

    /// `host` (a name server from now on) serves `names` authoritatively.
    pub fn serve(&self, host: &str, names: &[&str]) {
        let mut s = self.state();
        let server = s.dns.server(host);
        server
            .serves
            .extend(names.iter().map(|n| DnsName::from_route53(n)));
    }

    /// `host` no longer serves `names`: it refuses them.
    pub fn stop_serving(&self, host: &str, names: &[&str]) {
        let mut s = self.state();
        let server = s.dns.server(host);
        for name in names {
            server.serves.remove(&DnsName::from_route53(name));
        }
    }

    /// `host` answers no question (a timeout), or answers again.
    pub fn silence(&self, host: &str, silent: bool) {
        self.state().dns.server(host).silent = silent;
    }

    /// The DNSKEYs the servers of `name` answer with.
    pub fn set_dnskeys(&self, name: &str, keys: Vec<DnsKey>) {
        let name = DnsName::from_route53(name);
        self.state().dns.dnskeys.insert(name, keys);
    }

    /// Whether the DNSKEY answers for `name` carry an RRSIG (a signed zone).
    pub fn set_signed(&self, name: &str, signed: bool) {
        let name = DnsName::from_route53(name);
        let mut s = self.state();
        if signed {
            s.dns.signed.insert(name);
        } else {
            s.dns.signed.remove(&name);
        }
    }

    /// The TTL the servers of `name` give its apex NS set (none by default).
    pub fn set_apex_ns_ttl(&self, name: &str, ttl: u32) {
        let name = DnsName::from_route53(name);
        self.state().dns.ns_ttls.insert(name, ttl);
    }

    /// The CDS and CDNSKEY records `host` publishes at `name`.
    pub fn publish_cds(&self, host: &str, name: &str, cds: Vec<DsValue>, cdnskey: Vec<DnsKey>) {
        let name = DnsName::from_route53(name);
        let mut s = self.state();
        s.dns.server(host).cds.insert(name, Cds { cds, cdnskey });
    }

    /// Every question asked, in order.
    pub fn questions(&self) -> Vec<Asked> {
        self.state().dns.questions.clone()
    }
}

impl DnsProber for Memory {
    /// The host's address; a host never named to the fake has none.
    async fn addresses(&self, host: &str) -> Result<Vec<SocketAddr>, String> {
        let s = self.state();
        let host = host_name(host);
        match s.dns.servers.iter().find(|s| s.host == host) {
            Some(server) => Ok(vec![server.address]),
            None => Err(format!("no address for {host}")),
        }
    }

    async fn ask(&self, server: SocketAddr, name: &DnsName, question: Question) -> Reply {
        let mut s = self.state();
        let dns = &mut s.dns;
        let at = dns.servers.iter().find(|s| s.address == server);
        let host = at.map_or_else(|| server.to_string(), |s| s.host.clone());
        let reply = dns.answer(at, name, question);
        dns.questions.push(Asked {
            host,
            name: name.clone(),
            question,
        });
        reply
    }
}
