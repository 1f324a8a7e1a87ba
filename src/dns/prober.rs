//! The DNS prober (docs/design.md, "Audit"): asks a delegated name server one question directly,
//! without recursion, over UDP with TCP when the answer is truncated, with a timeout and one retry;
//! finds name servers' addresses through the configured overrides or the system resolver. The
//! wire format is hickory-proto's; what an answer means is `domain::verdict`'s business.

use crate::domain::name::DnsName;
use crate::domain::probe::{DnsAnswer, DnsKey, DsValue, Question, Rcode, Reply};
use crate::ports::DnsProber;
use hickory_proto::op::{Edns, Message, Query};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{Instant, timeout_at};

/// How long one try waits for an answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// A try, then one retry.
const TRIES: u32 = 2;
/// The EDNS payload size DNS Flag Day 2020 recommends: no fragmentation, large enough for most
/// DNSKEY sets; a larger answer comes truncated and is asked again over TCP.
const EDNS_PAYLOAD: u16 = 1232;
const DNS_PORT: u16 = 53;
/// The receive buffer of a UDP answer: above the EDNS payload we offer, so a server that ignores it
/// is still read whole up to this size (a larger datagram is cut, fails to parse, and counts as no
/// answer). Small, as hundreds of questions are in flight at once.
const UDP_BUFFER: usize = 4_096;

/// A prober over hickory-proto's wire format and tokio's sockets.
#[derive(Clone, Debug)]
pub struct HickoryProber {
    /// Host name (lower case, no trailing dot) → the addresses to ask instead of resolving it.
    overrides: HashMap<String, Vec<SocketAddr>>,
    timeout: Duration,
    queries: Arc<AtomicU64>,
}

impl Default for HickoryProber {
    fn default() -> Self {
        Self::new(HashMap::new(), DEFAULT_TIMEOUT)
    }
}

impl HickoryProber {
    pub fn new(overrides: HashMap<String, Vec<SocketAddr>>, timeout: Duration) -> Self {
        HickoryProber {
            overrides: overrides
                .into_iter()
                .map(|(host, addrs)| (host_key(&host), addrs))
                .collect(),
            timeout,
            queries: Arc::default(),
        }
    }

    /// The DNS messages sent so far (UDP datagrams and TCP exchanges, retries included).
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    async fn exchange_udp(
        &self,
        server: SocketAddr,
        wire: &[u8],
        id: u16,
    ) -> Result<Message, String> {
        let bind: SocketAddr = if server.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let socket = UdpSocket::bind(bind).await.map_err(|e| e.to_string())?;
        socket.connect(server).await.map_err(|e| e.to_string())?;
        self.queries.fetch_add(1, Ordering::Relaxed);
        socket.send(wire).await.map_err(|e| e.to_string())?;
        let deadline = Instant::now() + self.timeout;
        let mut buf = vec![0u8; UDP_BUFFER];
        let mut last = "timed out".to_owned();
        // Datagrams that are not an answer to this question are skipped until the timeout.
        loop {
            let Ok(received) = timeout_at(deadline, socket.recv(&mut buf)).await else {
                return Err(last);
            };
            let len = received.map_err(|e| e.to_string())?;
            match Message::from_vec(&buf[..len]) {
                Ok(msg) if msg.metadata.id == id => return Ok(msg),
                Ok(_) => last = "timed out (an answer with another ID was ignored)".into(),
                Err(e) => last = format!("the answer is not DNS ({e})"),
            }
        }
    }

    async fn exchange_tcp(
        &self,
        server: SocketAddr,
        wire: &[u8],
        id: u16,
    ) -> Result<Message, String> {
        let deadline = Instant::now() + self.timeout;
        let work = async {
            let mut stream = TcpStream::connect(server)
                .await
                .map_err(|e| e.to_string())?;
            self.queries.fetch_add(1, Ordering::Relaxed);
            let len = u16::try_from(wire.len()).map_err(|e| e.to_string())?;
            let mut framed = len.to_be_bytes().to_vec();
            framed.extend_from_slice(wire);
            stream.write_all(&framed).await.map_err(|e| e.to_string())?;
            let mut len = [0u8; 2];
            stream
                .read_exact(&mut len)
                .await
                .map_err(|e| format!("TCP: {e}"))?;
            let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
            stream
                .read_exact(&mut buf)
                .await
                .map_err(|e| format!("TCP: {e}"))?;
            let msg =
                Message::from_vec(&buf).map_err(|e| format!("the TCP answer is not DNS ({e})"))?;
            if msg.metadata.id == id {
                Ok(msg)
            } else {
                Err("the TCP answer has another ID".to_owned())
            }
        };
        timeout_at(deadline, work)
            .await
            .unwrap_or_else(|_| Err("TCP timed out".into()))
    }

    /// One try: UDP, then TCP when the answer says it was truncated.
    async fn try_once(&self, server: SocketAddr, wire: &[u8], id: u16) -> Result<Message, String> {
        let msg = self.exchange_udp(server, wire, id).await?;
        if msg.metadata.truncation {
            return self.exchange_tcp(server, wire, id).await;
        }
        Ok(msg)
    }
}

fn host_key(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn record_type(question: Question) -> RecordType {
    match question {
        Question::Soa => RecordType::SOA,
        Question::Ns => RecordType::NS,
        Question::Dnskey => RecordType::DNSKEY,
        Question::Cds => RecordType::CDS,
        Question::Cdnskey => RecordType::CDNSKEY,
    }
}

fn query(name: &DnsName, question: Question) -> Result<(Vec<u8>, u16), String> {
    let qname = Name::from_ascii(name.fqdn()).map_err(|e| format!("{name}: {e}"))?;
    let mut msg = Message::query();
    msg.metadata.recursion_desired = false;
    msg.add_query(Query::query(qname, record_type(question)));
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD);
    // DO on the DNSKEY question only: its RRSIG tells a signed zone (the `insecure` warning); the
    // other answers stay small.
    edns.set_dnssec_ok(question == Question::Dnskey);
    msg.set_edns(edns);
    let wire = msg.to_vec().map_err(|e| e.to_string())?;
    Ok((wire, msg.metadata.id))
}

impl DnsProber for HickoryProber {
    async fn addresses(&self, host: &str) -> Result<Vec<SocketAddr>, String> {
        let key = host_key(host);
        if let Some(addrs) = self.overrides.get(&key) {
            return Ok(addrs.clone());
        }
        let mut addrs: Vec<SocketAddr> = tokio::net::lookup_host((key.as_str(), DNS_PORT))
            .await
            .map_err(|e| format!("no address for {key}: {e}"))?
            .collect();
        addrs.sort_by_key(|a| a.is_ipv6());
        addrs.dedup();
        if addrs.is_empty() {
            return Err(format!("no address for {key}"));
        }
        Ok(addrs)
    }

    async fn ask(&self, server: SocketAddr, name: &DnsName, question: Question) -> Reply {
        let (wire, id) = match query(name, question) {
            Ok(q) => q,
            Err(e) => return Reply::NoAnswer(format!("cannot ask: {e}")),
        };
        let mut last = String::new();
        for _ in 0..TRIES {
            match self.try_once(server, &wire, id).await {
                Ok(msg) if asks(&msg, name, question) => {
                    return Reply::Answered(answer(&msg, name, question));
                }
                Ok(_) => last = "the answer is to another question".into(),
                Err(e) => last = e,
            }
        }
        Reply::NoAnswer(format!("{last} ({TRIES} tries)"))
    }
}

/// Whether the answer repeats our question (a server that answers another one is not answering).
fn asks(msg: &Message, name: &DnsName, question: Question) -> bool {
    msg.queries.is_empty()
        || msg
            .queries
            .iter()
            .any(|q| q.query_type() == record_type(question) && is_name(q.name(), name))
}

fn is_name(owner: &Name, name: &DnsName) -> bool {
    host_key(&owner.to_ascii()) == name.as_str()
}

fn owned<'a>(
    msg: &'a Message,
    name: &'a DnsName,
    rtype: RecordType,
) -> impl Iterator<Item = &'a Record> {
    msg.answers
        .iter()
        .filter(move |r| r.record_type() == rtype && is_name(&r.name, name))
}

/// The RDATA of a record hickory-proto does not decode (DNSSEC types without its DNSSEC feature).
fn raw(data: &RData) -> Option<&[u8]> {
    match data {
        RData::Unknown { rdata, .. } => Some(&rdata.anything),
        _ => None,
    }
}

/// DNSKEY and CDNSKEY RDATA (RFC 4034, 2.1).
fn dnskey(data: &RData) -> Option<DnsKey> {
    let bytes = raw(data)?;
    (bytes.len() >= 4).then(|| DnsKey {
        flags: u16::from_be_bytes([bytes[0], bytes[1]]),
        protocol: bytes[2],
        algorithm: bytes[3],
        public_key: bytes[4..].to_vec(),
    })
}

/// DS and CDS RDATA (RFC 4034, 5.1), the digest in lower-case hex.
fn ds(data: &RData) -> Option<DsValue> {
    let bytes = raw(data)?;
    (bytes.len() >= 4).then(|| DsValue {
        key_tag: u16::from_be_bytes([bytes[0], bytes[1]]),
        algorithm: bytes[2],
        digest_type: bytes[3],
        digest: bytes[4..].iter().map(|b| format!("{b:02x}")).collect(),
    })
}

/// Whether an RRSIG owned by the name covers `rtype` (its first two RDATA bytes, RFC 4034, 3.1).
fn signed(msg: &Message, name: &DnsName, rtype: RecordType) -> bool {
    owned(msg, name, RecordType::RRSIG)
        .filter_map(|r| raw(&r.data))
        .any(|b| b.len() >= 2 && u16::from_be_bytes([b[0], b[1]]) == u16::from(rtype))
}

fn ns_targets(msg: &Message, name: &DnsName) -> (Vec<String>, Option<u32>) {
    let records: Vec<&Record> = owned(msg, name, RecordType::NS).collect();
    let ns = records
        .iter()
        .filter_map(|r| match &r.data {
            RData::NS(ns) => Some(host_key(&ns.0.to_ascii())),
            _ => None,
        })
        .collect();
    (ns, records.iter().map(|r| r.ttl).min())
}

/// What an answer holds besides its rcode, for the summary: `SOA`, `NS …`, the keys, the CDS.
fn contents(msg: &Message, question: Question, a: &DnsAnswer) -> String {
    let keys = || {
        let keys: Vec<String> = a.dnskeys.iter().map(DnsKey::describe).collect();
        keys.join(", ")
    };
    match question {
        Question::Soa if a.soa_at_name => " SOA".into(),
        Question::Ns if !a.ns.is_empty() => format!(" NS {}", a.ns.join(" ")),
        Question::Dnskey if !a.dnskeys.is_empty() => {
            format!(" {}{}", keys(), if a.signed { " (signed)" } else { "" })
        }
        Question::Cdnskey if !a.dnskeys.is_empty() => format!(" C{}", keys()),
        Question::Cds if !a.cds.is_empty() => {
            let cds: Vec<String> = a.cds.iter().map(|d| format!("CDS {d}")).collect();
            format!(" {}", cds.join(", "))
        }
        _ if msg.answers.is_empty() => " no answer records".into(),
        _ => format!(" {} other answer records", msg.answers.len()),
    }
}

/// The answer as plain values (`domain::probe::DnsAnswer`).
fn answer(msg: &Message, name: &DnsName, question: Question) -> DnsAnswer {
    let rcode = Rcode::from_code(u16::from(msg.metadata.response_code));
    let authoritative = msg.metadata.authoritative;
    let referral_to: Vec<String> = msg
        .authorities
        .iter()
        .filter_map(|r| match &r.data {
            RData::NS(ns) => Some(host_key(&ns.0.to_ascii())),
            _ => None,
        })
        .collect();
    let referral = msg.answers.is_empty() && !authoritative && !referral_to.is_empty();
    let (ns, ns_ttl) = ns_targets(msg, name);
    let key_type = match question {
        Question::Cdnskey => RecordType::CDNSKEY,
        _ => RecordType::DNSKEY,
    };
    let mut a = DnsAnswer {
        soa_at_name: owned(msg, name, RecordType::SOA).next().is_some(),
        referral,
        ns,
        ns_ttl,
        dnskeys: owned(msg, name, key_type)
            .filter_map(|r| dnskey(&r.data))
            .collect(),
        cds: owned(msg, name, RecordType::CDS)
            .filter_map(|r| ds(&r.data))
            .collect(),
        signed: signed(msg, name, record_type(question)),
        ..DnsAnswer::empty(rcode, authoritative)
    };
    if authoritative {
        a.summary.push_str(" aa");
    }
    if referral {
        a.summary
            .push_str(&format!(" referral to {}", referral_to.join(" ")));
    } else {
        a.summary.push_str(&contents(msg, question, &a));
    }
    a
}
