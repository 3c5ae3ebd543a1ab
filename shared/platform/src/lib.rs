//! The one way the backorder services do cross-cutting work: configuration,
//! telemetry, database and migrations, the gRPC server bootstrap (health,
//! reflection, tracing layers, shutdown), error mapping, idempotent retries
//! and the transactional outbox.

#![warn(missing_docs)]

mod balance;
pub mod config;
pub mod db;
pub mod error;
pub mod grpc;
pub mod idempotency;
pub mod ids;
mod logfmt;
pub mod measure;
pub mod outbox;
pub mod paging;
pub mod server;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod time;

pub use error::{ServiceError, ServiceResult};
