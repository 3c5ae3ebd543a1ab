//! Migrations keep what earlier versions stored: stock rows written before
//! they counted their waiting lines count them once migrated.

use backorder_platform::testing::TestDatabase;
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::MigratorTrait;

#[tokio::test(flavor = "multi_thread")]
async fn stock_rows_count_the_lines_already_waiting() {
    let database = TestDatabase::fresh("inv_migrate_counts")
        .await
        .expect("test database");
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("connect");
    let total = inventory::store::Migrator::migrations().len();
    inventory::store::Migrator::up(&db, Some((total - 1) as u32))
        .await
        .expect("earlier migrations");
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
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT sku, waiting_lines FROM stock_level ORDER BY sku",
        ))
        .await
        .expect("stock rows");
    let counts: Vec<(String, i64)> = rows
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("sku"),
                row.try_get_by_index(1).expect("count"),
            )
        })
        .collect();
    assert_eq!(counts, [("A".to_owned(), 2), ("B".to_owned(), 0)]);
}
