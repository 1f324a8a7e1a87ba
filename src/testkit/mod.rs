//! An in-memory AWS and DNS behind every port, so that the use cases and the handler rules run as
//! plain millisecond tests: a multi-account Route 53 (zones, record sets, change batches as Route 53
//! applies them, DNSSEC state, the audit's listings), CloudFormation stacks per account and region,
//! STS role assumption, the provider's own account, the name servers the audit probes, Security
//! Hub's findings, injected faults (errors, guardrail refusals, stale batches, throttling, slow
//! calls) and a log of every call.
//!
//! Compiled for the crate's own tests and, with the cargo feature `testkit`, for the integration
//! tests (Cargo.toml turns it on for them); never in the product.
//!
//! `Memory` is a cheap handle (`Clone` shares the state): give one clone to the `Provider` (it is a
//! `Connector`) or to a use case, and keep another to arrange the world and inspect it afterwards.
//! Files: `state.rs` the world, `faults.rs` fault injection, `route53.rs` Route 53 as one account
//! sees it, `stacks.rs` CloudFormation, `connector.rs` STS and the connector, `dns.rs` the name
//! servers, `securityhub.rs` Security Hub.

mod connector;
mod dns;
mod faults;
mod route53;
mod securityhub;
mod stacks;
mod state;
#[cfg(test)]
mod tests;

pub use dns::Asked;
pub use faults::THROTTLE_BACKOFF;
pub use route53::Route53In;
pub use stacks::CloudFormationIn;
pub use state::{Call, Op};

use crate::domain::listing::RECORDS_PER_PAGE;
use crate::domain::model::{Change, DnssecState, KeySigningKey, KeyStatus, SigningStatus, Zone};
use crate::domain::name::DnsName;
use crate::domain::properties::ZoneId;
use state::{HostedZone, State};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// A record set, flattened for assertions: (fqdn, type, TTL, sorted lower-case values).
pub type Rec = (String, String, i64, Vec<String>);

/// The fake AWS; see the module doc.
#[derive(Clone)]
pub struct Memory(Arc<Mutex<State>>);

impl Memory {
    /// An empty AWS in which the provider runs in `own_account`; events come 100 to a page, record
    /// sets 300 (Route 53's largest page).
    pub fn new(own_account: &str) -> Self {
        Memory(Arc::new(Mutex::new(State {
            own_account: own_account.to_owned(),
            event_page_size: 100,
            record_page_size: RECORDS_PER_PAGE,
            ..State::default()
        })))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap()
    }

    /// A public zone in `account` with its own four name servers (and the apex SOA and NS
    /// Route 53 creates); returns its ID.
    pub fn add_zone(&self, account: &str, name: &str) -> String {
        self.insert_zone(account, name, false)
    }

    /// A private zone: no delegation set.
    pub fn add_private_zone(&self, account: &str, name: &str) -> String {
        self.insert_zone(account, name, true)
    }

    fn insert_zone(&self, account: &str, name: &str, private: bool) -> String {
        let mut s = self.state();
        let n = s.zones.len() + 1;
        let id = format!("Z{n:03}MEMORY");
        let name = DnsName::parse(name).unwrap();
        let tlds = if private {
            &[][..]
        } else {
            &["com", "net", "org", "co.uk"][..]
        };
        let name_servers: Vec<String> = tlds
            .iter()
            .enumerate()
            .map(|(i, tld)| format!("ns-{k}.awsdns-{k:02}.{tld}", k = n * 4 + i))
            .collect();
        let apex_ns = name_servers.iter().map(|ns| format!("{ns}.")).collect();
        let soa =
            format!("ns-{n}.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400");
        let records = BTreeMap::from([
            ((name.clone(), "NS".to_owned()), (172_800, apex_ns)),
            ((name.clone(), "SOA".to_owned()), (900, vec![soa])),
        ]);
        let zone = Zone {
            id: ZoneId::parse(&id).unwrap(),
            name,
            private,
            name_servers,
        };
        let dnssec = DnssecState {
            serve_signature: SigningStatus::parse("NOT_SIGNING"),
            key_signing_keys: Vec::new(),
        };
        let hosted = HostedZone {
            account: account.to_owned(),
            zone,
            records,
            dnssec,
        };
        s.zones.insert(id.clone(), hosted);
        id
    }

    /// The zone's delegation set, as GetHostedZone lists it (no trailing dots).
    pub fn name_servers(&self, zone: &str) -> Vec<String> {
        self.state().zones[zone].zone.name_servers.clone()
    }

    /// Writes a record set directly (someone else's record, or a hand edit).
    pub fn put_record(&self, zone: &str, name: &str, rtype: &str, ttl: i64, values: &[&str]) {
        let key = (DnsName::from_route53(name), rtype.to_owned());
        let set = (ttl, values.iter().map(|v| v.to_string()).collect());
        self.state()
            .zones
            .get_mut(zone)
            .unwrap()
            .records
            .insert(key, set);
    }

    /// Every record set of the zone, flattened: (fqdn, type, TTL, sorted lower-case values).
    pub fn records(&self, zone: &str) -> Vec<Rec> {
        let s = self.state();
        let mut all: Vec<Rec> = s.zones[zone]
            .records
            .iter()
            .map(|((name, rtype), (ttl, values))| {
                let mut values: Vec<String> = values.iter().map(|v| v.to_lowercase()).collect();
                values.sort();
                (name.fqdn(), rtype.clone(), *ttl, values)
            })
            .collect();
        all.sort();
        all
    }

    /// The record sets below the zone's apex.
    pub fn below_apex(&self, zone: &str) -> Vec<Rec> {
        let apex = self.state().zones[zone].zone.name.fqdn();
        self.records(zone)
            .into_iter()
            .filter(|r| r.0 != apex)
            .collect()
    }

    /// The zone's DNSSEC state: `serve_signature` and key-signing keys as (name, status, DS).
    pub fn set_dnssec(&self, zone: &str, serve_signature: &str, keys: &[(&str, &str, &str)]) {
        self.state().zones.get_mut(zone).unwrap().dnssec = DnssecState {
            serve_signature: SigningStatus::parse(serve_signature),
            key_signing_keys: keys
                .iter()
                .map(|(name, status, ds)| KeySigningKey {
                    name: name.to_string(),
                    status: KeyStatus::parse(status),
                    ds_record: ds.to_string(),
                })
                .collect(),
        };
    }

    /// ListResourceRecordSets' page size from now on (Route 53's is 300): a small page makes a
    /// paging test cheap.
    pub fn set_record_page_size(&self, size: usize) {
        self.state().record_page_size = size;
    }

    /// Lets the provider assume `arn` (with that ExternalId, when one is given).
    pub fn allow_role(&self, arn: &str, external_id: Option<&str>) {
        self.state()
            .roles
            .insert(arn.to_owned(), external_id.map(str::to_owned));
    }

    /// Every change batch submitted (applied or not), as the names it changes (fqdn), in order.
    pub fn change_batches(&self) -> Vec<Vec<String>> {
        let s = self.state();
        let names = |batch: &Vec<Change>| batch.iter().map(|c| c.name.fqdn()).collect();
        s.change_batches.iter().map(names).collect()
    }

    /// Every change batch submitted (applied or not), whole, in order.
    pub fn changes_sent(&self) -> Vec<Vec<Change>> {
        self.state().change_batches.clone()
    }

    /// Every call made, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    pub fn clear_calls(&self) {
        self.state().calls.clear();
    }

    /// How many calls of `op` were made in `account`.
    pub fn count(&self, op: Op, account: &str) -> usize {
        self.count_where(|c| c.op == op && c.account == account)
    }

    /// How many Route 53 calls of any kind were made in `account`.
    pub fn route53_calls_in(&self, account: &str) -> usize {
        self.count_where(|c| c.op.is_route53() && c.account == account)
    }

    fn count_where(&self, f: impl Fn(&Call) -> bool) -> usize {
        self.state().calls.iter().filter(|c| f(c)).count()
    }
}
