//! Arrange helpers: a fresh database, the order API on it with the fake
//! peers, the whole service started in-process on port 0, and polling with
//! a deadline.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use backorder_platform::config::ClientSettings;
use backorder_platform::grpc::peer_channel_with;
use backorder_platform::server::{BoxError, Shutdown, ShutdownTrigger};
use backorder_platform::service::ServiceContext;
use backorder_platform::store::outbox_message;
use backorder_platform::testing::TestDatabase;
use backorder_platform::tls::Transport;
use backorder_proto::notification::v1::NotifyRequest;
use backorder_proto::order::v1 as pb;
use backorder_proto::order::v1::order_service_client::OrderServiceClient;
use backorder_proto::{Peer, Rpc};
use order::handlers::{FulfilmentSettings, OrderApi};
use prost::Message;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use tonic::transport::Channel;

use crate::fake_peers::FakePeers;

/// Deadline of every client call a test makes.
pub const CALL_DEADLINE: Duration = Duration::from_secs(10);
/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(20);

/// `message` with the test deadline.
pub fn call<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(CALL_DEADLINE);
    request
}

/// A fresh id.
pub fn rid() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A PlaceOrder for `customer_id` with `(sku, quantity)` lines.
pub fn place_request(customer_id: &str, lines: &[(&str, i64)]) -> pb::PlaceOrderRequest {
    pb::PlaceOrderRequest {
        request_id: rid(),
        customer_id: customer_id.to_owned(),
        lines: lines
            .iter()
            .map(|(sku, quantity)| pb::PlaceOrderLine {
                sku: (*sku).to_owned(),
                quantity: *quantity,
            })
            .collect(),
        accept_backorders: true,
        ship_policy: 0,
        ..Default::default()
    }
}

/// Polls `probe` until it returns `Some`, or fails the test after `within`.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs `future` or fails the test after `within`.
pub async fn bounded<T>(what: &str, within: Duration, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(within, future)
        .await
        .unwrap_or_else(|_| panic!("{what} took longer than {within:?}"))
}

/// The order API on a fresh database, its peers faked, no relay.
pub struct Harness {
    /// The API.
    pub api: OrderApi,
    /// Its database.
    pub db: DatabaseConnection,
    /// Inventory and notification.
    pub fake: FakePeers,
    _database: TestDatabase,
}

/// A harness on a fresh database named after `label`:
/// [`harness_with`] a channel that never retries: tests stage inventory
/// outages and must see each one.
pub async fn harness(label: &str) -> Harness {
    harness_with(
        label,
        ClientSettings {
            max_attempts: 1,
            ..ClientSettings::default()
        },
    )
    .await
}

/// The order API on a fresh database, its peers one fake whose channel
/// follows `client` (deadlines, retries).
pub async fn harness_with(label: &str, client: ClientSettings) -> Harness {
    let database = TestDatabase::fresh(label).await.expect("test database");
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("connect");
    backorder_platform::db::migrate::<order::store::Migrator>(&db)
        .await
        .expect("migrations");
    let fake = FakePeers::start().await;
    let channel =
        peer_channel_with(&fake.address, &client, &Transport::plaintext()).expect("channel");
    let channels = BTreeMap::from([
        (Peer::Inventory, channel.clone()),
        (Peer::Procurement, channel.clone()),
        (Peer::Notification, channel),
    ]);
    let context = ServiceContext::standalone(db.clone(), channels);
    let api = OrderApi::new(
        context,
        Duration::from_secs(30),
        FulfilmentSettings::default(),
    )
    .expect("api");
    Harness {
        api,
        db,
        fake,
        _database: database,
    }
}

impl Harness {
    /// Every outbox message, oldest first.
    pub async fn outbox(&self) -> Vec<outbox_message::Model> {
        outbox_message::Entity::find()
            .order_by_asc(outbox_message::Column::Id)
            .all(&self.db)
            .await
            .expect("outbox")
    }

    /// The Notify requests waiting in the outbox.
    pub async fn notices(&self) -> Vec<NotifyRequest> {
        self.outbox()
            .await
            .into_iter()
            .filter(|m| m.method == NotifyRequest::PATH)
            .map(|m| {
                assert_eq!(m.destination, Peer::Notification.name());
                let notice = NotifyRequest::decode(m.payload.as_slice()).expect("decode");
                assert_eq!(notice.request_id, m.id, "request_id is the message id");
                notice
            })
            .collect()
    }

    /// Places an order of `(sku, quantity)` lines that must succeed.
    pub async fn place(&self, customer_id: &str, lines: &[(&str, i64)]) -> pb::Order {
        self.api
            .place_order(place_request(customer_id, lines))
            .await
            .expect("placed")
            .order
            .expect("order")
    }

    /// Orders stored for `customer_id`.
    pub async fn orders_of(&self, customer_id: &str) -> Vec<pb::Order> {
        self.api
            .list_orders(pb::ListOrdersRequest {
                customer_id: customer_id.to_owned(),
                ..Default::default()
            })
            .await
            .expect("list orders")
            .orders
    }
}

/// The whole order service, started in-process on port 0.
pub struct App {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// A connection of the test's own to the service's database.
    pub db: DatabaseConnection,
    trigger: ShutdownTrigger,
    server: tokio::task::JoinHandle<Result<(), BoxError>>,
    _database: TestDatabase,
}

/// Starts order with its peers at `peers` (inventory and procurement) and
/// `notification`, plus `extra` settings; returns once it serves.
pub async fn spawn_app(
    label: &str,
    peers: &str,
    notification: &str,
    extra: &[(&str, &str)],
) -> App {
    let database = TestDatabase::fresh(label).await.expect("test database");
    let mut overrides: Vec<(String, String)> = vec![
        ("server.host".into(), "127.0.0.1".into()),
        ("server.port".into(), "0".into()),
        ("database.url".into(), database.settings.url.clone()),
        (
            "database.max_connections".into(),
            database.settings.max_connections.to_string(),
        ),
        ("peers.inventory".into(), peers.to_owned()),
        ("peers.procurement".into(), peers.to_owned()),
        ("peers.notification".into(), notification.to_owned()),
        ("outbox.poll_interval_ms".into(), "100".into()),
        ("outbox.initial_backoff_ms".into(), "50".into()),
        ("outbox.max_backoff_ms".into(), "200".into()),
        // Tests stage inventory outages and must see each one.
        ("client.max_attempts".into(), "1".into()),
    ];
    overrides.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let config = order::Config::load_with(&overrides).expect("config");
    let (trigger, shutdown) = Shutdown::channel();
    let running = order::build(config, shutdown).await.expect("build");
    let address = format!("http://127.0.0.1:{}", running.port());
    let server = tokio::spawn(running.run_until_stopped());
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("connect");
    let app = App {
        address,
        db,
        trigger,
        server,
        _database: database,
    };
    // SERVING is reported once every migration has run.
    let channel = tonic::transport::Endpoint::from_shared(app.address.clone())
        .expect("address")
        .connect_lazy();
    eventually("order to serve", WAIT, || {
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
        async move {
            let status = health
                .check(tonic_health::pb::HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .ok()?
                .into_inner()
                .status;
            (status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32)
                .then_some(())
        }
    })
    .await;
    app
}

impl App {
    /// A client of the service.
    pub async fn client(&self) -> OrderServiceClient<Channel> {
        OrderServiceClient::connect(self.address.clone())
            .await
            .expect("connect to order")
    }

    /// Stops the service and waits for it (relay and workers included).
    pub async fn stop(self) -> Result<(), BoxError> {
        self.trigger.stop();
        bounded("order to stop", WAIT, self.server)
            .await
            .expect("server task")
    }
}
