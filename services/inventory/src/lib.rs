//! Inventory: products and their backorder policy, stock per warehouse,
//! reservations per order line and the queue of waiting backorders per SKU.
//!
//! Where things live: [`grpc`] is the tonic service, [`convert`] parses
//! requests into commands and builds replies, [`handlers`] runs each RPC as
//! one unit of work, [`domain`] holds the rules (no I/O), [`store`] the
//! tables and queries, [`gauges`] the backlog's exported gauges, and
//! [`wording`] everything said to callers.

pub mod convert;
pub mod domain;
pub mod gauges;
pub mod grpc;
pub mod handlers;
pub mod store;
pub mod wording;

use std::collections::BTreeMap;

use backorder_platform::Peer;
use backorder_platform::config::{self, CommonSettings, ConfigError};
use backorder_platform::server::{BoxError, Shutdown};
use backorder_platform::service::{self, RunningService, ServiceContext, ServiceSpec};
use backorder_proto::inventory::v1::inventory_service_server::{
    InventoryServiceServer, SERVICE_NAME,
};
use serde::Deserialize;
use tonic::service::Routes;

pub use handlers::InventoryApi;

/// Default port.
pub const DEFAULT_PORT: u16 = 50051;

/// Addresses of the services inventory tells things to.
#[derive(Debug, Clone, Deserialize)]
pub struct Peers {
    /// Order service (line allocated).
    pub order: String,
    /// Procurement service (demand raised or released).
    pub procurement: String,
}

impl Peers {
    /// The addresses keyed by peer.
    pub fn addresses(&self) -> BTreeMap<Peer, String> {
        BTreeMap::from([
            (Peer::Order, self.order.clone()),
            (Peer::Procurement, self.procurement.clone()),
        ])
    }
}

#[derive(Deserialize)]
struct PeersSection {
    peers: Peers,
}

/// Everything the service reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Server, database, telemetry, outbox.
    pub common: CommonSettings,
    /// Peer addresses.
    pub peers: Peers,
}

impl Config {
    /// Defaults, then `config/inventory.toml`, then `BACKORDER__*` variables.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_with(&[])
    }

    /// Like [`Config::load`], with `overrides` (dotted key and value) applied
    /// last: how tests start the service in-process.
    pub fn load_with(overrides: &[(String, String)]) -> Result<Self, ConfigError> {
        let defaults = [
            ("peers.order", "http://127.0.0.1:50052"),
            ("peers.procurement", "http://127.0.0.1:50053"),
        ];
        let (common, PeersSection { peers }) =
            config::load_service_with(Peer::Inventory.name(), DEFAULT_PORT, &defaults, overrides)?;
        Ok(Self { common, peers })
    }
}

fn spec() -> ServiceSpec {
    ServiceSpec {
        peer: Peer::Inventory,
        grpc_service_name: SERVICE_NAME,
        access: crate::handlers::InventoryApi::ACCESS,
        indexes: crate::store::INDEXES,
    }
}

fn routes(context: ServiceContext) -> Result<Routes, BoxError> {
    gauges::register(&context);
    let max_message_bytes = context.max_message_bytes();
    Ok(Routes::new(
        InventoryServiceServer::new(InventoryApi::new(context))
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes),
    ))
}

/// Binds and returns the service ready to run until `shutdown` fires (the
/// real port is known before it runs: tests bind port 0).
pub async fn build(config: Config, shutdown: Shutdown) -> Result<RunningService, BoxError> {
    service::build::<store::Migrator, _>(
        spec(),
        &config.common,
        config.peers.addresses(),
        shutdown,
        routes,
    )
    .await
}

/// Runs the service until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> Result<(), BoxError> {
    service::launch::<store::Migrator, _>(spec(), config.common, config.peers.addresses(), routes)
        .await
}
