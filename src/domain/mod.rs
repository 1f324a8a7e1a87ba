//! The pure core: names, properties, the data the ports exchange, the plan, who may ask and
//! Route 53's guardrails, and the audit's probes and verdicts. No IO.

pub mod authority;
pub mod batch;
pub mod discovery;
pub mod guardrail;
pub mod listing;
pub mod model;
pub mod name;
pub mod plan;
pub mod probe;
pub mod properties;
pub mod refusal;
pub mod removal;
pub mod verdict;
