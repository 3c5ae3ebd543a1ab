//! Procurement: suppliers and what they supply, purchase orders (one open
//! draft per supplier) and the demand that ties each purchase order line to
//! the backordered order lines it serves.

pub mod api;
pub mod domain;
pub mod store;

use std::collections::BTreeMap;

use backorder_platform::config::{self, CommonSettings, ConfigError};
use backorder_platform::server::BoxError;
use backorder_platform::service::{ServiceSpec, launch};
use backorder_proto::procurement::v1::procurement_service_server::ProcurementServiceServer;
use serde::Deserialize;
use tonic::service::Routes;

/// Short name of the service.
pub const SERVICE: &str = "procurement";
/// Default port.
pub const DEFAULT_PORT: u16 = 50053;

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
        let defaults = [
            ("peers.order", "http://127.0.0.1:50052"),
            ("peers.inventory", "http://127.0.0.1:50051"),
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
        ("inventory", config.peers.inventory),
    ]);
    launch::<store::Migrator, _>(
        ServiceSpec {
            name: SERVICE,
            grpc_service_name: "backorder.procurement.v1.ProcurementService",
        },
        config.common,
        peers,
        |context| {
            Routes::new(ProcurementServiceServer::new(api::ProcurementApi::new(
                context,
            )))
        },
    )
    .await
}
