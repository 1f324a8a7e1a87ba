//! An in-memory AWS behind the provider's ports, so the handler rules run as plain millisecond
//! tests: a multi-account Route 53 (zones, record sets, change batches as Route 53 applies them,
//! DNSSEC state), CloudFormation stacks per account and region, STS role assumption, the
//! provider's own account, injected errors and a log of every call.
//!
//! `Memory` is a cheap handle (`Clone` shares the state): give one clone to the `Provider` and keep
//! another to arrange the world and inspect it afterwards.

use super::Rec;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use subdomain_delegation::domain::authority::StackRef;
use subdomain_delegation::domain::listing::{Cursor, RECORDS_PER_PAGE, RecordPage, page_of};
use subdomain_delegation::domain::model::{
    Action, Change, DnssecState, KeySigningKey, KeyStatus, LiveRecord, RecordType, ResourceState,
    ResourceStatus, SigningStatus, StackEvent, StackStatus, SubmittedChange, Zone,
};
use subdomain_delegation::domain::name::{DnsName, same_values};
use subdomain_delegation::domain::properties::{RoleSpec, ZoneId};
use subdomain_delegation::ports::{
    AdapterError, ChildZoneReader, Connector, ErrorKind, ParentZoneStore, SessionContext,
    StackReader,
};

/// The AWS operations the fake answers, as the call log names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    AssumeRole,
    GetCallerIdentity,
    GetHostedZone,
    GetDnssec,
    ListHostedZonesByName,
    ListResourceRecordSets,
    ChangeResourceRecordSets,
    /// `GetChange`, as the INSYNC waiter polls it.
    GetChange,
    DescribeStackResource,
    DescribeStacks,
    DescribeStackEvents,
}

impl Op {
    /// Everything but STS and CloudFormation.
    pub fn is_route53(self) -> bool {
        use Op::*;
        !matches!(
            self,
            AssumeRole
                | GetCallerIdentity
                | DescribeStackResource
                | DescribeStacks
                | DescribeStackEvents
        )
    }
}

/// One call: the operation and the account it acted in (for `AssumeRole`, the role's account).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub op: Op,
    pub account: String,
}

struct HostedZone {
    account: String,
    zone: Zone,
    records: BTreeMap<(DnsName, String), (i64, Vec<String>)>,
    dnssec: DnssecState,
}

struct Stack {
    account: String,
    region: String,
    status: String,
    resources: BTreeMap<String, ResourceState>,
    /// Newest first, as `DescribeStackEvents` lists them.
    events: Vec<StackEvent>,
}

/// The next `times` calls of `op` in `account` fail with `error`; with `after_effect`, the call
/// takes effect first (a write whose answer was lost).
struct Fault {
    op: Op,
    account: String,
    times: u32,
    error: AdapterError,
    after_effect: bool,
}

/// The next `times` change batches that change a record set at `name` fail with `error`.
struct NameFault {
    name: DnsName,
    times: u32,
    error: AdapterError,
}

/// Someone else's UPSERT, applied just before the next change batch to `zone` is looked at.
struct Edit {
    zone: String,
    key: (DnsName, String),
    set: (i64, Vec<String>),
}

#[derive(Default)]
struct State {
    own_account: String,
    zones: BTreeMap<String, HostedZone>,
    /// Assumable role ARNs, with the ExternalId their trust policy demands.
    roles: BTreeMap<String, Option<String>>,
    stacks: BTreeMap<String, Stack>,
    event_page_size: usize,
    faults: Vec<Fault>,
    name_faults: Vec<NameFault>,
    edits: Vec<Edit>,
    calls: Vec<Call>,
    /// Every change batch submitted, as the names it changes, in order.
    change_batches: Vec<Vec<String>>,
    changes: u32,
    /// See [`Memory::emulate_role_patience`].
    role_patience: bool,
}

/// How long the emulated STS adapter pauses between refused AssumeRole calls.
const ROLE_RETRY_PAUSE: Duration = Duration::from_millis(500);

impl State {
    /// Logs the call, then hands out the first matching injected error, if any.
    fn call(&mut self, op: Op, account: &str, after_effect: bool) -> Result<(), AdapterError> {
        if !after_effect {
            self.calls.push(Call {
                op,
                account: account.to_owned(),
            });
        }
        let i = self
            .faults
            .iter()
            .position(|f| f.op == op && f.account == account && f.after_effect == after_effect);
        let Some(i) = i else { return Ok(()) };
        let fault = &mut self.faults[i];
        fault.times -= 1;
        let error = fault.error.clone();
        if fault.times == 0 {
            self.faults.remove(i);
        }
        Err(error)
    }

    /// Hands out the first injected error for a change batch that changes one of its names.
    fn name_fault(&mut self, changes: &[Change]) -> Result<(), AdapterError> {
        let i = self
            .name_faults
            .iter()
            .position(|f| changes.iter().any(|c| c.name == f.name));
        let Some(i) = i else { return Ok(()) };
        let fault = &mut self.name_faults[i];
        fault.times -= 1;
        let error = fault.error.clone();
        if fault.times == 0 {
            self.name_faults.remove(i);
        }
        Err(error)
    }

    /// The zone as `account` sees it: another account's zone is not its to read.
    fn zone(&mut self, account: &str, id: &str) -> Result<&mut HostedZone, AdapterError> {
        match self.zones.get_mut(id) {
            Some(z) if z.account == account => Ok(z),
            Some(_) => Err(AdapterError::new(
                ErrorKind::AccessDenied,
                "",
                format!(
                    "{id}: AccessDenied: User in account {account} is not authorized to access this resource"
                ),
            )),
            None => Err(AdapterError::new(
                ErrorKind::NotFound,
                "",
                format!("{id}: NoSuchHostedZone: No hosted zone found with ID: {id}"),
            )),
        }
    }

    fn stack(&mut self, stack_id: &str) -> &mut Stack {
        let r = StackRef::parse(stack_id).expect("a stack ARN");
        self.stacks.entry(stack_id.to_owned()).or_insert(Stack {
            account: r.account,
            region: r.region,
            status: "CREATE_IN_PROGRESS".into(),
            resources: BTreeMap::new(),
            events: Vec::new(),
        })
    }
}

/// The fake AWS; see the module doc.
#[derive(Clone)]
pub struct Memory(Arc<Mutex<State>>);

impl Memory {
    /// An empty AWS in which the provider runs in `own_account`; events come 100 to a page.
    pub fn new(own_account: &str) -> Self {
        Memory(Arc::new(Mutex::new(State {
            own_account: own_account.to_owned(),
            event_page_size: 100,
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
        let account = account.to_owned();
        let hosted = HostedZone {
            account,
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

    /// Lets the provider assume `arn` (with that ExternalId, when one is given).
    pub fn allow_role(&self, arn: &str, external_id: Option<&str>) {
        self.state()
            .roles
            .insert(arn.to_owned(), external_id.map(str::to_owned));
    }

    /// Sets the stack's status (the stack is made on first mention, in its ARN's account and
    /// region).
    pub fn set_stack_status(&self, stack_id: &str, status: &str) {
        self.state().stack(stack_id).status = status.to_owned();
    }

    /// What DescribeStackResource says of `logical_id` from now on.
    pub fn set_resource(
        &self,
        stack_id: &str,
        logical_id: &str,
        status: &str,
        physical_id: Option<&str>,
        resource_type: &str,
    ) {
        let state = ResourceState {
            resource_status: ResourceStatus::parse(status),
            physical_id: physical_id.map(str::to_owned),
            resource_type: resource_type.to_owned(),
        };
        let mut s = self.state();
        s.stack(stack_id)
            .resources
            .insert(logical_id.to_owned(), state);
    }

    /// Records a stack event, the newest.
    pub fn push_event(
        &self,
        stack_id: &str,
        logical_id: &str,
        physical_id: Option<&str>,
        resource_type: &str,
        status: &str,
    ) {
        let event = StackEvent {
            logical_id: logical_id.to_owned(),
            physical_id: physical_id.map(str::to_owned),
            resource_type: Some(resource_type.to_owned()),
            status: ResourceStatus::parse(status),
        };
        self.state().stack(stack_id).events.insert(0, event);
    }

    pub fn set_event_page_size(&self, size: usize) {
        self.state().event_page_size = size;
    }

    /// The next `times` calls of `op` in `account` fail with `error`, changing nothing.
    pub fn fail_next(&self, op: Op, account: &str, times: u32, error: AdapterError) {
        self.add_fault(op, account, times, error, false);
    }

    /// The next `times` calls of `op` in `account` take effect, then answer `error` (a timeout
    /// after Route 53 applied the batch).
    pub fn fail_next_after_effect(&self, op: Op, account: &str, times: u32, error: AdapterError) {
        self.add_fault(op, account, times, error, true);
    }

    fn add_fault(&self, op: Op, account: &str, times: u32, error: AdapterError, after: bool) {
        self.state().faults.push(Fault {
            op,
            account: account.to_owned(),
            times,
            error,
            after_effect: after,
        });
    }

    /// The next `times` change batches that change a record set at `name` fail with `error`,
    /// changing nothing (a guardrail that refuses that record, an edit of it that keeps coming).
    pub fn fail_changes_to(&self, name: &str, times: u32, error: AdapterError) {
        self.state().name_faults.push(NameFault {
            name: DnsName::from_route53(name),
            times,
            error,
        });
    }

    /// Every change batch submitted (applied or not), as the names it changes (fqdn), in order.
    pub fn change_batches(&self) -> Vec<Vec<String>> {
        self.state().change_batches.clone()
    }

    /// A concurrent edit: this UPSERT lands just before the next change batch to `zone`.
    pub fn edit_before_next_change(
        &self,
        zone: &str,
        name: &str,
        rtype: &str,
        ttl: i64,
        values: &[&str],
    ) {
        self.state().edits.push(Edit {
            zone: zone.to_owned(),
            key: (DnsName::from_route53(name), rtype.to_owned()),
            set: (ttl, values.iter().map(|v| v.to_string()).collect()),
        });
    }

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

    /// The account the provider acts in: the role's (once assumed), or its own.
    fn assume(&self, role: Option<&RoleSpec>) -> Result<String, AdapterError> {
        let mut s = self.state();
        let Some(role) = role else {
            return Ok(s.own_account.clone());
        };
        s.call(Op::AssumeRole, &role.account, false)?;
        match s.roles.get(&role.arn) {
            Some(demanded) if demanded.is_none() || demanded == &role.external_id => {
                Ok(role.account.clone())
            }
            _ => Err(AdapterError::new(
                ErrorKind::RoleRefused,
                "",
                format!(
                    "could not assume role {}: AccessDenied: not authorized to perform sts:AssumeRole",
                    role.arn
                ),
            )),
        }
    }

    /// [`Memory::assume`], retried as the STS adapter retries a refusal: until the session's
    /// patience runs out, when [`Memory::emulate_role_patience`] asked for it.
    async fn assume_patiently(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
    ) -> Result<String, AdapterError> {
        loop {
            let result = self.assume(role);
            let left = session
                .role_patience_until
                .saturating_duration_since(tokio::time::Instant::now());
            let patient = self.state().role_patience;
            match result {
                Err(e) if e.is(&ErrorKind::RoleRefused) && patient && !left.is_zero() => {
                    tokio::time::sleep(left.min(ROLE_RETRY_PAUSE)).await;
                }
                other => return other,
            }
        }
    }

    /// Makes a refused AssumeRole wait and retry until the session's patience runs out, as STS's
    /// adapter does (off by default: most tests want the refusal at once).
    pub fn emulate_role_patience(&self) {
        self.state().role_patience = true;
    }

    async fn route53(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
    ) -> Result<Route53In, AdapterError> {
        Ok(Route53In {
            aws: self.clone(),
            account: self.assume_patiently(role, session).await?,
            counter: session.route53_calls.clone(),
        })
    }
}

impl Connector for Memory {
    type Child = Route53In;
    type Parent = Route53In;
    type Stacks = CloudFormationIn;

    async fn stacks(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
        region: &str,
    ) -> Result<CloudFormationIn, AdapterError> {
        Ok(CloudFormationIn {
            aws: self.clone(),
            account: self.assume_patiently(role, session).await?,
            region: region.to_owned(),
        })
    }

    async fn own_account(&self, _: &SessionContext) -> Result<String, AdapterError> {
        let mut s = self.state();
        let own = s.own_account.clone();
        s.call(Op::GetCallerIdentity, &own, false)?;
        Ok(own)
    }

    async fn child(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
    ) -> Result<Route53In, AdapterError> {
        self.route53(role, session).await
    }

    async fn parent(
        &self,
        role: Option<&RoleSpec>,
        session: &SessionContext,
    ) -> Result<Route53In, AdapterError> {
        self.route53(role, session).await
    }
}

/// Route 53 as one account sees it.
pub struct Route53In {
    aws: Memory,
    account: String,
    counter: Arc<AtomicU32>,
}

impl Route53In {
    /// Logs the call (and counts it for the summary line), then applies any injected error.
    fn enter(&self, op: Op) -> Result<MutexGuard<'_, State>, AdapterError> {
        self.counter.fetch_add(1, Ordering::Relaxed);
        let mut s = self.aws.state();
        s.call(op, &self.account, false)?;
        Ok(s)
    }

    /// GetHostedZone, with the zone's record set count as Route 53 reports it.
    fn get_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError> {
        let mut s = self.enter(Op::GetHostedZone)?;
        let hosted = s.zone(&self.account, id.as_str())?;
        Ok(hosted.zone.clone())
    }
}

impl ChildZoneReader for Route53In {
    async fn hosted_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError> {
        self.get_zone(id)
    }

    async fn dnssec(&self, id: &ZoneId) -> Result<DnssecState, AdapterError> {
        let mut s = self.enter(Op::GetDnssec)?;
        Ok(s.zone(&self.account, id.as_str())?.dnssec.clone())
    }
}

impl ParentZoneStore for Route53In {
    async fn hosted_zone(&self, id: &ZoneId) -> Result<Zone, AdapterError> {
        self.get_zone(id)
    }

    async fn zones_named(&self, name: &DnsName) -> Result<Vec<Zone>, AdapterError> {
        let s = self.enter(Op::ListHostedZonesByName)?;
        Ok(s.zones
            .values()
            .filter(|z| z.account == self.account && &z.zone.name == name)
            .map(|z| z.zone.clone())
            .collect())
    }

    /// Route 53's listing order and page size.
    async fn records_page(&self, zone: &ZoneId, from: &Cursor) -> Result<RecordPage, AdapterError> {
        let mut s = self.enter(Op::ListResourceRecordSets)?;
        let zone = s.zone(&self.account, zone.as_str())?;
        let records: Vec<LiveRecord> = zone
            .records
            .iter()
            .map(|((n, rtype), (ttl, values))| LiveRecord {
                name: n.clone(),
                rtype: RecordType::parse(rtype),
                ttl: Some(*ttl),
                values: values.clone(),
                special: false,
            })
            .collect();
        Ok(page_of(&records, from, RECORDS_PER_PAGE))
    }

    /// Route 53's semantics: UPSERT replaces the set; DELETE must name the exact TTL and values;
    /// the batch applies whole or not at all.
    async fn change(
        &self,
        zone: &ZoneId,
        changes: &[Change],
        _comment: &str,
    ) -> Result<SubmittedChange, AdapterError> {
        let names = changes.iter().map(|c| c.name.fqdn()).collect();
        self.aws.state().change_batches.push(names);
        let mut s = self.enter(Op::ChangeResourceRecordSets)?;
        s.name_fault(changes)?;
        let edits: Vec<Edit> = s
            .edits
            .extract_if(.., |e| e.zone == zone.as_str())
            .collect();
        let hosted = s.zone(&self.account, zone.as_str())?;
        for edit in edits {
            hosted.records.insert(edit.key, edit.set);
        }
        let mut records = hosted.records.clone();
        for change in changes {
            let key = (change.name.clone(), change.kind.as_str().to_owned());
            let refuse = |why: &str| {
                AdapterError::new(
                    ErrorKind::Stale,
                    "",
                    format!(
                        "ChangeResourceRecordSets in {zone}: InvalidChangeBatch: [Tried to delete resource record set [name='{}', type='{}'] but {why}]",
                        change.name.fqdn(),
                        change.kind
                    ),
                )
            };
            match change.action {
                Action::Upsert => {
                    records.insert(key, (change.ttl, change.values.clone()));
                }
                Action::Delete => match records.get(&key) {
                    None => return Err(refuse("it was not found")),
                    Some((ttl, values))
                        if *ttl != change.ttl || !same_values(values, &change.values) =>
                    {
                        return Err(refuse(
                            "the values provided do not match the current values",
                        ));
                    }
                    Some(_) => {
                        records.remove(&key);
                    }
                },
            }
        }
        hosted.records = records;
        s.changes += 1;
        let id = format!("C{:06}MEMORY", s.changes);
        s.call(Op::ChangeResourceRecordSets, &self.account, true)?;
        Ok(SubmittedChange { id, insync: false })
    }

    async fn wait_insync(&self, _change_id: &str, _max: Duration) -> Result<bool, AdapterError> {
        drop(self.enter(Op::GetChange)?);
        Ok(true)
    }
}

/// CloudFormation in one account and region.
pub struct CloudFormationIn {
    aws: Memory,
    account: String,
    region: String,
}

impl CloudFormationIn {
    /// Logs the call; reads the stack if it exists here (not in another account or region).
    fn read<T>(
        &self,
        op: Op,
        stack_id: &str,
        f: impl FnOnce(&Stack, usize) -> Result<T, AdapterError>,
    ) -> Result<T, AdapterError> {
        let mut s = self.aws.state();
        s.call(op, &self.account, false)?;
        match s.stacks.get(stack_id) {
            Some(st) if st.account == self.account && st.region == self.region => {
                f(st, s.event_page_size)
            }
            _ => Err(AdapterError::new(
                ErrorKind::Other,
                "",
                format!("{op:?}: ValidationError: Stack with id {stack_id} does not exist"),
            )),
        }
    }
}

impl StackReader for CloudFormationIn {
    async fn resource(
        &self,
        stack_id: &str,
        logical_id: &str,
    ) -> Result<ResourceState, AdapterError> {
        self.read(Op::DescribeStackResource, stack_id, |st, _| {
            st.resources.get(logical_id).cloned().ok_or_else(|| {
                AdapterError::new(ErrorKind::Other, "", format!(
                    "DescribeStackResource {logical_id}: ValidationError: Resource {logical_id} does not exist for stack {stack_id}"
                ))
            })
        })
    }

    async fn stack_status(&self, stack_id: &str) -> Result<StackStatus, AdapterError> {
        self.read(Op::DescribeStacks, stack_id, |st, _| {
            Ok(StackStatus::parse(&st.status))
        })
    }

    async fn events(
        &self,
        stack_id: &str,
        next_token: Option<String>,
    ) -> Result<(Vec<StackEvent>, Option<String>), AdapterError> {
        self.read(Op::DescribeStackEvents, stack_id, |st, size| {
            let from: usize = next_token.map_or(0, |t| t.parse().unwrap());
            let to = (from + size).min(st.events.len());
            let next = (to < st.events.len()).then(|| to.to_string());
            Ok((st.events[from..to].to_vec(), next))
        })
    }
}
