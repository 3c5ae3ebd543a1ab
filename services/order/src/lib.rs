//! Order: customer orders, their lines and states, shipments, and the
//! timeline of each order across the suite.

pub mod api;
pub mod domain;
pub mod store;

use std::collections::BTreeMap;

use backorder_platform::config::{self, CommonSettings, ConfigError};
use backorder_platform::server::BoxError;
use backorder_platform::service::{ServiceSpec, launch};
use backorder_proto::order::v1::order_service_server::OrderServiceServer;
use serde::Deserialize;
use tonic::service::Routes;

/// Short name of the service.
pub const SERVICE: &str = "order";
/// Default port.
pub const DEFAULT_PORT: u16 = 50052;

/// Addresses of the services order calls or tells things to.
#[derive(Debug, Clone, Deserialize)]
pub struct Peers {
    /// Inventory (reservations, stock issue and release, timeline).
    pub inventory: String,
    /// Procurement (timeline).
    pub procurement: String,
    /// Notification (customer messages, timeline).
    pub notification: String,
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
    /// Defaults, then `config/order.toml`, then `BACKORDER__*` variables.
    pub fn load() -> Result<Self, ConfigError> {
        let defaults = [
            ("peers.inventory", "http://127.0.0.1:50051"),
            ("peers.procurement", "http://127.0.0.1:50053"),
            ("peers.notification", "http://127.0.0.1:50054"),
        ];
        let (common, PeersSection { peers }) =
            config::load_service(SERVICE, DEFAULT_PORT, &defaults)?;
        Ok(Self { common, peers })
    }
}

/// Runs the service until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> Result<(), BoxError> {
    let peers = BTreeMap::from([
        ("inventory", config.peers.inventory),
        ("procurement", config.peers.procurement),
        ("notification", config.peers.notification),
    ]);
    launch::<store::Migrator, _>(
        ServiceSpec {
            name: SERVICE,
            grpc_service_name: "backorder.order.v1.OrderService",
        },
        config.common,
        peers,
        |context| {
            let api = api::OrderApi::new(context);
            api.spawn_pending_sweeper();
            Routes::new(OrderServiceServer::new(api))
        },
    )
    .await
}
