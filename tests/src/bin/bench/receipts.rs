//! A goods receipt filling 1,000 waiting lines of a SKU, timed with a small
//! reservation table and again with a large one (waiting and finished lines
//! of other SKUs seeded straight into inventory's database): the cost must
//! follow the lines filled, not the table.

use std::time::{Duration, Instant};

use backorder_proto::inventory::v1 as inv;
use backorder_tests::{Suite, rid};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend};

/// Waiting lines each receipt fills.
pub const FILLED: usize = 1_000;

/// Rows `first..first + count` of reservations for `sku`; every third one
/// waits, the rest are done, unless `all_waiting`.
pub fn seed_sql(
    backend: DatabaseBackend,
    sku: &str,
    first: usize,
    count: usize,
    all_waiting: bool,
) -> String {
    let last = first + count - 1;
    let state = if all_waiting {
        "1".to_owned()
    } else {
        "CASE WHEN n % 3 = 0 THEN 1 ELSE 2 END".to_owned()
    };
    let sku_expr = if sku.is_empty() {
        "'OTHER-' || (n % 1000)".to_owned()
    } else {
        format!("'{sku}'")
    };
    // Ids must be UUIDs: the service refuses rows it cannot read.
    let uuid = |group: &str| match backend {
        DatabaseBackend::Postgres => {
            format!("'00000000-0000-4000-{group}-' || lpad(n::text, 12, '0')")
        }
        _ => format!("printf('00000000-0000-4000-{group}-%012d', n)"),
    };
    let select = format!(
        "SELECT {}, {}, {}, {sku_expr}, 'default', 1, 0, 1, {state}, 0, '', NULL, n, n",
        uuid("a000"),
        uuid("8000"),
        uuid("9000")
    );
    let columns = "INSERT INTO reservation (id, order_id, line_id, sku, warehouse, quantity, \
                   reserved_quantity, waiting_quantity, state, priority, priority_reason, \
                   trace_context, created_at, updated_at)";
    match backend {
        DatabaseBackend::Postgres => {
            format!("{columns} {select} FROM generate_series({first}, {last}) AS n")
        }
        _ => format!(
            "{columns} WITH RECURSIVE s(n) AS (SELECT {first} UNION ALL SELECT n + 1 FROM s WHERE n < {last}) \
             {select} FROM s"
        ),
    }
}

/// Time of one receipt filling [`FILLED`] lines of a fresh SKU, after
/// growing the reservation table by `extra_rows` rows of other SKUs.
pub async fn receipt(suite: &Suite, first_row: usize, extra_rows: usize) -> Duration {
    let db = Database::connect(suite.database_url("inventory"))
        .await
        .expect("inventory database");
    let backend = db.get_database_backend();
    let sku = format!("RCV-{}", &rid()[30..]);
    let mut inventory = suite.inventory().await;
    inventory
        .create_product(inv::CreateProductRequest {
            request_id: rid(),
            sku: sku.clone(),
            name: "receipt bench".into(),
            backorder_policy: inv::BackorderPolicy::Allow as i32,
            backorder_cap: 0,
            price_minor: 0,
            inbound_margin: 0,
        })
        .await
        .expect("product");
    if extra_rows > 0 {
        db.execute_unprepared(&seed_sql(backend, "", first_row, extra_rows, false))
            .await
            .expect("other SKUs' lines");
        // Their stock rows, counting what waits, as the service keeps them.
        db.execute_unprepared(
            "INSERT INTO stock_level (sku, warehouse, on_hand, reserved, backordered, \
             waiting_lines, updated_at) \
             SELECT sku, warehouse, 0, 0, SUM(waiting_quantity), COUNT(*), 0 FROM reservation \
             WHERE state = 1 AND sku LIKE 'OTHER-%' GROUP BY sku, warehouse \
             ON CONFLICT (sku, warehouse) DO UPDATE SET \
             backordered = excluded.backordered, waiting_lines = excluded.waiting_lines",
        )
        .await
        .expect("other SKUs' stock rows");
    }
    db.execute_unprepared(&seed_sql(
        backend,
        &sku,
        first_row + extra_rows,
        FILLED,
        true,
    ))
    .await
    .expect("waiting lines");
    db.execute_unprepared(&format!(
        "UPDATE stock_level SET backordered = {FILLED}, waiting_lines = {FILLED} WHERE sku = '{sku}'"
    ))
    .await
    .expect("backlog count");
    if backend == DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE reservation")
            .await
            .expect("analyze");
    }
    let started = Instant::now();
    let response = inventory
        .receive_stock(inv::ReceiveStockRequest {
            request_id: rid(),
            sku,
            quantity: FILLED as i64,
            purchase_order_id: String::new(),
            warehouse: String::new(),
        })
        .await
        .expect("receipt")
        .into_inner();
    let elapsed = started.elapsed();
    assert_eq!(
        response.allocations.len(),
        FILLED,
        "every waiting line filled"
    );
    elapsed
}
