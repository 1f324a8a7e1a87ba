//! The pure core: names, properties and the plan. No IO.

pub mod authority;
pub mod guardrail;
pub mod name;
pub mod plan;
pub mod properties;
