//! Configuration, loaded the same way by every service: built-in defaults,
//! then an optional TOML file, then `BACKORDER__SECTION__KEY` environment
//! variables (for example `BACKORDER__DATABASE__URL`).

use std::path::PathBuf;

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Where the gRPC server listens.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Interface to bind; `0.0.0.0` binds all (what a container needs).
    pub host: String,
    /// Port; 0 picks a free one (tests).
    pub port: u16,
    /// Seconds to let in-flight calls finish after SIGTERM.
    pub drain_seconds: u64,
    /// A second port serving only `grpc.health.v1`, in plaintext, on the
    /// same interface: Kubernetes' gRPC probes cannot speak TLS. None: no
    /// such port (health is on the main port, over its transport).
    #[serde(default)]
    pub health_port: Option<u16>,
    /// Longest time one call may take on this server; a caller's shorter
    /// `grpc-timeout` wins. A call past it is answered `UNAVAILABLE` (the
    /// server's limit) or `DEADLINE_EXCEEDED` (the caller's).
    pub request_timeout_ms: u64,
    /// Calls served at once (health and reflection apart); one more is
    /// refused at once with `RESOURCE_EXHAUSTED` rather than queued. 0: no
    /// limit.
    pub max_concurrent_requests: usize,
    /// The delay a refused caller is told to wait before retrying
    /// (`google.rpc.RetryInfo`).
    pub retry_after_ms: u64,
    /// Largest message received or sent, by the server and by the clients
    /// of peers; a larger one is refused with `RESOURCE_EXHAUSTED`.
    pub max_message_bytes: usize,
    /// A listener bound beforehand, used instead of `host` and `port`: how
    /// tests start services that must know each other's ports before any
    /// of them runs, with no pick-then-bind race. Never read from files.
    #[serde(skip)]
    pub prebound: Prebound,
}

/// A listener handed over once (see [`ServerSettings::prebound`]).
#[derive(Debug, Clone, Default)]
pub struct Prebound(std::sync::Arc<std::sync::Mutex<Option<std::net::TcpListener>>>);

impl Prebound {
    /// Wraps a bound listener.
    pub fn new(listener: std::net::TcpListener) -> Self {
        Self(std::sync::Arc::new(std::sync::Mutex::new(Some(listener))))
    }

    /// Takes the listener, if one was given and not yet taken.
    pub fn take(&self) -> Option<std::net::TcpListener> {
        self.0.lock().ok().and_then(|mut l| l.take())
    }
}

/// The service's own database.
#[derive(Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://path?mode=rwc` or `postgres://user:pass@host/db`.
    pub url: String,
    /// Optional file holding the password (a mounted Kubernetes secret);
    /// replaces the password of `url` when set.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Pool size for PostgreSQL (SQLite always uses one writer).
    pub max_connections: u32,
    /// Longest wait for a pooled connection before the call fails
    /// `UNAVAILABLE`.
    pub acquire_timeout_ms: u64,
    /// PostgreSQL `statement_timeout` of every pooled session; 0: none.
    pub statement_timeout_ms: u64,
    /// PostgreSQL `lock_timeout` of every pooled session; 0: none.
    pub lock_timeout_ms: u64,
}

impl DatabaseSettings {
    /// Settings for `url` with the default pool and timeouts.
    pub fn for_url(url: impl Into<String>, max_connections: u32) -> Self {
        Self {
            url: url.into(),
            password_file: None,
            max_connections,
            acquire_timeout_ms: 5_000,
            statement_timeout_ms: 30_000,
            lock_timeout_ms: 10_000,
        }
    }
}

impl std::fmt::Debug for DatabaseSettings {
    // The URL may carry a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = self.url.split(':').next().unwrap_or("");
        f.debug_struct("DatabaseSettings")
            .field("url", &format!("{scheme}://[redacted]"))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout_ms", &self.acquire_timeout_ms)
            .field("statement_timeout_ms", &self.statement_timeout_ms)
            .field("lock_timeout_ms", &self.lock_timeout_ms)
            .finish()
    }
}

/// How logs are written.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (for Kubernetes log pipelines).
    Json,
}

/// Logs and traces.
#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Default filter when `RUST_LOG` is unset (e.g. `info`).
    pub log_level: String,
    /// OTLP/gRPC collector, e.g. `http://127.0.0.1:4317`. Falls back to
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`;
    /// with none, nothing is exported.
    #[serde(default)]
    pub otlp_endpoint: Option<String>,
    /// Share of new traces to keep, 0.0 to 1.0 (parent-based: a call that
    /// arrives sampled stays sampled). Unset: `OTEL_TRACES_SAMPLER` /
    /// `OTEL_TRACES_SAMPLER_ARG`, else every trace.
    #[serde(default)]
    pub sample_ratio: Option<f64>,
    /// Milliseconds between two metric exports to the same collector.
    /// Unset: `OTEL_METRIC_EXPORT_INTERVAL`, else 10 000.
    #[serde(default)]
    pub metric_export_interval_ms: Option<u64>,
}

/// The gauges a service exports (section `metrics`), when an OTLP endpoint
/// is configured.
#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    /// Seconds between two readings of the measures from the database; the
    /// gauges report the latest reading.
    pub interval_seconds: u64,
}

/// The transactional outbox relay.
#[derive(Debug, Clone, Deserialize)]
pub struct OutboxSettings {
    /// Fallback poll interval; the relay is normally woken on commit.
    pub poll_interval_ms: u64,
    /// Messages claimed per round.
    pub batch_size: u64,
    /// First retry delay; doubles per failed attempt.
    pub initial_backoff_ms: u64,
    /// Longest delay between attempts.
    pub max_backoff_ms: u64,
    /// How long a claim protects a message from other replicas.
    pub lease_ms: i64,
    /// Deadline of one delivery call.
    pub call_timeout_ms: u64,
    /// Attempts after which a message that keeps failing transiently
    /// (receiver unavailable, overloaded, timing out) is parked for an
    /// operator; refusals that no retry can change park sooner.
    pub max_attempts: i32,
}

/// Calls to peers (section `client`): deadlines and retries.
#[derive(Debug, Clone, Deserialize)]
pub struct ClientSettings {
    /// Deadline of a call whose caller set none.
    pub timeout_ms: u64,
    /// Attempts of a call marked idempotent (1: never retried); other calls
    /// are attempted once.
    pub max_attempts: u32,
    /// Backoff before the first retry, doubling per retry, with full jitter.
    pub initial_backoff_ms: u64,
    /// Longest backoff between two attempts.
    pub max_backoff_ms: u64,
    /// Retries allowed per 100 calls (over the last ten seconds), on top of
    /// `retry_min_per_second`: a peer that fails everything gets at most
    /// this much extra load.
    pub retry_budget_percent: u32,
    /// Retries always allowed per second, however few the calls.
    pub retry_min_per_second: u32,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            timeout_ms: 10_000,
            max_attempts: 3,
            initial_backoff_ms: 50,
            max_backoff_ms: 2_000,
            retry_budget_percent: 20,
            retry_min_per_second: 10,
        }
    }
}

impl ClientSettings {
    /// Refuses settings the retry budget cannot take.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.timeout_ms == 0 {
            return Err(ConfigError::Message(
                "client.timeout_ms must be at least 1".to_owned(),
            ));
        }
        if self.max_attempts == 0 {
            return Err(ConfigError::Message(
                "client.max_attempts must be at least 1".to_owned(),
            ));
        }
        if self.retry_budget_percent > 1000 {
            return Err(ConfigError::Message(format!(
                "client.retry_budget_percent ({}) must be at most 1000",
                self.retry_budget_percent
            )));
        }
        if self.retry_min_per_second > 1_000_000 {
            return Err(ConfigError::Message(format!(
                "client.retry_min_per_second ({}) must be at most 1000000",
                self.retry_min_per_second
            )));
        }
        Ok(())
    }
}

/// The sections every service has.
#[derive(Debug, Clone, Deserialize)]
pub struct CommonSettings {
    /// gRPC server.
    pub server: ServerSettings,
    /// Database.
    pub database: DatabaseSettings,
    /// Logs and traces.
    pub telemetry: TelemetrySettings,
    /// Outbox relay.
    pub outbox: OutboxSettings,
    /// Exported gauges.
    pub metrics: MetricsSettings,
    /// Calls to peers.
    pub client: ClientSettings,
    /// Transport security: mutual TLS between services (see [`crate::tls`]).
    #[serde(default)]
    pub tls: TlsSettings,
    /// Who may call what (see [`crate::access`]).
    #[serde(default)]
    pub access: AccessSettings,
}

/// Mutual TLS. With `cert_file`, `key_file` and `ca_file` set, the server
/// speaks only TLS, peers are called over TLS with this certificate as the
/// client's, and every call must carry credentials: a client certificate
/// signed by the CA (a service) or an operator's bearer token. With none
/// set, the suite runs in plaintext and trusts every caller (development).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TlsSettings {
    /// This service's certificate chain (PEM), presented to callers and,
    /// as a client certificate, to peers. Its subject's common name is the
    /// service's name (`order`).
    pub cert_file: Option<PathBuf>,
    /// The certificate's private key (PEM).
    pub key_file: Option<PathBuf>,
    /// The certificate authority (PEM) that signs the suite's certificates:
    /// the only one trusted for peers and for client certificates.
    pub ca_file: Option<PathBuf>,
    /// Refuse to start without TLS (production sets it).
    pub required: bool,
}

/// Operators' and external systems' credentials.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AccessSettings {
    /// A TOML file of `[[token]]` entries (`name`, `role`, `sha256` of the
    /// token); read again when it changes, so tokens rotate without a
    /// restart. Without it only services (by certificate) may call.
    pub tokens_file: Option<PathBuf>,
    /// How often the tokens file is checked for changes.
    pub reload_seconds: u64,
}

impl Default for AccessSettings {
    fn default() -> Self {
        Self {
            tokens_file: None,
            reload_seconds: 10,
        }
    }
}

/// Errors while loading configuration.
pub type ConfigError = config::ConfigError;

/// Loads `T` for `service`: platform defaults, the service's `defaults`
/// (pairs of dotted key and value), then the file named by
/// `BACKORDER_CONFIG_FILE` or `config/<service>.toml` if present, then the
/// environment (`BACKORDER__SERVER__PORT=6000`).
pub fn load<T: DeserializeOwned>(
    service: &str,
    default_port: u16,
    defaults: &[(&str, &str)],
) -> Result<T, ConfigError> {
    sources(service, default_port, defaults)?.try_deserialize()
}

/// Loads the sections every service has and the service's own sections
/// `S` (peers, channels...) from the same sources, read once.
pub fn load_service<S: DeserializeOwned>(
    service: &str,
    default_port: u16,
    defaults: &[(&str, &str)],
) -> Result<(CommonSettings, S), ConfigError> {
    load_service_with(service, default_port, defaults, &[])
}

/// Like [`load_service`], with `overrides` (dotted key and value) applied
/// last, above the environment: how tests start several services in one
/// process, each with its own port and database.
pub fn load_service_with<S: DeserializeOwned>(
    service: &str,
    default_port: u16,
    defaults: &[(&str, &str)],
    overrides: &[(String, String)],
) -> Result<(CommonSettings, S), ConfigError> {
    let mut builder = Config::builder().add_source(sources(service, default_port, defaults)?);
    for (key, value) in overrides {
        builder = builder.set_override(key.as_str(), value.as_str())?;
    }
    let config = builder.build()?;
    let common: CommonSettings = config.clone().try_deserialize()?;
    common.outbox.check()?;
    common.client.check()?;
    common.server.check()?;
    if common.metrics.interval_seconds == 0 {
        return Err(ConfigError::Message(
            "metrics.interval_seconds must be at least 1".to_owned(),
        ));
    }
    Ok((common, config.try_deserialize()?))
}

impl ServerSettings {
    /// Refuses limits under which no call could be served.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.request_timeout_ms == 0 {
            return Err(ConfigError::Message(
                "server.request_timeout_ms must be at least 1".to_owned(),
            ));
        }
        if self.max_message_bytes < 1024 {
            return Err(ConfigError::Message(format!(
                "server.max_message_bytes ({}) must be at least 1024",
                self.max_message_bytes
            )));
        }
        Ok(())
    }
}

impl OutboxSettings {
    /// Refuses settings under which the relay could never deliver: a message
    /// is only sent while the claim surely outlasts the call.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.max_attempts < 1 {
            return Err(ConfigError::Message(format!(
                "outbox.max_attempts ({}) must be at least 1",
                self.max_attempts
            )));
        }
        let call = i64::try_from(self.call_timeout_ms).unwrap_or(i64::MAX);
        if self.lease_ms < call.saturating_mul(2) {
            return Err(ConfigError::Message(format!(
                "outbox.lease_ms ({}) must be at least twice outbox.call_timeout_ms ({}): \
                 a relay stops sending when its claim could lapse during a call",
                self.lease_ms, self.call_timeout_ms
            )));
        }
        Ok(())
    }
}

fn sources(
    service: &str,
    default_port: u16,
    defaults: &[(&str, &str)],
) -> Result<Config, ConfigError> {
    let mut builder = Config::builder()
        .set_default("server.host", "0.0.0.0")?
        .set_default("server.port", i64::from(default_port))?
        .set_default("server.drain_seconds", 0)?
        .set_default("server.request_timeout_ms", 10_000)?
        .set_default("server.max_concurrent_requests", 256)?
        .set_default("server.retry_after_ms", 250)?
        .set_default("server.max_message_bytes", 4 * 1024 * 1024)?
        .set_default(
            "database.url",
            format!("sqlite://data/{service}.db?mode=rwc"),
        )?
        .set_default("database.max_connections", 10)?
        .set_default("database.acquire_timeout_ms", 5_000)?
        .set_default("database.statement_timeout_ms", 30_000)?
        .set_default("database.lock_timeout_ms", 10_000)?
        .set_default("client.timeout_ms", 10_000)?
        .set_default("client.max_attempts", 3)?
        .set_default("client.initial_backoff_ms", 50)?
        .set_default("client.max_backoff_ms", 2_000)?
        .set_default("client.retry_budget_percent", 20)?
        .set_default("client.retry_min_per_second", 10)?
        .set_default("telemetry.log_format", "text")?
        .set_default("telemetry.log_level", "info")?
        .set_default("outbox.poll_interval_ms", 1000)?
        .set_default("outbox.batch_size", 100)?
        .set_default("outbox.initial_backoff_ms", 100)?
        .set_default("outbox.max_backoff_ms", 30_000)?
        .set_default("outbox.lease_ms", 10_000)?
        .set_default("outbox.call_timeout_ms", 5_000)?
        .set_default("outbox.max_attempts", 1_000)?
        .set_default("metrics.interval_seconds", 15)?;
    for (key, value) in defaults {
        builder = builder.set_default(*key, *value)?;
    }
    let file =
        std::env::var("BACKORDER_CONFIG_FILE").unwrap_or_else(|_| format!("config/{service}.toml"));
    builder
        .add_source(File::new(&file, FileFormat::Toml).required(false))
        .add_source(
            Environment::with_prefix("BACKORDER")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        )
        .build()
}

/// A password or key from the settings. Never printed: `Debug` shows
/// `[redacted]`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The secret of setting `key` (dotted, such as `payments.secret`) or the
/// content of the file named by `<key>_file`, read once at start and
/// trimmed (a mounted secret often ends with a newline); one of the two at
/// most, `None` when neither is set.
pub fn secret_setting(
    key: &str,
    value: Option<&Secret>,
    file: Option<&std::path::Path>,
) -> Result<Option<Secret>, ConfigError> {
    let value = value.filter(|v| !v.expose().is_empty());
    let file = file.filter(|f| !f.as_os_str().is_empty());
    match (value, file) {
        (Some(_), Some(_)) => Err(ConfigError::Message(format!(
            "set {key} or {key}_file, not both"
        ))),
        (Some(value), None) => Ok(Some(value.clone())),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError::Message(format!("reading {key}_file {}: {e}", path.display()))
            })?;
            let text = text.trim();
            if text.is_empty() {
                return Err(ConfigError::Message(format!(
                    "{key}_file {} is empty",
                    path.display()
                )));
            }
            Ok(Some(Secret::new(text)))
        }
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Probe {
        server: ServerSettings,
        database: DatabaseSettings,
        peers: Peers,
    }

    #[derive(Debug, Deserialize)]
    struct Peers {
        order: String,
    }

    #[test]
    fn defaults_apply_and_service_defaults_add_keys() {
        let probe: Probe = load(
            "probe-defaults",
            50099,
            &[("peers.order", "http://127.0.0.1:50052")],
        )
        .expect("config loads");
        assert_eq!(probe.server.port, 50099);
        assert_eq!(probe.server.host, "0.0.0.0");
        assert!(
            probe
                .database
                .url
                .starts_with("sqlite://data/probe-defaults.db")
        );
        assert_eq!(probe.peers.order, "http://127.0.0.1:50052");
        assert!(!format!("{:?}", probe.database).contains("data/"));
    }

    #[test]
    fn a_lease_shorter_than_two_calls_is_refused_with_both_settings_named() {
        let mut outbox = OutboxSettings {
            poll_interval_ms: 1000,
            batch_size: 100,
            initial_backoff_ms: 100,
            max_backoff_ms: 30_000,
            lease_ms: 30_000,
            call_timeout_ms: 5_000,
            max_attempts: 1_000,
        };
        assert!(outbox.check().is_ok());
        outbox.lease_ms = 9_999;
        let error = outbox.check().expect_err("lease too short").to_string();
        assert!(error.contains("outbox.lease_ms (9999)"), "{error}");
        assert!(error.contains("outbox.call_timeout_ms (5000)"), "{error}");
    }

    #[test]
    fn a_service_gets_the_common_sections_and_its_own_from_one_read() {
        #[derive(Debug, Deserialize)]
        struct Own {
            peers: Peers,
        }
        let (common, own): (CommonSettings, Own) = load_service(
            "probe-service",
            50098,
            &[("peers.order", "http://10.0.0.7:50052")],
        )
        .expect("config loads");
        assert_eq!(common.server.port, 50098);
        assert_eq!(common.outbox.batch_size, 100);
        assert_eq!(common.metrics.interval_seconds, 15);
        assert_eq!(common.server.request_timeout_ms, 10_000);
        assert_eq!(common.server.max_message_bytes, 4 * 1024 * 1024);
        assert_eq!(common.database.lock_timeout_ms, 10_000);
        assert_eq!(common.client.max_attempts, 3);
        assert_eq!(own.peers.order, "http://10.0.0.7:50052");
    }
}
