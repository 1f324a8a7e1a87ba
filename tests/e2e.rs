//! The end-to-end layer (cargo feature `e2e`), run by `scripts/test` after it installs the tools:
//! moto, the fault proxy, the packaged binary (cargo-lambda), Knot DNS. One test binary, not one per
//! file: each links the whole AWS SDK. Run one file's tests with
//! `cargo test --features e2e --test e2e lifecycle::`.

mod support;

mod audit;
mod audit_security_hub;
mod audit_warnings;
mod authority;
mod batch;
mod binary;
mod cloudformation;
mod conformance;
mod corpus;
mod forgery;
mod guardrails;
mod lifecycle;
mod queued;
mod reliability;
mod startup;
