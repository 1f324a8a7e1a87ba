//! The size of the referral a parent zone gives for a delegation (docs/design.md, "Audit",
//! `referral-too-large`): the DNS response a resolver gets when it asks the parent's servers for
//! the delegated name, built from the parent's records and measured with hickory-proto's encoder
//! (name compression as servers use it) rather than estimated by hand. Pure: records in, bytes out.
//!
//! The message: the header, the question (the delegated name, type A), the authority section with
//! the NS set and the DS set, the additional section with the glue (the parent's A and AAAA records
//! at the NS targets) and the OPT record of an EDNS answer. Not counted, because Route 53's record
//! sets do not hold them: the RRSIG over the DS set and the NSEC/NSEC3 proofs a signed parent adds
//! for a resolver that sets DO. The size is therefore a lower bound of what a validating resolver
//! receives.

use super::probe::DsValue;
use super::verdict::Delegation;
use hickory_proto::op::{Edns, Message, OpCode, Query};
use hickory_proto::rr::rdata::{A, AAAA, NS, NULL};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use std::net::IpAddr;

/// The UDP payload a referral must fit (DNS Flag Day 2020's EDNS buffer size, the one the prober
/// offers): a larger one comes truncated, and resolvers retry over TCP or fail.
pub const MAX_UDP_PAYLOAD: usize = 1232;

/// A TTL that does not fit a DNS record's 32 bits is encoded as 0; the size does not depend on it.
fn ttl(ttl: i64) -> u32 {
    u32::try_from(ttl).unwrap_or(0)
}

fn name(text: &str) -> Option<Name> {
    let text = text.trim();
    let fqdn = if text.ends_with('.') {
        text.to_owned()
    } else {
        format!("{text}.")
    };
    Name::from_ascii(fqdn).ok()
}

/// A DS record's RDATA (RFC 4034, 5.1): key tag, algorithm, digest type, digest. A digest that is
/// not hex counts as half its length in bytes, as it would if it were.
fn ds_rdata(ds: &DsValue) -> Vec<u8> {
    let mut rdata = ds.key_tag.to_be_bytes().to_vec();
    rdata.push(ds.algorithm);
    rdata.push(ds.digest_type);
    let digest = ds.digest.as_bytes();
    let bytes = digest.chunks(2).map(|pair| {
        std::str::from_utf8(pair)
            .ok()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            .unwrap_or(0)
    });
    rdata.extend(bytes);
    rdata
}

/// The referral's size in bytes, or `None` when a name in it cannot be encoded (the NS value is
/// then not a host name, which the verdicts already show).
pub fn referral_size(delegation: &Delegation) -> Option<usize> {
    let owner = name(delegation.name.as_str())?;
    let mut msg = Message::response(0, OpCode::Query);
    msg.add_query(Query::query(owner.clone(), RecordType::A));
    for target in &delegation.ns {
        let rdata = RData::NS(NS(name(target)?));
        msg.add_authority(Record::from_rdata(
            owner.clone(),
            ttl(delegation.ns_ttl),
            rdata,
        ));
    }
    for ds in delegation.ds.iter().filter_map(|v| DsValue::parse(v)) {
        let rdata = RData::Unknown {
            code: RecordType::DS,
            rdata: NULL::with(ds_rdata(&ds)),
        };
        msg.add_authority(Record::from_rdata(
            owner.clone(),
            ttl(delegation.ds_ttl),
            rdata,
        ));
    }
    for glue in &delegation.glue {
        let glue_owner = name(glue.name.as_str())?;
        for address in &glue.addresses {
            let rdata = match address {
                IpAddr::V4(v4) => RData::A(A(*v4)),
                IpAddr::V6(v6) => RData::AAAA(AAAA(*v6)),
            };
            msg.add_additional(Record::from_rdata(glue_owner.clone(), ttl(glue.ttl), rdata));
        }
    }
    let mut edns = Edns::new();
    edns.set_max_payload(MAX_UDP_PAYLOAD as u16);
    msg.set_edns(edns);
    msg.to_vec().ok().map(|wire| wire.len())
}

#[cfg(test)]
#[path = "tests/referral.rs"]
mod tests;
