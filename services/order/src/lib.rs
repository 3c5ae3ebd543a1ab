//! Order: customer orders, their lines and states, shipments, and the
//! timeline of each order across the suite.
//!
//! Where things live: `grpc` (the tonic service), `handlers` (one file per
//! RPC family), `convert` (requests into commands, answers and peer
//! messages out), `domain` (the rules, no I/O), `store` (tables, migrations,
//! queries), `peers` (typed clients of the services order calls),
//! `workers` (the pending-order sweeper, the KPI gauges, the payment
//! requests, the delay rule), `payments` (the charging settings), `delays`
//! (the settings of delays offered to customers).

#![warn(missing_docs)]

pub mod convert;
pub mod delays;
pub mod domain;
pub mod grpc;
pub mod handlers;
pub mod payments;
pub mod peers;
pub mod store;
pub mod workers;

use std::collections::BTreeMap;
use std::time::Duration;

use backorder_platform::config::{self, CommonSettings, ConfigError};
use backorder_platform::server::{BoxError, Shutdown};
use backorder_platform::service::{self, RunningService, ServiceContext, ServiceSpec};
use backorder_proto::Peer;
use backorder_proto::order::v1::order_service_server::OrderServiceServer;
use serde::Deserialize;
use tonic::service::Routes;

use crate::delays::DelaysSection;
use crate::domain::sweep::Backoff;
use crate::domain::{MAX_SHIPMENTS, ShipPolicy};
pub use crate::handlers::FulfilmentSettings;
use crate::handlers::OrderApi;
use crate::payments::{PaymentEndpoint, PaymentSettings, PaymentsSection};
use crate::workers::pending_sweeper::{self, Schedule};

/// Short name of the service.
pub const SERVICE: &str = "order";
/// Default port.
pub const DEFAULT_PORT: u16 = 50052;

/// Addresses of the services order calls or tells things to (section
/// `peers`).
#[derive(Debug, Clone, Deserialize)]
pub struct PeerAddresses {
    /// Inventory (reservations, stock issue and release, timeline).
    pub inventory: String,
    /// Procurement (timeline).
    pub procurement: String,
    /// Notification (customer messages, timeline).
    pub notification: String,
}

/// The pending-order sweeper's timings (section `sweeper`).
#[derive(Debug, Clone, Deserialize)]
pub struct SweeperSettings {
    /// Time between sweeps.
    pub interval_ms: u64,
    /// A new order still pending this long after it was placed is resumed
    /// by the sweeper (its caller normally answers it much sooner).
    pub first_attempt_after_ms: u64,
    /// Most pending orders tried per sweep.
    pub batch_size: u64,
    /// Delay after a failed attempt; doubles per attempt.
    pub initial_backoff_ms: u64,
    /// Longest delay between attempts of one order.
    pub max_backoff_ms: u64,
}

impl SweeperSettings {
    fn check(&self) -> Result<(), ConfigError> {
        if self.interval_ms == 0 || self.batch_size == 0 {
            return Err(ConfigError::Message(format!(
                "sweeper.interval_ms ({}) and sweeper.batch_size ({}) must be at least 1",
                self.interval_ms, self.batch_size
            )));
        }
        Ok(())
    }

    /// How the sweeper works.
    pub fn schedule(&self) -> Schedule {
        Schedule {
            interval: Duration::from_millis(self.interval_ms),
            batch_size: self.batch_size,
            backoff: Backoff {
                initial: Duration::from_millis(self.initial_backoff_ms),
                max: Duration::from_millis(self.max_backoff_ms),
            },
        }
    }
}

/// The merchant's fulfilment defaults (section `fulfilment`).
#[derive(Debug, Clone, Deserialize)]
pub struct FulfilmentSection {
    /// Ship policy of an order placed without one: `AS_AVAILABLE`,
    /// `COMPLETE` or `UP_TO_N_SHIPMENTS`.
    pub default_ship_policy: String,
    /// Parcel limit when the default is `UP_TO_N_SHIPMENTS` (1 to 20).
    pub default_max_shipments: i32,
}

impl FulfilmentSection {
    /// The settings as the service uses them; a policy name or count that
    /// does not fit is a configuration error naming the setting.
    pub fn parse(&self) -> Result<FulfilmentSettings, ConfigError> {
        let code = match self
            .default_ship_policy
            .trim()
            .to_ascii_uppercase()
            .as_str()
        {
            "AS_AVAILABLE" => ShipPolicy::AsAvailable.code(),
            "COMPLETE" => ShipPolicy::Complete.code(),
            "UP_TO_N_SHIPMENTS" => ShipPolicy::UpToShipments(1).code(),
            other => {
                return Err(ConfigError::Message(format!(
                    "fulfilment.default_ship_policy {other:?}: use AS_AVAILABLE, COMPLETE or UP_TO_N_SHIPMENTS"
                )));
            }
        };
        // The count matters only with UP_TO_N_SHIPMENTS.
        let count = if code == ShipPolicy::UpToShipments(1).code() {
            self.default_max_shipments
        } else {
            0
        };
        let default_ship_policy = ShipPolicy::from_parts(code, count).map_err(|_| {
            ConfigError::Message(format!(
                "fulfilment.default_max_shipments {}: must be 1 to {MAX_SHIPMENTS} with UP_TO_N_SHIPMENTS",
                self.default_max_shipments
            ))
        })?;
        Ok(FulfilmentSettings {
            default_ship_policy,
            ..FulfilmentSettings::default()
        })
    }
}

#[derive(Deserialize)]
struct OwnSections {
    peers: PeerAddresses,
    sweeper: SweeperSettings,
    fulfilment: FulfilmentSection,
    payments: PaymentsSection,
    delays: DelaysSection,
}

/// Everything the service reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Server, database, telemetry, outbox.
    pub common: CommonSettings,
    /// Peer addresses.
    pub peers: PeerAddresses,
    /// Pending-order sweeper.
    pub sweeper: SweeperSettings,
    /// The merchant's fulfilment defaults.
    pub fulfilment: FulfilmentSettings,
    /// Charging: when, and the payment endpoint.
    pub payments: PaymentSettings,
}

impl Config {
    /// Defaults, then `config/order.toml`, then `BACKORDER__*` variables.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_with(&[])
    }

    /// Like [`Config::load`], with `overrides` (dotted key and value) applied
    /// last: how tests start the service in-process.
    pub fn load_with(overrides: &[(String, String)]) -> Result<Self, ConfigError> {
        let defaults = [
            ("peers.inventory", "http://127.0.0.1:50051"),
            ("peers.procurement", "http://127.0.0.1:50053"),
            ("peers.notification", "http://127.0.0.1:50054"),
            ("sweeper.interval_ms", "10000"),
            ("sweeper.first_attempt_after_ms", "30000"),
            ("sweeper.batch_size", "50"),
            ("sweeper.initial_backoff_ms", "10000"),
            ("sweeper.max_backoff_ms", "300000"),
            ("fulfilment.default_ship_policy", "AS_AVAILABLE"),
            ("fulfilment.default_max_shipments", "2"),
            ("payments.charge_at", "NEVER"),
            ("payments.endpoint", ""),
            ("payments.timeout_ms", "10000"),
            ("payments.initial_backoff_ms", "1000"),
            ("payments.max_backoff_ms", "300000"),
            ("payments.poll_interval_ms", "1000"),
            ("delays.answer_within_hours", "72"),
            ("delays.answer_within_ms", "0"),
            ("delays.when_unanswered", "WAIT"),
            ("delays.check_interval_seconds", "60"),
            ("delays.check_interval_ms", "0"),
        ];
        let (
            common,
            OwnSections {
                peers,
                sweeper,
                fulfilment,
                payments,
                delays,
            },
        ) = config::load_service_with(SERVICE, DEFAULT_PORT, &defaults, overrides)?;
        sweeper.check()?;
        let payments = payments.parse()?;
        Ok(Self {
            common,
            peers,
            sweeper,
            fulfilment: FulfilmentSettings {
                charge_at: payments.charge_at,
                delays: delays.parse()?,
                ..fulfilment.parse()?
            },
            payments,
        })
    }

    fn peer_addresses(&self) -> BTreeMap<Peer, String> {
        BTreeMap::from([
            (Peer::Inventory, self.peers.inventory.clone()),
            (Peer::Procurement, self.peers.procurement.clone()),
            (Peer::Notification, self.peers.notification.clone()),
        ])
    }
}

fn spec() -> ServiceSpec {
    ServiceSpec {
        peer: Peer::Order,
        grpc_service_name: backorder_proto::order::v1::order_service_server::SERVICE_NAME,
        access: crate::handlers::OrderApi::ACCESS,
        indexes: &[],
    }
}

/// The API and its workers on `context`.
fn routes(
    context: ServiceContext,
    sweeper: &SweeperSettings,
    fulfilment: FulfilmentSettings,
    payments: Option<PaymentEndpoint>,
) -> Result<Routes, BoxError> {
    let max_message_bytes = context.max_message_bytes();
    let api = OrderApi::new(
        context,
        Duration::from_millis(sweeper.first_attempt_after_ms),
        fulfilment,
    )?;
    pending_sweeper::spawn(api.clone(), sweeper.schedule());
    workers::delay_rules::spawn(api.clone(), fulfilment.delays.check_interval);
    if let Some(endpoint) = payments {
        workers::payments::spawn(api.clone(), endpoint);
    }
    workers::gauges::register(api.context());
    Ok(Routes::new(
        OrderServiceServer::new(api)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes),
    ))
}

/// Starts the service in-process: listening (on the real port when the
/// setting is 0), migrating, then serving until `shutdown` fires.
pub async fn build(config: Config, shutdown: Shutdown) -> Result<RunningService, BoxError> {
    let peers = config.peer_addresses();
    let (sweeper, fulfilment) = (config.sweeper.clone(), config.fulfilment);
    let payments = config.payments.endpoint.clone();
    service::build::<store::Migrator, _>(spec(), &config.common, peers, shutdown, move |context| {
        routes(context, &sweeper, fulfilment, payments.clone())
    })
    .await
}

/// Runs the service until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> Result<(), BoxError> {
    let peers = config.peer_addresses();
    let (sweeper, fulfilment) = (config.sweeper.clone(), config.fulfilment);
    let payments = config.payments.endpoint.clone();
    service::launch::<store::Migrator, _>(spec(), config.common, peers, move |context| {
        routes(context, &sweeper, fulfilment, payments.clone())
    })
    .await
}
