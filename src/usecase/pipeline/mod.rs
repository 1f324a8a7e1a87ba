//! One pipeline for every request (docs/design.md, "Pipeline"): the direct runner hands it a
//! batch of one, the queue runner a batch of many, so both give a request the same answer by
//! construction. Its phases, each over the ports:
//!
//! 1. *prepare* (`prepare`): per request, the cheap checks, the verification with
//!    CloudFormation and the child zone read in the child account; nothing in the parent account.
//! 2. *group* (`group`): requests that share one parent session and zone.
//! 3. *plan* (`plan`): per group, the parent zone read once, every request planned in arrival
//!    order against one evolving view.
//! 4. *commit* (`commit`): the planned changes packed into few change batches, written, waited
//!    for (per request's `WaitForSync`), and the requests that came back stale read and planned
//!    again.

mod answer;
mod commit;
mod discover;
mod group;
mod plan;
mod prepare;

use super::{Context, DelegationRequest, Failure, Outcome, Progress};
use crate::config::Config;
use crate::ports::{CallTally, Connector, SessionContext};
use futures_util::stream::{self, StreamExt};
use std::sync::Arc;

/// How many requests of a batch are verified and have their child zone read at once.
const PREPARE_CONCURRENCY: usize = 16;

/// One request, with what its runner needs to answer it.
pub struct Item {
    pub request: DelegationRequest,
    pub session: SessionContext,
    pub progress: Progress,
    /// Leave the result empty when STS refuses a role the request names (see
    /// [`Failure::is_role_refusal`]), for the runner to try it again once the others are
    /// answered: a role that refuses must not hold the batch (docs/design.md, "Batches").
    pub defer_role_refusal: bool,
    /// Filled in by [`run`], unless deferred.
    pub result: Option<Result<Outcome, Failure>>,
}

impl Item {
    /// The context the request's own steps act through (its session, its progress).
    fn context<'a, C: Connector>(&'a self, connector: &'a C, config: &'a Config) -> Context<'a, C> {
        Context {
            connector,
            config,
            session: self.session.clone(),
            progress: &self.progress,
        }
    }
}

/// What a run did, for the batch's summary line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub parent_zones: usize,
    pub change_calls: u32,
    pub changes_written: usize,
    /// How many times a throttled change batch made the remaining ones smaller.
    pub throttle_shrinks: u32,
}

impl Report {
    /// Adds what a later pass over the same batch did.
    pub fn add(&mut self, other: &Report) {
        self.parent_zones += other.parent_zones;
        self.change_calls += other.change_calls;
        self.changes_written += other.changes_written;
        self.throttle_shrinks += other.throttle_shrinks;
    }
}

/// Runs every item through the phases; `parent_calls` counts the Route 53 calls made in the
/// parent account (a request's own counter when it runs alone).
pub async fn run<C: Connector>(
    connector: &C,
    config: &Config,
    items: &mut [Item],
    parent_calls: Arc<CallTally>,
) -> Report {
    let prepared: Vec<prepare::Prepared<C::Child>> = stream::iter(items.iter())
        .map(|item| async move {
            prepare::prepare(&item.context(connector, config), &item.request).await
        })
        .buffered(PREPARE_CONCURRENCY)
        .collect()
        .await;
    let mut prepared = prepared;
    discover::discover(
        connector,
        &config.parent_scope,
        items,
        &mut prepared,
        &parent_calls,
    )
    .await;
    let groups = group::groups(items, prepared);
    let mut report = Report {
        parent_zones: groups.len(),
        ..Report::default()
    };
    for (key, members) in groups {
        let first = &items[members[0].0];
        // The group's own progress: its members learn theirs from the steps that touch them.
        let progress = Progress::new(first.progress.guard_at());
        let cx = Context {
            connector,
            config,
            session: SessionContext {
                route53: parent_calls.clone(),
                ..first.session.clone()
            },
            progress: &progress,
        };
        let Some(opened) = plan::open(&cx, &key, items, members).await else {
            continue;
        };
        commit::commit(&cx, opened, items, &mut report).await;
    }
    report
}
