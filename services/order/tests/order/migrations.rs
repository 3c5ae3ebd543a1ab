//! Migrations keep what earlier versions stored: orders and shipments
//! written before partial shipments, warehouses or drop shipments existed
//! read as they meant.

use backorder_platform::testing::TestDatabase;
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::MigratorTrait;

/// Applies every migration before the one named `name`, so a test writes
/// rows as the version before it did whatever migrations come later.
async fn migrate_before(db: &sea_orm::DatabaseConnection, name: &str) {
    let before = order::store::Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}"));
    order::store::Migrator::up(db, Some(u32::try_from(before).expect("a count")))
        .await
        .expect("earlier migrations");
}

#[tokio::test(flavor = "multi_thread")]
async fn lines_stored_before_partial_shipments_keep_their_meaning() {
    let database = TestDatabase::fresh("order_migrate_partial")
        .await
        .expect("test database");
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("connect");
    migrate_before(&db, "m20261203_000304_partial_shipments").await;
    // A ready line, a backordered line with 2 of 5 reserved, and a line
    // shipped in a parcel, as the previous version stored them.
    for statement in [
        "INSERT INTO shipment (id, order_id, tracking_number, carrier, status, shipped_at) \
         VALUES ('s1', 'o1', 'T', 'C', 1, 0)",
        "INSERT INTO order_line (id, order_id, line_no, sku, quantity, reserved_quantity, \
         backordered_quantity, status, updated_at) VALUES ('l1', 'o1', 0, 'A', 3, 3, 0, 3, 0)",
        "INSERT INTO order_line (id, order_id, line_no, sku, quantity, reserved_quantity, \
         backordered_quantity, status, updated_at) VALUES ('l2', 'o1', 1, 'B', 5, 2, 3, 2, 0)",
        "INSERT INTO order_line (id, order_id, line_no, sku, quantity, reserved_quantity, \
         backordered_quantity, status, shipment_id, updated_at) \
         VALUES ('l3', 'o1', 2, 'C', 4, 4, 0, 4, 's1', 0)",
    ] {
        db.execute_unprepared(statement).await.expect("old row");
    }
    order::store::Migrator::up(&db, None)
        .await
        .expect("the partial shipments migration");

    let backend = db.get_database_backend();
    let lines = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, shipped_quantity, ready_quantity FROM order_line ORDER BY id",
        ))
        .await
        .expect("lines");
    let read: Vec<(String, i64, i64)> = lines
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("id"),
                row.try_get_by_index(1).expect("shipped"),
                row.try_get_by_index(2).expect("ready"),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            ("l1".to_owned(), 0, 3),
            ("l2".to_owned(), 0, 2),
            ("l3".to_owned(), 4, 0)
        ]
    );
    let items = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT shipment_id, line_id, quantity FROM shipment_item",
        ))
        .await
        .expect("items");
    assert_eq!(items.len(), 1, "the old parcel lists its line");
    let quantity: i64 = items[0].try_get_by_index(2).expect("quantity");
    assert_eq!(quantity, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn units_stored_before_warehouses_are_in_the_default_warehouse() {
    let database = TestDatabase::fresh("order_migrate_warehouses")
        .await
        .expect("test database");
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("connect");
    migrate_before(&db, "m20261204_000305_warehouses").await;
    // As the previous version stored them: a ready line with 1 of 4
    // shipped, one whose count was never kept (placed before partial
    // shipments), a backordered line with 2 reserved, one with none, a
    // shipped line and a cancelled one, and a parcel.
    let line = |id: &str, quantity: i64, status: i32, shipped: i64, ready: i64| {
        format!(
            "INSERT INTO order_line (id, order_id, line_no, sku, quantity, reserved_quantity, \
             backordered_quantity, status, shipped_quantity, ready_quantity, updated_at) \
             VALUES ('{id}', 'o1', 0, 'A', {quantity}, 0, 0, {status}, {shipped}, {ready}, 0)"
        )
    };
    for statement in [
        line("l1", 4, 3, 1, 3),
        line("l2", 2, 3, 0, 0),
        line("l3", 5, 2, 0, 2),
        line("l4", 5, 2, 0, 0),
        line("l5", 3, 4, 3, 0),
        line("l6", 3, 6, 0, 3),
        "INSERT INTO shipment (id, order_id, tracking_number, carrier, status, shipped_at) \
         VALUES ('s1', 'o1', 'T', 'C', 1, 0)"
            .to_owned(),
    ] {
        db.execute_unprepared(&statement).await.expect("old row");
    }
    order::store::Migrator::up(&db, None)
        .await
        .expect("the warehouses migration");

    let backend = db.get_database_backend();
    let parts: Vec<(String, String, String, i64)> = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT line_id, warehouse, order_id, quantity FROM order_line_stock ORDER BY line_id",
        ))
        .await
        .expect("parts")
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("line"),
                row.try_get_by_index(1).expect("warehouse"),
                row.try_get_by_index(2).expect("order"),
                row.try_get_by_index(3).expect("units"),
            )
        })
        .collect();
    let part = |line: &str, units| {
        (
            line.to_owned(),
            "default".to_owned(),
            "o1".to_owned(),
            units,
        )
    };
    assert_eq!(parts, [part("l1", 3), part("l2", 2), part("l3", 2)]);
    let ready: i64 = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT ready_quantity FROM order_line WHERE id = 'l2'",
        ))
        .await
        .expect("read")
        .expect("l2")
        .try_get_by_index(0)
        .expect("ready");
    assert_eq!(ready, 2, "the count agrees with its parts");
    let warehouse: String = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT warehouse FROM shipment WHERE id = 's1'",
        ))
        .await
        .expect("read")
        .expect("s1")
        .try_get_by_index(0)
        .expect("warehouse");
    assert_eq!(
        warehouse, "default",
        "earlier parcels left from the default"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lines_and_parcels_stored_before_drop_shipping_were_not_drop_shipped() {
    let database = TestDatabase::fresh("order_migrate_drop_ship")
        .await
        .expect("test database");
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("connect");
    migrate_before(&db, "m20261204_000306_drop_ship").await;
    for statement in [
        "INSERT INTO order_line (id, order_id, line_no, sku, quantity, reserved_quantity, \
         backordered_quantity, status, shipped_quantity, ready_quantity, updated_at) \
         VALUES ('l1', 'o1', 0, 'A', 2, 0, 2, 2, 0, 0, 0)",
        "INSERT INTO shipment (id, order_id, tracking_number, carrier, status, shipped_at, \
         warehouse) VALUES ('s1', 'o1', 'T', 'C', 1, 0, 'east')",
    ] {
        db.execute_unprepared(statement).await.expect("old row");
    }
    order::store::Migrator::up(&db, None)
        .await
        .expect("the drop-ship migration");

    let backend = db.get_database_backend();
    let line = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT drop_ship FROM order_line WHERE id = 'l1'",
        ))
        .await
        .expect("read")
        .expect("l1");
    let drop_ship: bool = line.try_get_by_index(0).expect("drop_ship");
    assert!(!drop_ship, "a line waiting before waits for stock");
    let parcel = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT drop_ship, purchase_order_id, warehouse FROM shipment WHERE id = 's1'",
        ))
        .await
        .expect("read")
        .expect("s1");
    let drop_ship: bool = parcel.try_get_by_index(0).expect("drop_ship");
    let purchase_order: Option<String> = parcel.try_get_by_index(1).expect("purchase order");
    let warehouse: String = parcel.try_get_by_index(2).expect("warehouse");
    assert_eq!(
        (drop_ship, purchase_order, warehouse.as_str()),
        (false, None, "east"),
        "an earlier parcel left a warehouse"
    );
}
