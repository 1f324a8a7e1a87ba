//! What the DNS prober port exchanges (docs/design.md, "Audit"): a name server's answer to one
//! question, as plain values, and the DNSSEC arithmetic the verdicts need (key tags, DS digests).
//! The adapter (src/dns/prober.rs) reads the wire; the rules in `verdict` read only these.

use super::name::{DnsName, normalize_value};
use sha2::{Digest, Sha256};
use std::fmt;

/// A DNS response code, as far as the audit tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rcode {
    NoError,
    FormErr,
    ServFail,
    NxDomain,
    NotImp,
    Refused,
    NotAuth,
    Other(u16),
}

impl Rcode {
    pub fn from_code(code: u16) -> Self {
        match code {
            0 => Rcode::NoError,
            1 => Rcode::FormErr,
            2 => Rcode::ServFail,
            3 => Rcode::NxDomain,
            4 => Rcode::NotImp,
            5 => Rcode::Refused,
            9 => Rcode::NotAuth,
            other => Rcode::Other(other),
        }
    }

    pub fn as_str(self) -> String {
        match self {
            Rcode::NoError => "NOERROR".into(),
            Rcode::FormErr => "FORMERR".into(),
            Rcode::ServFail => "SERVFAIL".into(),
            Rcode::NxDomain => "NXDOMAIN".into(),
            Rcode::NotImp => "NOTIMP".into(),
            Rcode::Refused => "REFUSED".into(),
            Rcode::NotAuth => "NOTAUTH".into(),
            Rcode::Other(code) => format!("RCODE{code}"),
        }
    }
}

impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// The questions the audit asks a delegated name server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Question {
    Soa,
    Ns,
    Dnskey,
    /// The child's wish for the parent's DS set (RFC 7344).
    Cds,
    /// The same wish as keys (RFC 7344).
    Cdnskey,
}

impl Question {
    pub fn as_str(self) -> &'static str {
        match self {
            Question::Soa => "SOA",
            Question::Ns => "NS",
            Question::Dnskey => "DNSKEY",
            Question::Cds => "CDS",
            Question::Cdnskey => "CDNSKEY",
        }
    }
}

/// A DNSKEY record's RDATA (RFC 4034, section 2).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DnsKey {
    pub flags: u16,
    pub protocol: u8,
    pub algorithm: u8,
    pub public_key: Vec<u8>,
}

/// The DNSKEY flag that marks a zone key (RFC 4034, 2.1.1); only zone keys sign a zone.
const ZONE_KEY_FLAG: u16 = 0x0100;
/// The flags of a key-signing key: a zone key with the Secure Entry Point bit (RFC 4034, 2.1.1),
/// the key a parent's DS designates.
pub const KSK_FLAGS: u16 = 257;
/// The algorithm of CDS and CDNSKEY "delete" records: the child asks for its DS to be removed
/// (RFC 8078, 4).
const DELETE_ALGORITHM: u8 = 0;
/// DS digest type 2, SHA-256 (RFC 4509); the one Route 53 publishes.
const DIGEST_SHA256: u8 = 2;

impl DnsKey {
    fn rdata(&self) -> Vec<u8> {
        let mut rdata = Vec::with_capacity(4 + self.public_key.len());
        rdata.extend_from_slice(&self.flags.to_be_bytes());
        rdata.push(self.protocol);
        rdata.push(self.algorithm);
        rdata.extend_from_slice(&self.public_key);
        rdata
    }

    /// The key tag (RFC 4034, Appendix B).
    pub fn key_tag(&self) -> u16 {
        let mut acc: u32 = 0;
        for (i, byte) in self.rdata().iter().enumerate() {
            acc += if i % 2 == 0 {
                u32::from(*byte) << 8
            } else {
                u32::from(*byte)
            };
        }
        acc += (acc >> 16) & 0xffff;
        (acc & 0xffff) as u16
    }

    pub fn is_zone_key(&self) -> bool {
        self.flags & ZONE_KEY_FLAG != 0
    }

    /// A CDNSKEY "delete" record (RFC 8078, 4).
    pub fn is_delete(&self) -> bool {
        self.algorithm == DELETE_ALGORITHM
    }

    /// The SHA-256 DS digest of this key at `owner` (RFC 4509): owner name in canonical wire form,
    /// then the RDATA. Lower-case hex.
    pub fn sha256_digest(&self, owner: &DnsName) -> String {
        let mut hasher = Sha256::new();
        hasher.update(wire_name(owner));
        hasher.update(self.rdata());
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `<tag> <algorithm> <flags>`, for the evidence.
    pub fn describe(&self) -> String {
        format!(
            "DNSKEY {} alg {} flags {}",
            self.key_tag(),
            self.algorithm,
            self.flags
        )
    }
}

/// A name in canonical DNS wire form: length-prefixed lower-case labels, then the root.
fn wire_name(name: &DnsName) -> Vec<u8> {
    let mut wire = Vec::with_capacity(name.as_str().len() + 2);
    for label in name.as_str().split('.') {
        wire.push(label.len() as u8);
        wire.extend(label.bytes().map(|b| b.to_ascii_lowercase()));
    }
    wire.push(0);
    wire
}

/// A DS record's value as Route 53 holds it: `<key tag> <algorithm> <digest type> <digest hex>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DsValue {
    pub key_tag: u16,
    pub algorithm: u8,
    pub digest_type: u8,
    pub digest: String,
}

impl DsValue {
    pub fn parse(value: &str) -> Option<Self> {
        let norm = normalize_value(value);
        let mut parts = norm.split(' ');
        let key_tag = parts.next()?.parse().ok()?;
        let algorithm = parts.next()?.parse().ok()?;
        let digest_type = parts.next()?.parse().ok()?;
        let digest: String = parts.collect();
        (!digest.is_empty()).then_some(DsValue {
            key_tag,
            algorithm,
            digest_type,
            digest,
        })
    }

    /// A CDS "delete" record (RFC 8078, 4).
    pub fn is_delete(&self) -> bool {
        self.algorithm == DELETE_ALGORITHM
    }

    /// Whether this DS designates `key` at `owner`: same key tag and algorithm, a zone key, and,
    /// for SHA-256 digests, the same digest (other digest types are matched by tag and algorithm).
    pub fn matches(&self, key: &DnsKey, owner: &DnsName) -> bool {
        key.is_zone_key()
            && key.key_tag() == self.key_tag
            && key.algorithm == self.algorithm
            && (self.digest_type != DIGEST_SHA256 || key.sha256_digest(owner) == self.digest)
    }
}

impl fmt::Display for DsValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.key_tag, self.algorithm, self.digest_type, self.digest
        )
    }
}

/// A name server's answer to one question, as plain values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsAnswer {
    pub rcode: Rcode,
    /// The AA flag: the server says it is authoritative for the answer.
    pub authoritative: bool,
    /// The answer section holds an SOA owned by exactly the asked name.
    pub soa_at_name: bool,
    /// The answer section is empty and the authority section holds NS records: a referral.
    pub referral: bool,
    /// NS targets in the answer section owned by the asked name (lower case, no trailing dot).
    pub ns: Vec<String>,
    /// The TTL of that NS set (the smallest, should its records differ).
    pub ns_ttl: Option<u32>,
    /// Keys of the asked type in the answer section owned by the asked name: DNSKEYs, or CDNSKEYs
    /// for the CDNSKEY question.
    pub dnskeys: Vec<DnsKey>,
    /// CDS records in the answer section owned by the asked name (DS RDATA).
    pub cds: Vec<DsValue>,
    /// The answer section holds an RRSIG owned by the asked name covering the asked type.
    pub signed: bool,
    /// A short account of the answer, for people: `NOERROR aa SOA`, `REFUSED`, `referral to …`.
    pub summary: String,
}

impl DnsAnswer {
    /// An answer with this rcode and AA flag and nothing in it; its summary is the rcode.
    pub fn empty(rcode: Rcode, authoritative: bool) -> Self {
        DnsAnswer {
            rcode,
            authoritative,
            soa_at_name: false,
            referral: false,
            ns: Vec::new(),
            ns_ttl: None,
            dnskeys: Vec::new(),
            cds: Vec::new(),
            signed: false,
            summary: rcode.to_string(),
        }
    }

    /// A server that will not answer for the name (REFUSED): not authoritative, nothing in it.
    pub fn refused() -> Self {
        DnsAnswer::empty(Rcode::Refused, false)
    }

    /// An authoritative NOERROR answer: the server serves the name it was asked about.
    pub fn is_authoritative_data(&self) -> bool {
        self.rcode == Rcode::NoError && self.authoritative && !self.referral
    }
}

/// What became of one question to one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Answered(DnsAnswer),
    /// No usable answer after the retry: a timeout, a refused connection, an answer that is not
    /// DNS or not to our question.
    NoAnswer(String),
}

impl Reply {
    pub fn summary(&self) -> String {
        match self {
            Reply::Answered(a) => a.summary.clone(),
            Reply::NoAnswer(why) => format!("no answer: {why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(flags: u16, algorithm: u8, public_key: &[u8]) -> DnsKey {
        DnsKey {
            flags,
            protocol: 3,
            algorithm,
            public_key: public_key.to_vec(),
        }
    }

    /// RFC 4034 section 5.4's example: the DNSKEY of dskey.example.com and its SHA-1 DS (tag 60485);
    /// the SHA-256 digest of the same key from RFC 4509 section 2.2.1.
    #[test]
    fn key_tag_and_digest_follow_the_rfc_examples() {
        use std::io::Read;
        let b64 = "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==";
        let mut decoder = base64_decode(b64);
        let mut public_key = Vec::new();
        decoder.read_to_end(&mut public_key).unwrap();
        let k = key(256, 5, &public_key);
        assert_eq!(k.key_tag(), 60485);
        let owner = DnsName::parse("dskey.example.com").unwrap();
        assert_eq!(
            k.sha256_digest(&owner),
            "d4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a"
        );
        let ds = DsValue::parse(
            "60485 5 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A",
        )
        .unwrap();
        assert!(ds.matches(&k, &owner));
        let wrong_digest = DsValue {
            digest: "00".repeat(32),
            ..ds.clone()
        };
        assert!(!wrong_digest.matches(&k, &owner));
        let sha1 = DsValue::parse("60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118").unwrap();
        assert!(
            sha1.matches(&k, &owner),
            "other digest types: tag and algorithm"
        );
        assert!(
            !ds.matches(&key(0, 5, &public_key), &owner),
            "not a zone key"
        );
    }

    /// A tiny base64 decoder for the test vector (no dependency for one test).
    fn base64_decode(text: &str) -> std::io::Cursor<Vec<u8>> {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u32, 0);
        for c in text.bytes().filter(|c| *c != b'=') {
            acc = (acc << 6) | ALPHABET.iter().position(|a| *a == c).unwrap() as u32;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        std::io::Cursor::new(out)
    }

    #[test]
    fn ds_values_parse_leniently_and_reject_garbage() {
        let ds = DsValue::parse(" 123  13 2  AB CD ").unwrap();
        assert_eq!(
            (ds.key_tag, ds.algorithm, ds.digest_type, ds.digest.as_str()),
            (123, 13, 2, "abcd")
        );
        for bad in ["", "x 13 2 ab", "123 13 2", "70000 13 2 ab", "1 2"] {
            assert_eq!(DsValue::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rcodes_read_and_print() {
        for code in [0, 1, 2, 3, 4, 5, 9, 11] {
            let r = Rcode::from_code(code);
            assert_eq!(Rcode::from_code(code), r);
        }
        assert_eq!(Rcode::from_code(5).to_string(), "REFUSED");
        assert_eq!(Rcode::from_code(11).to_string(), "RCODE11");
    }
}
