//! The world the in-memory AWS holds: hosted zones with their record sets and DNSSEC state, stacks
//! per account and region, assumable roles, the DNS servers of the audit, the findings in Security
//! Hub, the injected faults and the log of every call.

use super::dns::DnsWorld;
use super::faults::Faults;
use crate::domain::authority::StackRef;
use crate::domain::finding::Finding;
use crate::domain::model::{
    Change, DnssecState, LiveRecord, RecordType, ResourceState, StackEvent, Zone,
};
use crate::domain::name::DnsName;
use crate::ports::{AdapterError, ErrorKind};
use std::collections::{BTreeMap, BTreeSet};

/// The AWS operations the fake answers, as the call log names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    AssumeRole,
    GetCallerIdentity,
    GetHostedZone,
    GetDnssec,
    /// The audit's list of every zone of the account (`ZoneLister::public_zones`).
    ListHostedZones,
    ListHostedZonesByName,
    ListResourceRecordSets,
    ChangeResourceRecordSets,
    /// `GetChange`, as the INSYNC waiter polls it.
    GetChange,
    DescribeStackResource,
    DescribeStacks,
    DescribeStackEvents,
    /// Security Hub's import of the audit's findings.
    BatchImportFindings,
}

impl Op {
    /// Everything but STS, CloudFormation and Security Hub.
    pub fn is_route53(self) -> bool {
        use Op::*;
        !matches!(
            self,
            AssumeRole
                | GetCallerIdentity
                | DescribeStackResource
                | DescribeStacks
                | DescribeStackEvents
                | BatchImportFindings
        )
    }
}

/// One call: the operation and the account it acted in (for `AssumeRole`, the role's account).
/// A throttled call is logged once per attempt, as Route 53 sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub op: Op,
    pub account: String,
}

/// A record set's key: its name and type, in the order the zone keeps them.
pub(super) type RecordKey = (DnsName, String);
/// A record set's TTL and values.
pub(super) type RecordSet = (i64, Vec<String>);

pub(super) struct HostedZone {
    pub(super) account: String,
    pub(super) zone: Zone,
    pub(super) records: BTreeMap<RecordKey, RecordSet>,
    pub(super) dnssec: DnssecState,
}

impl HostedZone {
    /// Every record set, as the ports carry them (in no particular order: `page_of` sorts).
    pub(super) fn live_records(&self) -> Vec<LiveRecord> {
        self.records
            .iter()
            .map(|((name, rtype), (ttl, values))| LiveRecord {
                name: name.clone(),
                rtype: RecordType::parse(rtype),
                ttl: Some(*ttl),
                values: values.clone(),
                special: false,
            })
            .collect()
    }
}

pub(super) struct Stack {
    pub(super) account: String,
    pub(super) region: String,
    pub(super) status: String,
    pub(super) resources: BTreeMap<String, ResourceState>,
    /// Newest first, as `DescribeStackEvents` lists them.
    pub(super) events: Vec<StackEvent>,
}

#[derive(Default)]
pub(super) struct State {
    pub(super) own_account: String,
    pub(super) zones: BTreeMap<String, HostedZone>,
    /// Assumable role ARNs, with the ExternalId their trust policy demands.
    pub(super) roles: BTreeMap<String, Option<String>>,
    pub(super) stacks: BTreeMap<String, Stack>,
    pub(super) event_page_size: usize,
    pub(super) record_page_size: usize,
    pub(super) faults: Faults,
    pub(super) dns: DnsWorld,
    pub(super) calls: Vec<Call>,
    /// Every change batch submitted (applied or not), in order.
    pub(super) change_batches: Vec<Vec<Change>>,
    pub(super) changes: u32,
    /// See [`super::Memory::emulate_role_patience`].
    pub(super) role_patience: bool,
    /// Security Hub's findings by ID, and the IDs it refuses.
    pub(super) findings: BTreeMap<String, Finding>,
    pub(super) refused_findings: BTreeSet<String>,
}

impl State {
    pub(super) fn log(&mut self, op: Op, account: &str) {
        self.calls.push(Call {
            op,
            account: account.to_owned(),
        });
    }

    /// The zone as `account` sees it: another account's zone is not its to read.
    pub(super) fn zone(
        &mut self,
        account: &str,
        id: &str,
    ) -> Result<&mut HostedZone, AdapterError> {
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

    /// The stack, made on first mention in its ARN's account and region.
    pub(super) fn stack(&mut self, stack_id: &str) -> &mut Stack {
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
