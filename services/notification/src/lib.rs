//! Notification: customers' contact details and channel preferences, and
//! every notification with its deliveries, exactly once per event per
//! channel in the database and at least once at the channel (see
//! [`dispatch`]).
//!
//! Where things live: [`handlers`] (one file per RPC family) parse with
//! [`convert`], run one unit of work and answer; [`domain`] holds the rules
//! and the customer-facing wording; [`dispatch`] and [`sink`] hand
//! deliveries to the channels (and every notification to the merchant's
//! webhook); [`workers`] run in the background; [`store`] holds entities,
//! migrations and queries; [`Channels`] are the channel settings.

#![warn(missing_docs)]

pub mod convert;
pub mod dispatch;
pub mod domain;
mod grpc;
pub mod handlers;
mod settings;
pub mod sink;
pub mod store;
#[cfg(test)]
mod test_support;
pub mod workers;

use std::collections::BTreeMap;
use std::time::Duration;

use backorder_platform::Peer;
use backorder_platform::config::{self, CommonSettings, ConfigError};
use backorder_platform::server::{BoxError, Shutdown};
use backorder_platform::service::{self, RunningService, ServiceContext, ServiceSpec};
use backorder_proto::notification::v1::notification_service_server::NotificationServiceServer;
use serde::Deserialize;
use tonic::service::Routes;

use crate::handlers::NotificationApi;
pub use crate::settings::Channels;
use crate::sink::Sinks;

/// Short name of the service.
pub const SERVICE: &str = Peer::Notification.name();
/// Default port.
pub const DEFAULT_PORT: u16 = 50054;
/// How often deliveries left pending are looked for.
pub const RESEND_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Deserialize)]
struct ChannelsSection {
    channels: Channels,
}

/// Everything the service reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Server, database, telemetry, outbox.
    pub common: CommonSettings,
    /// Channel sinks.
    pub channels: Channels,
}

impl Config {
    /// Defaults, then `config/notification.toml`, then `BACKORDER__*`
    /// variables (`BACKORDER__CHANNELS__SMTP_ADDRESS=mail:25`). Refuses
    /// channel settings that cannot work (see [`Channels::sinks`]).
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_with(&[])
    }

    /// Like [`Config::load`], with `overrides` (dotted key and value)
    /// applied last: how tests start the service in-process.
    pub fn load_with(overrides: &[(String, String)]) -> Result<Self, ConfigError> {
        let (common, ChannelsSection { channels }) =
            config::load_service_with(SERVICE, DEFAULT_PORT, &settings::DEFAULTS, overrides)?;
        if !domain::is_valid_email(&channels.smtp_from) {
            return Err(ConfigError::Message(format!(
                "channels.smtp_from must be an e-mail address, got {:?}",
                channels.smtp_from
            )));
        }
        // A relay address without a port, a login without TLS or a webhook
        // without a secret fails here, at start, rather than at every
        // delivery.
        channels.sinks()?;
        Ok(Self { common, channels })
    }
}

fn spec() -> ServiceSpec {
    ServiceSpec {
        peer: Peer::Notification,
        grpc_service_name:
            backorder_proto::notification::v1::notification_service_server::SERVICE_NAME,
        access: crate::handlers::NotificationApi::ACCESS,
        indexes: &[],
    }
}

/// The gRPC routes, with the workers registered on `context`.
fn routes(context: ServiceContext, channels: &Channels, sinks: Sinks) -> Result<Routes, BoxError> {
    channels.log_startup(&sinks);
    let api = NotificationApi::new(context.clone(), sinks);
    workers::register(&context, api.dispatcher().clone(), RESEND_INTERVAL);
    let max_message_bytes = context.max_message_bytes();
    Ok(Routes::new(
        NotificationServiceServer::new(api)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes),
    ))
}

/// Binds and returns the service ready to run until `shutdown`: the gRPC
/// server, the resender, which every [`RESEND_INTERVAL`] sends again the
/// deliveries left pending by a stop between recording and sending, and
/// the webhook worker when a webhook is configured.
pub async fn build(config: Config, shutdown: Shutdown) -> Result<RunningService, BoxError> {
    let sinks = config.channels.sinks()?;
    let channels = config.channels;
    service::build::<store::Migrator, _>(
        spec(),
        &config.common,
        BTreeMap::new(),
        shutdown,
        move |context| routes(context, &channels, sinks),
    )
    .await
}

/// Runs the service until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> Result<(), BoxError> {
    let sinks = config.channels.sinks()?;
    let channels = config.channels;
    service::launch::<store::Migrator, _>(spec(), config.common, BTreeMap::new(), move |context| {
        routes(context, &channels, sinks)
    })
    .await
}
