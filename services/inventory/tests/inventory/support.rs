//! Starting the service, calling it with deadlines, staging races and
//! looking into its tables.

use std::future::Future;
use std::time::{Duration, Instant};

use backorder_platform::server::{BoxError, Shutdown, ShutdownTrigger};
use backorder_platform::store::{idempotency_record, outbox_message};
use backorder_platform::testing::TestDatabase;
use backorder_proto::inventory::v1 as pb;
use backorder_proto::inventory::v1::inventory_service_client::InventoryServiceClient;
use inventory::store::{Migrator, reservation, stock_movement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, Statement, TransactionTrait,
};
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// Deadline of every call and of every wait in these tests.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A client of the service under test.
pub type Client = InventoryServiceClient<Channel>;

/// The service running in-process, and a connection to its database.
pub struct Inventory {
    /// Test-side connection to the service's database.
    pub db: DatabaseConnection,
    database: TestDatabase,
    channel: Channel,
    trigger: ShutdownTrigger,
    server: JoinHandle<Result<(), BoxError>>,
}

impl Inventory {
    /// A fresh database, migrated, and the service on a port of the OS's
    /// choosing; its peers point at a closed port, so messages it sends
    /// stay in its outbox for the test to read.
    pub async fn start(label: &str) -> Self {
        let database = TestDatabase::fresh(label).await.expect("test database");
        let db = backorder_platform::db::connect(&database.settings)
            .await
            .expect("connect");
        backorder_platform::db::migrate::<Migrator>(&db)
            .await
            .expect("migrate");
        let overrides: Vec<(String, String)> = [
            ("server.host", "127.0.0.1"),
            ("server.port", "0"),
            ("database.url", database.settings.url.as_str()),
            ("peers.order", "http://127.0.0.1:1"),
            ("peers.procurement", "http://127.0.0.1:1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let config = inventory::Config::load_with(&overrides).expect("config");
        let (trigger, shutdown) = Shutdown::channel();
        let running = inventory::build(config, shutdown).await.expect("build");
        let channel = Endpoint::from_shared(format!("http://{}", running.address()))
            .expect("endpoint")
            .connect_timeout(DEADLINE)
            .timeout(DEADLINE)
            .connect_lazy();
        let server = tokio::spawn(running.run_until_stopped());
        Self {
            db,
            database,
            channel,
            trigger,
            server,
        }
    }

    /// A client whose every call has a deadline.
    pub fn client(&self) -> Client {
        InventoryServiceClient::new(self.channel.clone())
    }

    /// Whether the database is PostgreSQL (races can be staged).
    pub fn is_postgres(&self) -> bool {
        self.database.is_postgres()
    }

    /// Stops the service and waits for it (relay included) to finish.
    pub async fn stop(self) {
        self.trigger.stop();
        let stopped = tokio::time::timeout(DEADLINE, self.server)
            .await
            .expect("service stops in time");
        stopped.expect("server task").expect("server ran cleanly");
    }

    /// Runs `sql` on the service's database (seeding states the API cannot
    /// reach).
    pub async fn sql(&self, sql: &str) {
        self.db.execute_unprepared(sql).await.expect(sql);
    }

    /// Holds `sku`'s lock (its product row) until the returned transaction
    /// ends, so calls that need it queue up behind it (PostgreSQL only).
    pub async fn hold_stock_lock(&self, sku: &str) -> DatabaseTransaction {
        let txn = self.db.begin().await.expect("begin");
        txn.execute_unprepared(&format!(
            "SELECT sku FROM product WHERE sku = '{sku}' FOR UPDATE"
        ))
        .await
        .expect("lock the SKU");
        txn
    }

    /// Waits until `count` sessions wait for a lock in this database.
    pub async fn wait_for_lock_waiters(&self, count: i64) {
        let query = Statement::from_string(
            self.db.get_database_backend(),
            "SELECT COUNT(*) AS waiting FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        let deadline = Instant::now() + DEADLINE;
        loop {
            let row = self
                .db
                .query_one_raw(query.clone())
                .await
                .expect("pg_stat_activity")
                .expect("a row");
            let waiting: i64 = row.try_get("", "waiting").expect("count");
            if waiting >= count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{count} calls never queued for the lock ({waiting} did)"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Ledger entries of `sku`, as (kind, on hand change, reserved change).
    pub async fn movements(&self, sku: &str) -> Vec<(String, i64, i64)> {
        stock_movement::Entity::find()
            .filter(stock_movement::Column::Sku.eq(sku))
            .all(&self.db)
            .await
            .expect("ledger")
            .into_iter()
            .map(|m| (m.kind, m.on_hand_delta, m.reserved_delta))
            .collect()
    }

    /// Reservation rows of an order.
    pub async fn reservation_rows(&self, order_id: &str) -> Vec<reservation::Model> {
        reservation::Entity::find()
            .filter(reservation::Column::OrderId.eq(order_id))
            .all(&self.db)
            .await
            .expect("reservations")
    }

    /// Whether an answer (or a claim) is stored under `request_id`.
    pub async fn has_stored_answer(&self, request_id: &str) -> bool {
        idempotency_record::Entity::find_by_id(request_id.to_owned())
            .one(&self.db)
            .await
            .expect("idempotency records")
            .is_some()
    }

    /// Every message in the outbox.
    pub async fn outbox(&self) -> Vec<outbox_message::Model> {
        outbox_message::Entity::find()
            .all(&self.db)
            .await
            .expect("outbox")
    }

    /// Number of messages in the outbox.
    pub async fn outbox_len(&self) -> u64 {
        outbox_message::Entity::find()
            .count(&self.db)
            .await
            .expect("outbox")
    }
}

/// A new request or entity id.
pub fn rid() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Awaits a spawned call.
pub async fn joined<T>(call: JoinHandle<T>) -> T {
    tokio::time::timeout(DEADLINE, call)
        .await
        .expect("call finishes in time")
        .expect("call task")
}

/// Runs `call` on its own task (a concurrent caller).
pub fn spawn<T, F>(call: F) -> JoinHandle<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    tokio::spawn(call)
}

/// Creates a product with `on_hand` units.
pub async fn product(client: &mut Client, sku: &str, policy: pb::BackorderPolicy, on_hand: i64) {
    client
        .create_product(pb::CreateProductRequest {
            request_id: rid(),
            sku: sku.to_owned(),
            name: format!("Product {sku}"),
            backorder_policy: policy as i32,
            backorder_cap: 0,
            price_minor: 0,
            inbound_margin: 0,
        })
        .await
        .expect("create product");
    if on_hand > 0 {
        client
            .adjust_stock(pb::AdjustStockRequest {
                request_id: rid(),
                sku: sku.to_owned(),
                delta: on_hand,
                reason: "initial count".into(),
                warehouse: String::new(),
            })
            .await
            .expect("stock");
    }
}

/// An order of `(sku, quantity)` lines that accepts backorders.
pub fn order(lines: &[(&str, i64)]) -> pb::ReserveOrderRequest {
    pb::ReserveOrderRequest {
        request_id: rid(),
        order_id: rid(),
        accept_backorders: true,
        lines: lines
            .iter()
            .map(|(sku, quantity)| pb::ReserveLine {
                line_id: rid(),
                sku: (*sku).to_owned(),
                quantity: *quantity,
            })
            .collect(),
        ship_to_address: String::new(),
    }
}

/// The stock of `sku` as (on hand, reserved, available, backordered).
pub async fn stock(client: &mut Client, sku: &str) -> (i64, i64, i64, i64) {
    let level = client
        .get_product(pb::GetProductRequest { sku: sku.into() })
        .await
        .expect("get product")
        .into_inner()
        .product
        .and_then(|p| p.stock)
        .expect("stock level");
    (
        level.on_hand,
        level.reserved,
        level.available,
        level.backordered,
    )
}

/// The `ErrorInfo` reason of a status.
pub fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// Asserts `INVALID_ARGUMENT` naming exactly `fields`.
pub fn assert_invalid<T: std::fmt::Debug>(result: Result<T, Status>, fields: &[&str]) {
    let status = result.expect_err("refused as invalid");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let named: Vec<String> = status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    assert_eq!(named, fields, "{}", status.message());
}

/// Asserts `FAILED_PRECONDITION` with `expected` as its reason.
pub fn assert_precondition<T: std::fmt::Debug>(result: Result<T, Status>, expected: &str) {
    let status = result.expect_err("refused");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(reason(&status), expected, "{}", status.message());
}
