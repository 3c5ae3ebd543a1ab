//! Test harness: starts the four services as real processes on ephemeral
//! ports with fresh databases (SQLite files, or PostgreSQL databases when
//! `BACKORDER_TEST_DATABASE_URL` names a server), and hands out clients.
//!
//! The service binaries must be built first (`make test` does it); the
//! harness finds them next to the test executable's target directory.

#![allow(clippy::unwrap_used, missing_docs)]

pub mod otlp;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use backorder_proto::inventory::v1::inventory_service_client::InventoryServiceClient;
use backorder_proto::notification::v1::notification_service_client::NotificationServiceClient;
use backorder_proto::order::v1::order_service_client::OrderServiceClient;
use backorder_proto::procurement::v1::procurement_service_client::ProcurementServiceClient;
use sea_orm::{ConnectionTrait, Database};
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The four services, in start order.
pub const SERVICES: [&str; 4] = ["notification", "inventory", "procurement", "order"];

static SUITE_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Options for a suite.
#[derive(Clone, Debug, Default)]
pub struct SuiteOptions {
    /// Extra environment for every service.
    pub env: Vec<(String, String)>,
}

/// One running service process.
pub struct ServiceProcess {
    pub name: &'static str,
    pub port: u16,
    env: BTreeMap<String, String>,
    child: Option<Child>,
    log: PathBuf,
}

impl ServiceProcess {
    fn spawn(&mut self) {
        let binary = binary_path(self.name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("service log file");
        let child = Command::new(&binary)
            .envs(&self.env)
            .stdout(Stdio::from(log.try_clone().expect("log handle")))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        self.child = Some(child);
    }

    fn signal_stop(&mut self) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
        }
    }

    fn wait_stopped(&mut self) {
        if let Some(mut child) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// The service's address for clients.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The four services, running.
pub struct Suite {
    pub dir: PathBuf,
    services: BTreeMap<&'static str, ServiceProcess>,
    postgres: Option<(String, Vec<String>)>,
}

fn target_dir() -> PathBuf {
    // Tests run from target/<profile>/deps/, binaries from target/<profile>/.
    let exe = std::env::current_exe().expect("executable path");
    let dir = exe.parent().expect("executable directory");
    if dir.ends_with("deps") {
        dir.parent()
            .map(Path::to_path_buf)
            .expect("target directory")
    } else {
        dir.to_path_buf()
    }
}

/// Path of a service binary (built by `cargo build --bins`).
pub fn binary_path(name: &str) -> PathBuf {
    let path = target_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: build the services first (`cargo build --bins`; `make test` does it)",
        path.display()
    );
    path
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The PostgreSQL server to test against, if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("BACKORDER_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

impl Suite {
    /// Starts the four services with fresh databases and waits until all
    /// report SERVING.
    pub async fn start() -> Self {
        Self::start_with(SuiteOptions::default()).await
    }

    /// Like [`Suite::start`], with options.
    pub async fn start_with(options: SuiteOptions) -> Self {
        let run = format!(
            "{}_{}_{}",
            std::process::id(),
            SUITE_COUNTER.fetch_add(1, Ordering::SeqCst),
            Instant::now().elapsed().as_nanos() % 1000
        );
        let dir = std::env::temp_dir().join(format!("backorder-test-{run}"));
        std::fs::create_dir_all(&dir).expect("suite directory");
        let ports: BTreeMap<&str, u16> = SERVICES.iter().map(|s| (*s, free_port())).collect();
        let mut postgres = None;
        let mut urls = BTreeMap::new();
        if let Some(server) = postgres_server() {
            let admin = Database::connect(format!("{}/postgres", server.trim_end_matches('/')))
                .await
                .expect("connect to PostgreSQL");
            let mut names = Vec::new();
            for service in SERVICES {
                let name = format!("bo_test_{run}_{service}");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                urls.insert(service, format!("{}/{name}", server.trim_end_matches('/')));
                names.push(name);
            }
            postgres = Some((server, names));
        } else {
            for service in SERVICES {
                urls.insert(
                    service,
                    format!("sqlite://{}/{service}.db?mode=rwc", dir.display()),
                );
            }
        }
        let peer = |name: &str| format!("http://127.0.0.1:{}", ports[name]);
        let mut services = BTreeMap::new();
        for service in SERVICES {
            let mut env: BTreeMap<String, String> = BTreeMap::new();
            env.insert("BACKORDER__SERVER__HOST".into(), "127.0.0.1".into());
            env.insert("BACKORDER__SERVER__PORT".into(), ports[service].to_string());
            env.insert("BACKORDER__DATABASE__URL".into(), urls[service].clone());
            // Small pools: parallel suites share one PostgreSQL (max_connections 100).
            env.insert("BACKORDER__DATABASE__MAX_CONNECTIONS".into(), "4".into());
            env.insert("BACKORDER__OUTBOX__POLL_INTERVAL_MS".into(), "200".into());
            env.insert("BACKORDER__OUTBOX__INITIAL_BACKOFF_MS".into(), "50".into());
            env.insert("BACKORDER__OUTBOX__MAX_BACKOFF_MS".into(), "400".into());
            env.insert(
                "BACKORDER__CHANNELS__DIR".into(),
                dir.join("notifications").display().to_string(),
            );
            for other in SERVICES {
                env.insert(
                    format!("BACKORDER__PEERS__{}", other.to_uppercase()),
                    peer(other),
                );
            }
            env.insert(
                "RUST_LOG".into(),
                std::env::var("TEST_LOG").unwrap_or_else(|_| "info".into()),
            );
            env.insert(
                "BACKORDER_CONFIG_FILE".into(),
                dir.join("none.toml").display().to_string(),
            );
            for (k, v) in &options.env {
                env.insert(k.clone(), v.clone());
            }
            let mut process = ServiceProcess {
                name: service,
                port: ports[service],
                env,
                child: None,
                log: dir.join(format!("{service}.log")),
            };
            process.spawn();
            services.insert(service, process);
        }
        let suite = Self {
            dir,
            services,
            postgres,
        };
        for service in SERVICES {
            suite.wait_serving(service).await;
        }
        suite
    }

    /// A service process.
    pub fn service(&self, name: &str) -> &ServiceProcess {
        &self.services[name]
    }

    async fn channel(&self, name: &str) -> Channel {
        Channel::from_shared(self.services[name].url())
            .expect("url")
            .connect_lazy()
    }

    /// Waits until `name` reports SERVING (60 s at most).
    pub async fn wait_serving(&self, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mut health = HealthClient::new(self.channel(name).await);
            let status = health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(|r| r.into_inner().status);
            if status.is_ok_and(|s| s == ServingStatus::Serving as i32) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not become SERVING; log:\n{}",
                self.log(name)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The service's log so far.
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(&self.services[name].log).unwrap_or_default()
    }

    /// Stops a service (SIGTERM) and waits for it to exit.
    pub fn stop(&mut self, name: &str) {
        let process = self.services.get_mut(name).expect("known service");
        process.signal_stop();
        process.wait_stopped();
    }

    /// Sends SIGTERM without waiting.
    pub fn signal_stop(&mut self, name: &str) {
        self.services
            .get_mut(name)
            .expect("known service")
            .signal_stop();
    }

    /// Starts a stopped service again on the same port and database.
    pub async fn restart(&mut self, name: &str) {
        self.services.get_mut(name).expect("known service").spawn();
        self.wait_serving(name).await;
    }

    pub async fn inventory(&self) -> InventoryServiceClient<Channel> {
        InventoryServiceClient::new(self.channel("inventory").await)
    }

    pub async fn order(&self) -> OrderServiceClient<Channel> {
        OrderServiceClient::new(self.channel("order").await)
    }

    pub async fn procurement(&self) -> ProcurementServiceClient<Channel> {
        ProcurementServiceClient::new(self.channel("procurement").await)
    }

    pub async fn notification(&self) -> NotificationServiceClient<Channel> {
        NotificationServiceClient::new(self.channel("notification").await)
    }

    /// A raw channel to a service (health, reflection).
    pub async fn raw_channel(&self, name: &str) -> Channel {
        self.channel(name).await
    }
}

impl Drop for Suite {
    fn drop(&mut self) {
        for process in self.services.values_mut() {
            process.signal_stop();
        }
        for process in self.services.values_mut() {
            process.wait_stopped();
        }
        if let Some((server, names)) = self.postgres.take() {
            // Drop is synchronous: clean up on a thread with its own runtime.
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    if let Ok(admin) =
                        Database::connect(format!("{}/postgres", server.trim_end_matches('/')))
                            .await
                    {
                        for name in names {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                        }
                    }
                });
            })
            .join();
        }
        if std::env::var("KEEP_TEST_DIR").is_err() && !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
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

/// A new request id.
pub fn rid() -> String {
    uuid::Uuid::now_v7().to_string()
}
