//! The pure core: names, properties, the data the ports exchange, the plan, who may ask and
//! Route 53's guardrails, and the audit's probes, verdicts, warnings
//! and findings. No IO.

pub mod authority;
pub mod batch;
pub mod discovery;
pub mod finding;
pub mod guardrail;
pub mod listing;
pub mod model;
pub mod name;
pub mod plan;
pub mod probe;
pub mod properties;
pub mod referral;
pub mod refusal;
pub mod registrable;
pub mod removal;
pub mod verdict;
pub mod warning;
