//! The database doing the same work alone: a New-Order transaction of the
//! TPC-C kind (one order row, its stock rows locked and decremented in item
//! order, one line row per item, one commit), through the same Rust
//! database client the services use, on the same server.

use backorder_platform::testing::TestDatabase;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait, Value,
};

/// A fresh database with `catalogue` items in stock.
pub struct Baseline {
    pub db: DatabaseConnection,
    backend: DatabaseBackend,
    _database: TestDatabase,
}

impl Baseline {
    pub async fn new(catalogue: usize) -> Self {
        let mut database = TestDatabase::fresh("bench_baseline")
            .await
            .expect("baseline database");
        // The services' pools hold up to 10 connections each.
        database.settings.max_connections = 10;
        let db = backorder_platform::db::connect(&database.settings)
            .await
            .expect("connect");
        let backend = db.get_database_backend();
        for ddl in [
            "CREATE TABLE stock (item_id BIGINT PRIMARY KEY, quantity BIGINT NOT NULL)",
            "CREATE TABLE orders (id VARCHAR(36) PRIMARY KEY, customer_id VARCHAR(36) NOT NULL, \
             line_count INTEGER NOT NULL, created_at BIGINT NOT NULL)",
            "CREATE TABLE order_line (order_id VARCHAR(36) NOT NULL, line_number INTEGER NOT NULL, \
             item_id BIGINT NOT NULL, quantity BIGINT NOT NULL, PRIMARY KEY (order_id, line_number))",
        ] {
            db.execute_unprepared(ddl).await.expect("schema");
        }
        db.execute_unprepared(&format!(
            "INSERT INTO stock (item_id, quantity) {}",
            match backend {
                DatabaseBackend::Postgres => format!(
                    "SELECT g, 1000000000 FROM generate_series(0, {}) AS g",
                    catalogue - 1
                ),
                _ => format!(
                    "WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < {}) \
                     SELECT n, 1000000000 FROM g",
                    catalogue - 1
                ),
            }
        ))
        .await
        .expect("stock");
        Self {
            db,
            backend,
            _database: database,
        }
    }

    fn placeholder(&self, n: usize) -> String {
        match self.backend {
            DatabaseBackend::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        }
    }

    fn statement(&self, sql: String, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, values)
    }

    /// One New-Order transaction for `items` (ascending), one unit each.
    pub async fn new_order(&self, items: &[usize]) {
        let (p1, p2, p3, p4) = (
            self.placeholder(1),
            self.placeholder(2),
            self.placeholder(3),
            self.placeholder(4),
        );
        let lock = match self.backend {
            DatabaseBackend::Postgres => " FOR UPDATE",
            _ => "",
        };
        let txn = self.db.begin().await.expect("begin");
        let order_id = uuid::Uuid::now_v7().to_string();
        txn.execute_raw(self.statement(
            format!(
                "INSERT INTO orders (id, customer_id, line_count, created_at) VALUES ({p1}, {p2}, {p3}, {p4})"
            ),
            vec![
                order_id.clone().into(),
                "customer".into(),
                (items.len() as i32).into(),
                0i64.into(),
            ],
        ))
        .await
        .expect("order");
        for (number, item) in items.iter().enumerate() {
            let item = *item as i64;
            let row = txn
                .query_one_raw(self.statement(
                    format!("SELECT quantity FROM stock WHERE item_id = {p1}{lock}"),
                    vec![item.into()],
                ))
                .await
                .expect("stock row")
                .expect("item exists");
            let quantity: i64 = row.try_get_by_index(0).expect("quantity");
            txn.execute_raw(self.statement(
                format!("UPDATE stock SET quantity = {p1} WHERE item_id = {p2}"),
                vec![(quantity - 1).into(), item.into()],
            ))
            .await
            .expect("decrement");
            txn.execute_raw(self.statement(
                format!(
                    "INSERT INTO order_line (order_id, line_number, item_id, quantity) \
                     VALUES ({p1}, {p2}, {p3}, {p4})"
                ),
                vec![
                    order_id.clone().into(),
                    (number as i32).into(),
                    item.into(),
                    1i64.into(),
                ],
            ))
            .await
            .expect("line");
        }
        txn.commit().await.expect("commit");
    }
}
