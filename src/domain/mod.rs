//! The pure core: names, properties, the data the ports exchange, the plan, who may ask and
//! Route 53's guardrails. No IO.

pub mod authority;
pub mod batch;
pub mod guardrail;
pub mod model;
pub mod name;
pub mod plan;
pub mod properties;
