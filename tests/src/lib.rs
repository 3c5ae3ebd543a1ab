//! Test harness: starts the four services with fresh databases (SQLite
//! files, or PostgreSQL databases when `BACKORDER_TEST_DATABASE_URL` names a
//! server) and hands out clients whose every call has a deadline.
//!
//! By default the services run in the test's own process, each on a port
//! the operating system chose, so nothing can take a port between picking
//! and binding it. Tests about processes themselves (signals, draining, the
//! binaries' telemetry, the run script) ask for [`SuiteOptions::processes`]:
//! then the service binaries must be built first (`make test` does it).

#![allow(missing_docs)]

mod databases;
mod in_process;
pub mod malformed;
pub mod otlp;
pub mod pki;
mod process;
pub mod raw;
pub mod rng;
mod start;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use backorder_proto::inventory::v1::inventory_service_client::InventoryServiceClient;
use backorder_proto::notification::v1::notification_service_client::NotificationServiceClient;
use backorder_proto::order::v1::order_service_client::OrderServiceClient;
use backorder_proto::outbox::v1::outbox_admin_service_client::OutboxAdminServiceClient;
use backorder_proto::procurement::v1::procurement_service_client::ProcurementServiceClient;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::databases::Databases;
use crate::in_process::InProcessService;
use crate::pki::{Credentials, Pki};
use crate::process::ServiceProcess;
use crate::start::{bind_listeners, client_channel, ports_of, start_processes, suite_settings};

pub use crate::databases::postgres_server;
pub use crate::process::Signal;

/// The four services.
pub const SERVICES: [&str; 4] = ["notification", "inventory", "procurement", "order"];

/// Deadline of every call a test client makes: generous for a loaded
/// machine, but a hung service fails the test instead of hanging it.
pub const CALL_DEADLINE: Duration = Duration::from_secs(30);

/// How long a service may take to report SERVING, or to stop.
const START_DEADLINE: Duration = Duration::from_secs(60);

static SUITE_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Options for a suite.
#[derive(Clone, Debug, Default)]
pub struct SuiteOptions {
    /// Settings for every service as dotted keys (`outbox.call_timeout_ms`),
    /// above the suite's own.
    pub settings: Vec<(String, String)>,
    /// Start the service binaries as processes instead of in-process.
    pub processes: bool,
    /// Extra environment of every service process (`RUST_LOG`, `OTEL_*`);
    /// only with `processes`.
    pub env: Vec<(String, String)>,
    /// Mutual TLS between the services and per-RPC callers, with
    /// credentials made for the run (see [`pki`]).
    pub secure: bool,
    /// Processes per service (0 counts as 1), all on the service's one
    /// database, each on its own port; every process's peers are replica 0
    /// of each service. Only with `processes`.
    pub replicas: usize,
}

impl SuiteOptions {
    /// The binaries as processes, with `env` added to their environment.
    pub fn processes(env: Vec<(String, String)>) -> Self {
        Self {
            processes: true,
            env,
            ..Self::default()
        }
    }

    /// In-process services with `settings` (dotted keys) added.
    pub fn settings(settings: &[(&str, &str)]) -> Self {
        Self {
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Self::default()
        }
    }
}

enum Service {
    InProcess(InProcessService),
    Process(ServiceProcess),
}

impl Service {
    fn port(&self) -> u16 {
        match self {
            Self::InProcess(s) => s.port,
            Self::Process(p) => p.port,
        }
    }
}

/// The four services, running.
pub struct Suite {
    /// The suite's own directory: SQLite files, notification sinks, logs.
    pub dir: PathBuf,
    /// The replicas of every service; replica 0 is the one clients get by
    /// default and every service's peer.
    services: BTreeMap<&'static str, Vec<Service>>,
    channels: BTreeMap<&'static str, Vec<Channel>>,
    databases: Databases,
    pki: Option<Pki>,
}

impl Suite {
    /// Starts the four services in-process with fresh databases and waits
    /// until all report SERVING.
    pub async fn start() -> Self {
        Self::start_with(SuiteOptions::default()).await
    }

    /// Like [`Suite::start`], with options.
    pub async fn start_with(options: SuiteOptions) -> Self {
        assert!(
            options.processes || options.env.is_empty(),
            "environment is for service processes: set `processes`, or use `settings`"
        );
        assert!(
            options.processes || options.replicas <= 1,
            "replicas are service processes: set `processes`"
        );
        let run = format!(
            "{}_{}_{}",
            std::process::id(),
            SUITE_COUNTER.fetch_add(1, Ordering::SeqCst),
            uuid::Uuid::now_v7()
                .simple()
                .to_string()
                .get(26..)
                .unwrap_or("0")
        );
        let dir = std::env::temp_dir().join(format!("backorder-test-{run}"));
        std::fs::create_dir_all(&dir).expect("suite directory");
        let databases = Databases::create(&run, &dir).await;
        let pki = options.secure.then(|| Pki::create(&dir));
        let services = if options.processes {
            start_processes(&dir, &databases, &options, pki.as_ref()).await
        } else {
            in_process::init_test_log();
            // Every listener is bound before any service starts, so each
            // knows its peers' ports: the OS picks them, nothing takes them.
            let listeners = bind_listeners();
            let ports = ports_of(&listeners);
            let mut services = BTreeMap::new();
            for (service, listener) in listeners {
                let settings = suite_settings(
                    service,
                    &ports,
                    databases.url(service),
                    &dir,
                    &options,
                    pki.as_ref(),
                );
                let started = InProcessService::start(service, listener, settings).await;
                services.insert(service, vec![Service::InProcess(started)]);
            }
            services
        };
        let channels = services
            .iter()
            .map(|(name, replicas)| {
                let channels = replicas
                    .iter()
                    .map(|service| match &pki {
                        Some(pki) => pki.channel(service.port(), &Credentials::None),
                        None => client_channel(service.port()),
                    })
                    .collect();
                (*name, channels)
            })
            .collect();
        let suite = Self {
            dir,
            services,
            channels,
            databases,
            pki,
        };
        for service in SERVICES {
            for replica in 0..suite.replica_count() {
                suite.wait_serving_at(service, replica).await;
            }
        }
        suite
    }

    /// The port `name` listens on.
    pub fn port(&self, name: &str) -> u16 {
        self.port_at(name, 0)
    }

    /// How many processes run each service (1 unless
    /// [`SuiteOptions::replicas`] asked for more).
    pub fn replica_count(&self) -> usize {
        self.services.values().map(Vec::len).min().unwrap_or(1)
    }

    /// The port replica `replica` of `name` listens on.
    pub fn port_at(&self, name: &str, replica: usize) -> u16 {
        self.replica(name, replica).port()
    }

    fn replica(&self, name: &str, replica: usize) -> &Service {
        self.services
            .get(name)
            .and_then(|replicas| replicas.get(replica))
            .unwrap_or_else(|| panic!("no replica {replica} of {name}"))
    }

    fn replica_mut(&mut self, name: &str, replica: usize) -> &mut Service {
        self.services
            .get_mut(name)
            .and_then(|replicas| replicas.get_mut(replica))
            .unwrap_or_else(|| panic!("no replica {replica} of {name}"))
    }

    /// The address of `name` for clients.
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}", self.port(name))
    }

    /// The database URL of `name` (to inspect what a service stored).
    pub fn database_url(&self, name: &str) -> &str {
        self.databases.url(name)
    }

    /// Whether the suite runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.databases.is_postgres()
    }

    fn channel(&self, name: &str) -> Channel {
        self.channel_at(name, 0)
    }

    /// A channel to replica `replica` of `name`; calls on it have the same
    /// deadline as every client's.
    pub fn channel_at(&self, name: &str, replica: usize) -> Channel {
        self.channels
            .get(name)
            .and_then(|channels| channels.get(replica))
            .unwrap_or_else(|| panic!("no replica {replica} of {name}"))
            .clone()
    }

    /// Waits until `name` reports SERVING.
    pub async fn wait_serving(&self, name: &str) {
        self.wait_serving_at(name, 0).await;
    }

    /// Waits until replica `replica` of `name` reports SERVING.
    pub async fn wait_serving_at(&self, name: &str, replica: usize) {
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            let mut health = HealthClient::new(self.channel_at(name, replica));
            let status = health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(|r| r.into_inner().status);
            if status.is_ok_and(|s| s == ServingStatus::Serving as i32) {
                return;
            }
            if let Service::InProcess(service) = self.replica(name, replica)
                && let Some(failure) = service.failure()
            {
                panic!("{name} stopped: {failure}");
            }
            assert!(
                Instant::now() < deadline,
                "{name} (replica {replica}) did not become SERVING; {}",
                self.log_at(name, replica)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A service process's log so far; in-process services log to the
    /// test's output when `TEST_LOG` is set (e.g. `TEST_LOG=info`).
    pub fn log(&self, name: &str) -> String {
        self.log_at(name, 0)
    }

    /// Like [`Suite::log`], of replica `replica`.
    pub fn log_at(&self, name: &str, replica: usize) -> String {
        match self.replica(name, replica) {
            Service::Process(p) => format!("log:\n{}", p.log()),
            Service::InProcess(_) => "run with TEST_LOG=info to see its log".into(),
        }
    }

    /// Stops a service (its shutdown, or SIGTERM for a process) and waits
    /// until it has stopped.
    pub async fn stop(&mut self, name: &str) {
        match self.replica_mut(name, 0) {
            Service::InProcess(s) => s.stop().await,
            Service::Process(p) => {
                p.signal(Signal::Term);
                p.wait_stopped(START_DEADLINE).await;
            }
        }
    }

    /// Sends a signal to a service process without waiting.
    pub fn signal(&mut self, name: &str, signal: process::Signal) {
        self.signal_replica(name, 0, signal);
    }

    /// Sends a signal to replica `replica` of a service without waiting.
    pub fn signal_replica(&mut self, name: &str, replica: usize, signal: process::Signal) {
        match self.replica_mut(name, replica) {
            Service::Process(p) => p.signal(signal),
            Service::InProcess(_) => panic!("signals need `SuiteOptions::processes`"),
        }
    }

    /// The process id of a service started as a process.
    pub fn pid(&self, name: &str) -> Option<u32> {
        match self.replica(name, 0) {
            Service::Process(p) => p.pid(),
            Service::InProcess(_) => None,
        }
    }

    /// Whether a service process is still running.
    pub fn is_running(&mut self, name: &str) -> bool {
        self.is_replica_running(name, 0)
    }

    /// Whether replica `replica` of a service is still running.
    pub fn is_replica_running(&mut self, name: &str, replica: usize) -> bool {
        match self.replica_mut(name, replica) {
            Service::Process(p) => p.is_running(),
            Service::InProcess(s) => s.is_running(),
        }
    }

    /// Starts a stopped service again on the same port and database, and
    /// waits until it is SERVING.
    pub async fn restart(&mut self, name: &str) {
        self.restart_replica(name, 0).await;
    }

    /// Starts replica `replica` of a service again (killing what is left of
    /// it first) on the same port and database, and waits until it is
    /// SERVING.
    pub async fn restart_replica(&mut self, name: &str, replica: usize) {
        match self.replica_mut(name, replica) {
            Service::InProcess(s) => s.restart().await,
            Service::Process(p) => p.restart(),
        }
        self.wait_serving_at(name, replica).await;
    }

    pub async fn inventory(&self) -> InventoryServiceClient<Channel> {
        InventoryServiceClient::new(self.channel("inventory"))
    }

    pub async fn order(&self) -> OrderServiceClient<Channel> {
        OrderServiceClient::new(self.channel("order"))
    }

    pub async fn procurement(&self) -> ProcurementServiceClient<Channel> {
        ProcurementServiceClient::new(self.channel("procurement"))
    }

    pub async fn notification(&self) -> NotificationServiceClient<Channel> {
        NotificationServiceClient::new(self.channel("notification"))
    }

    /// The inventory client of replica `replica`.
    pub fn inventory_at(&self, replica: usize) -> InventoryServiceClient<Channel> {
        InventoryServiceClient::new(self.channel_at("inventory", replica))
    }

    /// The order client of replica `replica`.
    pub fn order_at(&self, replica: usize) -> OrderServiceClient<Channel> {
        OrderServiceClient::new(self.channel_at("order", replica))
    }

    /// The procurement client of replica `replica`.
    pub fn procurement_at(&self, replica: usize) -> ProcurementServiceClient<Channel> {
        ProcurementServiceClient::new(self.channel_at("procurement", replica))
    }

    /// The notification client of replica `replica`.
    pub fn notification_at(&self, replica: usize) -> NotificationServiceClient<Channel> {
        NotificationServiceClient::new(self.channel_at("notification", replica))
    }

    /// The operator's outbox service of `name`.
    pub async fn outbox(&self, name: &str) -> OutboxAdminServiceClient<Channel> {
        OutboxAdminServiceClient::new(self.channel(name))
    }

    /// A raw channel to a service (health, reflection); calls on it have
    /// the same deadline as every client's.
    pub async fn raw_channel(&self, name: &str) -> Channel {
        self.channel(name)
    }

    /// A secured suite's credentials; panics on a plaintext suite.
    pub fn pki(&self) -> &Pki {
        self.pki
            .as_ref()
            .expect("credentials need `SuiteOptions { secure: true, .. }`")
    }

    /// A channel to `name` of a secured suite presenting `credentials`'
    /// certificate, if any (tokens go on each request: [`Suite::request_as`]).
    pub fn channel_as(&self, name: &str, credentials: &Credentials) -> Channel {
        self.pki().channel(self.port(name), credentials)
    }

    /// `message` as a request carrying `credentials`' token, if any.
    pub fn request_as<T>(&self, credentials: &Credentials, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        if let Some(value) = self.pki().authorization(credentials) {
            request.metadata_mut().insert("authorization", value);
        }
        request
    }
}

impl Drop for Suite {
    fn drop(&mut self) {
        for service in self.services.values_mut().flatten() {
            match service {
                // The tasks end with the test's runtime; stopping first lets
                // them finish what they are doing in an orderly way.
                Service::InProcess(s) => s.trigger_stop(),
                Service::Process(p) => p.signal(Signal::Term),
            }
        }
        // One deadline for all: they drain at the same time.
        let deadline = Instant::now() + Duration::from_secs(15);
        for service in self.services.values_mut().flatten() {
            if let Service::Process(p) = service {
                p.wait_stopped_blocking(deadline);
            }
        }
        self.databases.drop_all();
        if std::env::var("KEEP_TEST_DIR").is_err() && !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Path of a service binary (built by `cargo build --bins`).
pub fn binary_path(name: &str) -> PathBuf {
    process::binary_path(name)
}

/// Polls `check` until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `check` until it returns `Ok`, or panics after `timeout` with
/// the last reason it gave: for states that settle as messages arrive.
pub async fn settles<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match check().await {
            Ok(value) => return value,
            Err(reason) => assert!(
                Instant::now() < deadline,
                "{what} did not settle within {timeout:?}: {reason}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A new request id.
pub fn rid() -> String {
    uuid::Uuid::now_v7().to_string()
}
