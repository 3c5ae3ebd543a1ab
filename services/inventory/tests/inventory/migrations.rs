//! Migrations keep what earlier versions stored: stock rows written before
//! they counted their waiting lines count them once migrated, and lines
//! reserved before warehouses hold their units in "default".

use backorder_platform::testing::TestDatabase;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;

/// A database migrated up to, not including, the migration named `name`.
async fn migrated_before(database: &str, name: &str) -> (TestDatabase, DatabaseConnection) {
    let database = TestDatabase::fresh(database).await.expect("test database");
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("connect");
    let before = inventory::store::Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .expect("the migration exists");
    inventory::store::Migrator::up(&db, Some(before as u32))
        .await
        .expect("earlier migrations");
    (database, db)
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<(String, i64)> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("rows")
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("text"),
                row.try_get_by_index(1).expect("number"),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn stock_rows_count_the_lines_already_waiting() {
    let (_database, db) =
        migrated_before("inv_migrate_counts", "m20261203_000103_backlog_counters").await;
    // Two lines wait for A (one of them in part), one of B was filled.
    let line = |n: u32, sku: &str, waiting: i64, state: i32| {
        format!(
            "INSERT INTO reservation (id, order_id, line_id, sku, warehouse, quantity, \
             reserved_quantity, waiting_quantity, state, priority, priority_reason, \
             created_at, updated_at) VALUES ('r{n}', 'o{n}', 'l{n}', '{sku}', 'default', 3, \
             {}, {waiting}, {state}, 0, '', {n}, {n})",
            3 - waiting
        )
    };
    for statement in [
        "INSERT INTO stock_level (sku, warehouse, on_hand, reserved, backordered, updated_at) \
         VALUES ('A', 'default', 1, 1, 5, 0), ('B', 'default', 3, 3, 0, 0)"
            .to_owned(),
        line(1, "A", 3, 1),
        line(2, "A", 2, 1),
        line(3, "B", 0, 2),
    ] {
        db.execute_unprepared(&statement).await.expect("old row");
    }
    inventory::store::Migrator::up(&db, None)
        .await
        .expect("the counting migration");
    let counts = rows(
        &db,
        "SELECT sku, waiting_lines FROM stock_level ORDER BY sku",
    )
    .await;
    assert_eq!(counts, [("A".to_owned(), 2), ("B".to_owned(), 0)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn lines_reserved_before_warehouses_hold_their_units_in_default() {
    let (_database, db) = migrated_before("inv_migrate_parts", "m20261204_000104_warehouses").await;
    // Open lines: one waiting with 1 reserved, one allocated with 3; closed
    // lines (issued, released) and one with nothing reserved hold nothing.
    let line = |n: u32, reserved: i64, state: i32| {
        format!(
            "INSERT INTO reservation (id, order_id, line_id, sku, warehouse, quantity, \
             reserved_quantity, waiting_quantity, state, priority, priority_reason, \
             created_at, updated_at) VALUES ('r{n}', 'o{n}', 'l{n}', 'A', 'default', 3, \
             {reserved}, {}, {state}, 0, '', {n}, {n})",
            3 - reserved
        )
    };
    for statement in [
        line(1, 1, 1),
        line(2, 3, 2),
        line(3, 3, 3),
        line(4, 2, 4),
        line(5, 0, 1),
    ] {
        db.execute_unprepared(&statement).await.expect("old row");
    }
    inventory::store::Migrator::up(&db, None)
        .await
        .expect("the warehouses migration");
    let parts = rows(
        &db,
        "SELECT reservation_id || '@' || warehouse, reserved FROM reservation_part \
         ORDER BY reservation_id",
    )
    .await;
    assert_eq!(
        parts,
        [("r1@default".to_owned(), 1), ("r2@default".to_owned(), 3)]
    );
    let warehouses = rows(&db, "SELECT code, CAST(rank AS BIGINT) FROM warehouse").await;
    assert_eq!(warehouses, [("default".to_owned(), 100)]);
}
