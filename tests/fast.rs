//! The fast layer, run by plain `cargo test`: Rust only, no emulator or external tool. The handler
//! rules on the in-memory AWS (`rules`), SDK-mock tests of Route 53's and CloudFormation's answers
//! (`sdk_mocks`) and property tests of the name rules (`name_properties`). One test binary, not one
//! per file: each links the whole AWS SDK.

mod support;

mod batch_rules;
mod name_properties;
mod rules;
mod sdk_mocks;
