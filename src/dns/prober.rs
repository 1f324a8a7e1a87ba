//! The DNS prober (docs/design.md, "Audit"): asks a delegated name server one question directly,
//! without recursion, over UDP with TCP when the answer is truncated, with a timeout and one retry;
//! finds name servers' addresses through the configured overrides or the system resolver. The
//! wire format is hickory-proto's; what an answer means is `domain::verdict`'s business.

use crate::domain::name::DnsName;
use crate::domain::probe::{DnsAnswer, DnsKey, Question, Rcode, Reply};
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
    }
}

fn query(name: &DnsName, question: Question) -> Result<(Vec<u8>, u16), String> {
    let qname = Name::from_ascii(name.fqdn()).map_err(|e| format!("{name}: {e}"))?;
    let mut msg = Message::query();
    msg.metadata.recursion_desired = false;
    msg.add_query(Query::query(qname, record_type(question)));
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD);
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

fn dnskey(data: &RData) -> Option<DnsKey> {
    let RData::Unknown { rdata, .. } = data else {
        return None;
    };
    let bytes = &rdata.anything;
    (bytes.len() >= 4).then(|| DnsKey {
        flags: u16::from_be_bytes([bytes[0], bytes[1]]),
        protocol: bytes[2],
        algorithm: bytes[3],
        public_key: bytes[4..].to_vec(),
    })
}

/// The answer as plain values (`domain::probe::DnsAnswer`).
fn answer(msg: &Message, name: &DnsName, question: Question) -> DnsAnswer {
    let rcode = Rcode::from_code(u16::from(msg.metadata.response_code));
    let authoritative = msg.metadata.authoritative;
    let soa_at_name = owned(msg, name, RecordType::SOA).next().is_some();
    let referral_to: Vec<String> = msg
        .authorities
        .iter()
        .filter_map(|r| match &r.data {
            RData::NS(ns) => Some(host_key(&ns.0.to_ascii())),
            _ => None,
        })
        .collect();
    let referral = msg.answers.is_empty() && !authoritative && !referral_to.is_empty();
    let ns: Vec<String> = owned(msg, name, RecordType::NS)
        .filter_map(|r| match &r.data {
            RData::NS(ns) => Some(host_key(&ns.0.to_ascii())),
            _ => None,
        })
        .collect();
    let dnskeys: Vec<DnsKey> = owned(msg, name, RecordType::DNSKEY)
        .filter_map(|r| dnskey(&r.data))
        .collect();
    let mut summary = rcode.to_string();
    if authoritative {
        summary.push_str(" aa");
    }
    if referral {
        summary.push_str(&format!(" referral to {}", referral_to.join(" ")));
    } else {
        match question {
            Question::Soa if soa_at_name => summary.push_str(" SOA"),
            Question::Ns if !ns.is_empty() => summary.push_str(&format!(" NS {}", ns.join(" "))),
            Question::Dnskey if !dnskeys.is_empty() => summary.push_str(&format!(
                " {}",
                dnskeys
                    .iter()
                    .map(DnsKey::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ if msg.answers.is_empty() => summary.push_str(" no answer records"),
            _ => summary.push_str(&format!(" {} other answer records", msg.answers.len())),
        }
    }
    DnsAnswer {
        rcode,
        authoritative,
        soa_at_name,
        referral,
        ns,
        dnskeys,
        summary,
    }
}
