//! Inventory: products and their backorder policy, stock per warehouse,
//! reservations per order line and the queue of waiting backorders per SKU.

pub mod api;
pub mod domain;
pub mod store;

use std::collections::BTreeMap;

use backorder_platform::config::{self, CommonSettings, ConfigError};
use backorder_platform::server::BoxError;
use backorder_platform::service::{ServiceSpec, launch};
use backorder_proto::inventory::v1::inventory_service_server::InventoryServiceServer;
use serde::Deserialize;
use tonic::service::Routes;

/// Short name of the service.
pub const SERVICE: &str = "inventory";
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
        let defaults = [
            ("peers.order", "http://127.0.0.1:50052"),
            ("peers.procurement", "http://127.0.0.1:50053"),
        ];
        let (common, PeersSection { peers }) =
            config::load_service(SERVICE, DEFAULT_PORT, &defaults)?;
        Ok(Self { common, peers })
    }
}

/// Runs the service until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> Result<(), BoxError> {
    let peers = BTreeMap::from([
        ("order", config.peers.order),
        ("procurement", config.peers.procurement),
    ]);
    launch::<store::Migrator, _>(
        ServiceSpec {
            name: SERVICE,
            grpc_service_name: "backorder.inventory.v1.InventoryService",
        },
        config.common,
        peers,
        |context| Routes::new(InventoryServiceServer::new(api::InventoryApi::new(context))),
    )
    .await
}
