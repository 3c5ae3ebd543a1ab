use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use backorder_platform::db;
use backorder_platform::ids::new_id_string;
use backorder_platform::server::{BoxError, Shutdown, ShutdownTrigger};
use backorder_platform::testing::TestDatabase;
use backorder_proto::notification::v1 as pb;
use backorder_proto::notification::v1::notification_service_client::NotificationServiceClient;
use notification::domain::Channel;
use notification::store::Migrator;
use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;
use tonic::transport::Channel as GrpcChannel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// Deadline of every call a test makes.
pub const CALL_DEADLINE: Duration = Duration::from_secs(10);

/// `message` with [`CALL_DEADLINE`].
pub fn call<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(CALL_DEADLINE);
    request
}

/// Polls `check` every 20 ms until it holds, failing after `limit`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A migrated database and a sink directory, to seed before the service
/// starts.
pub struct Prepared {
    pub db: DatabaseConnection,
    pub dir: PathBuf,
    database: TestDatabase,
}

impl Prepared {
    pub async fn new(label: &str) -> Self {
        let database = TestDatabase::fresh(label).await.expect("test database");
        let db = db::connect(&database.settings).await.expect("connected");
        db::migrate::<Migrator>(&db).await.expect("migrations");
        let dir = std::env::temp_dir().join(format!("notification-it-{}", new_id_string()));
        Self { db, dir, database }
    }

    /// Starts the service on this database, with `extra` settings.
    pub async fn start(self, extra: &[(&str, &str)]) -> TestService {
        let settings = &self.database.settings;
        let mut overrides: Vec<(String, String)> = vec![
            ("server.host".into(), "127.0.0.1".into()),
            ("server.port".into(), "0".into()),
            ("database.url".into(), settings.url.clone()),
            (
                "database.max_connections".into(),
                settings.max_connections.to_string(),
            ),
            ("channels.dir".into(), self.dir.display().to_string()),
        ];
        overrides.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let config = notification::Config::load_with(&overrides).expect("config");
        let (trigger, shutdown): (ShutdownTrigger, Shutdown) = Shutdown::channel();
        let running = notification::build(config, shutdown)
            .await
            .expect("service built");
        let address = running.address();
        let task = tokio::spawn(running.run_until_stopped());
        let service = TestService {
            address,
            trigger,
            task: Some(task),
            prepared: Some(self),
        };
        service.wait_serving().await;
        service
    }
}

/// A running service.
pub struct TestService {
    pub address: SocketAddr,
    trigger: ShutdownTrigger,
    task: Option<JoinHandle<Result<(), BoxError>>>,
    // Taken at stop, so the database outlives the service.
    prepared: Option<Prepared>,
}

impl TestService {
    pub async fn spawn(label: &str) -> Self {
        Prepared::new(label).await.start(&[]).await
    }

    /// A direct connection to the service's database.
    pub fn db(&self) -> &DatabaseConnection {
        &self.prepared().db
    }

    fn prepared(&self) -> &Prepared {
        self.prepared.as_ref().expect("running")
    }

    pub async fn client(&self) -> NotificationServiceClient<GrpcChannel> {
        NotificationServiceClient::connect(format!("http://{}", self.address))
            .await
            .expect("connected")
    }

    async fn wait_serving(&self) {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", self.address))
            .expect("endpoint")
            .connect()
            .await
            .expect("connected");
        let health = HealthClient::new(channel);
        let name = "backorder.notification.v1.NotificationService";
        eventually("serving", Duration::from_secs(30), || {
            let mut health = health.clone();
            async move {
                let mut request = tonic::Request::new(HealthCheckRequest {
                    service: name.to_owned(),
                });
                request.set_timeout(Duration::from_secs(1));
                health
                    .check(request)
                    .await
                    .is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32)
            }
        })
        .await;
    }

    /// The records a channel's file sink holds.
    pub async fn lines(&self, channel: Channel) -> Vec<serde_json::Value> {
        let path = self.prepared().dir.join(format!("{}.log", channel.name()));
        match tokio::fs::read_to_string(&path).await {
            Ok(text) => text
                .lines()
                .map(|l| serde_json::from_str(l).expect("json line"))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Stops the service; fails unless it returns within `limit`. Returns
    /// how long it took and the database, still there.
    pub async fn stop_within(mut self, limit: Duration) -> (Duration, Prepared) {
        let started = Instant::now();
        self.trigger.stop();
        let task = self.task.take().expect("running");
        let outcome = tokio::time::timeout(limit, task)
            .await
            .unwrap_or_else(|_| panic!("the service did not stop within {limit:?}"));
        outcome.expect("joined").expect("stopped cleanly");
        let took = started.elapsed();
        (took, self.prepared.take().expect("running"))
    }

    pub async fn add_customer(&self, name: &str, email: &str, phone: &str) -> String {
        let id = new_id_string();
        self.client()
            .await
            .upsert_customer(call(pb::UpsertCustomerRequest {
                request_id: new_id_string(),
                customer: Some(pb::Customer {
                    id: id.clone(),
                    name: name.to_owned(),
                    email: email.to_owned(),
                    phone: phone.to_owned(),
                    push_token: String::new(),
                    channels: vec![Channel::Email.code(), Channel::Sms.code()],
                    update_time: None,
                }),
            }))
            .await
            .expect("customer stored");
        id
    }
}

impl Drop for TestService {
    fn drop(&mut self) {
        self.trigger.stop();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A Notify request about a whole order.
pub fn notify(customer_id: &str, event: i32) -> pb::NotifyRequest {
    pb::NotifyRequest {
        request_id: new_id_string(),
        customer_id: customer_id.to_owned(),
        order_id: new_id_string(),
        event,
        detail: "SKU-1 x 2".to_owned(),
        ..Default::default()
    }
}
