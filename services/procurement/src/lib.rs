//! Procurement: suppliers and what they supply, purchase orders (one open
//! draft per supplier) and the demand that ties each purchase order line to
//! the backordered order lines it serves.
//!
//! Where things live: [`grpc`] (the tonic trait), [`convert`] (requests to
//! commands, rows to replies), [`handlers`] (one file per RPC family),
//! [`domain`] (the rules, no I/O), [`store`] (tables, migrations, queries),
//! [`peers`] (the inventory client replenishment plans ask), [`workers`]
//! (replenishment, scheduled submission, late purchase orders). What
//! procurement tells inventory and the order service leaves through the
//! outbox; only the demand history behind a replenishment plan is asked
//! synchronously.

pub mod convert;
pub mod domain;
pub mod grpc;
pub mod handlers;
pub mod peers;
pub mod store;
pub mod workers;

use std::collections::BTreeMap;
use std::time::Duration;

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
    /// Inventory service (goods received; demand history for plans).
    pub inventory: String,
}

/// The replenishment worker (section `replenishment`).
#[derive(Debug, Clone, Deserialize)]
pub struct ReplenishmentSettings {
    /// Seconds between runs: each plans every enabled policy, submits the
    /// drafts due under their suppliers' schedules and marks late purchase
    /// orders delayed (telling the order service their lines' new ETAs).
    pub interval_seconds: u64,
}

impl ReplenishmentSettings {
    fn check(&self) -> Result<(), ConfigError> {
        if self.interval_seconds == 0 {
            return Err(ConfigError::Message(
                "replenishment.interval_seconds must be at least 1".to_owned(),
            ));
        }
        Ok(())
    }

    /// Time between runs.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval_seconds)
    }
}

#[derive(Deserialize)]
struct OwnSections {
    peers: Peers,
    replenishment: ReplenishmentSettings,
}

/// Everything the service reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Server, database, telemetry, outbox.
    pub common: CommonSettings,
    /// Peer addresses.
    pub peers: Peers,
    /// The replenishment worker.
    pub replenishment: ReplenishmentSettings,
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
            ("replenishment.interval_seconds", "300"),
        ];
        let (
            common,
            OwnSections {
                peers,
                replenishment,
            },
        ) = config::load_service_with(SERVICE, DEFAULT_PORT, &defaults, overrides)?;
        replenishment.check()?;
        Ok(Self {
            common,
            peers,
            replenishment,
        })
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
        access: crate::handlers::ProcurementApi::ACCESS,
        indexes: &[],
    }
}

/// The API and its worker on `context`.
fn routes(context: ServiceContext, interval: Duration) -> Result<Routes, BoxError> {
    let max_message_bytes = context.max_message_bytes();
    let api = ProcurementApi::new(context);
    workers::replenisher::spawn(api.clone(), interval);
    Ok(Routes::new(
        ProcurementServiceServer::new(api)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes),
    ))
}

/// Binds and starts the service in-process; it serves until `shutdown`
/// fires (tests start it on port 0 and read the real port).
pub async fn build(config: Config, shutdown: Shutdown) -> Result<RunningService, BoxError> {
    let peers = config.peer_addresses();
    let interval = config.replenishment.interval();
    service::build::<store::Migrator, _>(spec(), &config.common, peers, shutdown, move |context| {
        routes(context, interval)
    })
    .await
}

/// Runs the service until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> Result<(), BoxError> {
    let peers = config.peer_addresses();
    let interval = config.replenishment.interval();
    service::launch::<store::Migrator, _>(spec(), config.common, peers, move |context| {
        routes(context, interval)
    })
    .await
}
