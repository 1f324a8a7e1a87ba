//! `Custom::SubdomainDelegation`: delegates a subdomain from a parent Route 53 zone to the hosted
//! zone a child account owns. Layout: a pure core (`domain`), the CloudFormation protocol (`cfn`),
//! ports the handler needs (`ports`) and their SDK adapters (`aws`), and the handler tying them.

pub mod aws;
pub mod cfn;
pub mod config;
pub mod domain;
pub mod handler;
pub mod ports;
pub mod throttle;
