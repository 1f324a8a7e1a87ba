//! `Custom::SubdomainDelegation`: delegates a subdomain from a parent Route 53 zone to the hosted
//! zone a child account owns (docs/design.md). Layout: a pure core (`domain`), the use cases over
//! small ports (`usecase`, `ports`), the SDK adapters behind the ports (`aws`) and the DNS prober
//! (`dns`), the CloudFormation protocol with its runner (`cfn`), the audit's runners (`audit`);
//! settings in `config`.
#![deny(clippy::too_many_lines)]

pub mod audit;
pub mod aws;
pub mod cfn;
pub mod cli;
pub mod config;
pub mod dns;
pub mod domain;
pub mod ports;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod text;
pub mod usecase;
