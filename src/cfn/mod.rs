//! The CloudFormation custom resource protocol: the request, the answer and its delivery, and the
//! runner that handles one request end to end.

pub mod metrics;
pub mod queue;
pub mod request;
pub mod responder;
pub mod response;
pub mod runner;
