//! The one way the backorder services do cross-cutting work: configuration,
//! telemetry and metrics, database and migrations, the gRPC server bootstrap
//! (health, reflection, tracing layers, shutdown), error mapping, idempotent
//! retries, the transactional outbox and signed webhooks.

#![warn(missing_docs)]

pub mod access;
pub mod balance;
pub mod config;
pub mod db;
pub mod error;
pub mod grpc;
pub mod idempotency;
pub mod ids;
mod logfmt;
pub mod measure;
pub mod metrics;
pub mod outbox;
pub mod overload;
pub mod paging;
pub mod retry;
pub mod rpc_metrics;
pub mod server;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod testing;
pub mod time;
pub mod tls;
pub mod unit_of_work;
pub mod warehouse;
pub mod webhook;

pub use backorder_proto::Peer;

pub use error::{ServiceError, ServiceResult};
