//! Notification: customers' contact details and channel preferences, and
//! every notification with its deliveries, exactly once per event per
//! channel in the database and at least once at the channel (see
//! [`api`]).

#![warn(missing_docs)]

pub mod api;
pub mod domain;
pub mod sink;
pub mod store;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use backorder_platform::config::{self, CommonSettings, ConfigError};
use backorder_platform::server::BoxError;
use backorder_platform::service::{ServiceSpec, launch};
use backorder_proto::notification::v1::notification_service_server::NotificationServiceServer;
use serde::Deserialize;
use tonic::service::Routes;

use crate::sink::{FileSink, Sinks, SmtpSink};

/// Short name of the service.
pub const SERVICE: &str = "notification";
/// Default port.
pub const DEFAULT_PORT: u16 = 50054;
/// How often deliveries left pending are looked for.
pub const RESEND_INTERVAL: Duration = Duration::from_secs(5);

/// Where deliveries go (section `channels`).
#[derive(Debug, Clone, Deserialize)]
pub struct Channels {
    /// Directory of the file sinks (`email.log`, `sms.log`, `push.log`).
    pub dir: PathBuf,
    /// SMTP relay (`host:port`); when set, e-mail goes there instead of
    /// `email.log`.
    #[serde(default)]
    pub smtp_address: Option<String>,
    /// Sender address of e-mail.
    pub smtp_from: String,
}

impl Channels {
    /// The sinks these settings describe.
    pub fn sinks(&self) -> Sinks {
        let smtp = self
            .smtp_address
            .as_deref()
            .map(str::trim)
            .filter(|address| !address.is_empty())
            .map(|address| SmtpSink::new(address, self.smtp_from.clone()));
        Sinks::new(FileSink::new(&self.dir), smtp)
    }
}

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
    /// variables (`BACKORDER__CHANNELS__SMTP_ADDRESS=mail:25`).
    pub fn load() -> Result<Self, ConfigError> {
        let defaults = [
            ("channels.dir", "data/notifications"),
            ("channels.smtp_from", "orders@backorder.local"),
        ];
        let (common, ChannelsSection { channels }) =
            config::load_service(SERVICE, DEFAULT_PORT, &defaults)?;
        if !domain::is_valid_email(&channels.smtp_from) {
            return Err(ConfigError::Message(format!(
                "channels.smtp_from must be an e-mail address, got {:?}",
                channels.smtp_from
            )));
        }
        Ok(Self { common, channels })
    }
}

/// Runs the service until SIGTERM or Ctrl-C. Besides the gRPC server it
/// runs the resender, which every [`RESEND_INTERVAL`] sends again the
/// deliveries left pending by a stop between recording and sending: delivery
/// is at least once at the channel.
pub async fn run(config: Config) -> Result<(), BoxError> {
    let sinks = config.channels.sinks();
    launch::<store::Migrator, _>(
        ServiceSpec {
            name: SERVICE,
            grpc_service_name: "backorder.notification.v1.NotificationService",
        },
        config.common,
        BTreeMap::new(),
        move |context| {
            let api = api::NotificationApi::new(context, sinks);
            // Lives as long as the process; a send cut short by the stop
            // stays pending and is re-sent after a restart.
            drop(api.clone().spawn_resender(RESEND_INTERVAL));
            Routes::new(NotificationServiceServer::new(api))
        },
    )
    .await
}
