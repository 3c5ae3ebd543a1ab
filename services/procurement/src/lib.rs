//! Procurement: suppliers and what they supply, purchase orders (one open
//! draft per supplier) and the demand that ties each purchase order line to
//! the backordered order lines it serves.
//!
//! Where things live: [`grpc`] (the tonic trait), [`convert`] (requests to
//! commands, rows to replies), [`handlers`] (one file per RPC family),
//! [`domain`] (the rules, no I/O), [`store`] (tables, migrations, queries).
//! Procurement calls no peer synchronously: what it tells inventory and
//! the order service leaves through the outbox.

pub mod convert;
pub mod domain;
pub mod grpc;
pub mod handlers;
pub mod store;

use std::collections::BTreeMap;

use backorder_platform::config::{self, CommonSettings, ConfigError};
use backorder_platform::server::{BoxError, Shutdown};
use backorder_platform::service::{self, RunningService, ServiceContext, ServiceSpec};
use backorder_proto::Peer;
use backorder_proto::procurement::v1::procurement_service_server::ProcurementServiceServer;
use serde::Deserialize;
use tonic::service::Routes;

pub use handlers::ProcurementApi;

/// Short name of the service.
pub const SERVICE: &str = "procurement";
/// Default port.
pub const DEFAULT_PORT: u16 = 50053;
/// Fully-qualified gRPC service name, for health.
pub const GRPC_SERVICE: &str =
    backorder_proto::procurement::v1::procurement_service_server::SERVICE_NAME;

/// Addresses of the services procurement tells things to.
#[derive(Debug, Clone, Deserialize)]
pub struct Peers {
    /// Order service (line ETAs).
    pub order: String,
    /// Inventory service (goods received).
    pub inventory: String,
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
    /// Defaults, then `config/procurement.toml`, then `BACKORDER__*` variables.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_with(&[])
    }

    /// Like [`Config::load`], with `overrides` (dotted key and value) above
    /// everything else: how tests start the service in-process.
    pub fn load_with(overrides: &[(String, String)]) -> Result<Self, ConfigError> {
        let defaults = [
            ("peers.order", "http://127.0.0.1:50052"),
            ("peers.inventory", "http://127.0.0.1:50051"),
        ];
        let (common, PeersSection { peers }) =
            config::load_service_with(SERVICE, DEFAULT_PORT, &defaults, overrides)?;
        Ok(Self { common, peers })
    }

    fn peer_addresses(&self) -> BTreeMap<Peer, String> {
        BTreeMap::from([
            (Peer::Order, self.peers.order.clone()),
            (Peer::Inventory, self.peers.inventory.clone()),
        ])
    }
}

fn spec() -> ServiceSpec {
    ServiceSpec {
        peer: Peer::Procurement,
        grpc_service_name: GRPC_SERVICE,
    }
}

fn routes(context: ServiceContext) -> Result<Routes, BoxError> {
    Ok(Routes::new(ProcurementServiceServer::new(
        ProcurementApi::new(context),
    )))
}

/// Binds and starts the service in-process; it serves until `shutdown`
/// fires (tests start it on port 0 and read the real port).
pub async fn build(config: Config, shutdown: Shutdown) -> Result<RunningService, BoxError> {
    let peers = config.peer_addresses();
    service::build::<store::Migrator, _>(spec(), &config.common, peers, shutdown, routes).await
}

/// Runs the service until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> Result<(), BoxError> {
    let peers = config.peer_addresses();
    service::launch::<store::Migrator, _>(spec(), config.common, peers, routes).await
}
