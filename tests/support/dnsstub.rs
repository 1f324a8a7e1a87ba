//! Tiny loopback DNS stand-ins for what a real server does not do on demand: a server that never
//! answers, one that answers garbage, and one that truncates every UDP answer and answers properly
//! over TCP.

use hickory_proto::op::{Message, MessageType};
use hickory_proto::rr::rdata::{NS, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

/// A UDP socket that is bound and never answers (and no TCP listener on its port).
pub struct Silent {
    _socket: std::net::UdpSocket,
    pub addr: SocketAddr,
}

impl Silent {
    pub fn start() -> Silent {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        Silent {
            _socket: socket,
            addr,
        }
    }
}

/// Answers every datagram with bytes that are not DNS.
pub async fn garbage() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        while let Ok((_, from)) = socket.recv_from(&mut buf).await {
            let _ = socket.send_to(b"\x13\x37garbage", from).await;
        }
    });
    addr
}

/// Serves `zone` with apex NS `ns`: over UDP every answer comes truncated (TC=1, no records), over
/// TCP in full.
pub async fn truncating(zone: &str, ns: &[&str]) -> SocketAddr {
    // A UDP port whose TCP twin is free too.
    let (udp, tcp) = loop {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        if let Ok(tcp) = TcpListener::bind(udp.local_addr().unwrap()).await {
            break (udp, tcp);
        }
    };
    let addr = udp.local_addr().unwrap();
    let origin = Name::from_ascii(format!("{zone}.")).unwrap();
    let ns: Vec<Name> = ns
        .iter()
        .map(|n| Name::from_ascii(format!("{}.", n.trim_end_matches('.'))).unwrap())
        .collect();
    tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        while let Ok((len, from)) = udp.recv_from(&mut buf).await {
            if let Ok(query) = Message::from_vec(&buf[..len]) {
                let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
                reply.metadata.truncation = true;
                reply.metadata.authoritative = true;
                reply.add_queries(query.queries.clone());
                let _ = udp.send_to(&reply.to_vec().unwrap(), from).await;
            }
        }
    });
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = tcp.accept().await {
            let (origin, ns) = (origin.clone(), ns.clone());
            tokio::spawn(async move {
                let mut len = [0u8; 2];
                if stream.read_exact(&mut len).await.is_err() {
                    return;
                }
                let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
                if stream.read_exact(&mut buf).await.is_err() {
                    return;
                }
                let Ok(query) = Message::from_vec(&buf) else {
                    return;
                };
                let reply = full_answer(&query, &origin, &ns).to_vec().unwrap();
                let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&reply);
                let _ = stream.write_all(&framed).await;
            });
        }
    });
    addr
}

fn full_answer(query: &Message, origin: &Name, ns: &[Name]) -> Message {
    let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
    reply.metadata.message_type = MessageType::Response;
    reply.metadata.authoritative = true;
    reply.add_queries(query.queries.clone());
    if let Some(q) = query.queries.first() {
        match q.query_type() {
            RecordType::SOA => {
                let soa = SOA::new(ns[0].clone(), origin.clone(), 1, 3600, 600, 86400, 300);
                reply.add_answer(Record::from_rdata(origin.clone(), 300, RData::SOA(soa)));
            }
            RecordType::NS => {
                for n in ns {
                    reply.add_answer(Record::from_rdata(
                        origin.clone(),
                        300,
                        RData::NS(NS(n.clone())),
                    ));
                }
            }
            _ => {}
        }
    }
    reply
}
