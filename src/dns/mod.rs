//! DNS adapters: the prober behind `ports::DnsProber` (`prober`).

pub mod prober;

pub use prober::HickoryProber;
