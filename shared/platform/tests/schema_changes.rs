//! Schema changes while old pods run (PostgreSQL): a migration gives up
//! on a table another transaction holds instead of queueing every later
//! query behind it, and tries again once it is free; indexes of large
//! tables are built concurrently, by one replica at a time, and an index a
//! failed build left invalid is built again.

use std::time::Duration;

use backorder_platform::db::{ConcurrentIndex, build_indexes, migrate};
use backorder_platform::testing::TestDatabase;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use sea_orm_migration::prelude::*;

/// Adds a column to `widget`: DDL that needs the table to itself.
struct AddColour;

impl MigrationName for AddColour {
    fn name(&self) -> &str {
        "m20990101_000001_add_colour"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for AddColour {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE widget ADD COLUMN colour TEXT")
            .await
            .map(|_| ())
    }
}

struct Colours;

impl MigratorTrait for Colours {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(AddColour)]
    }
}

async fn postgres(label: &str) -> Option<(TestDatabase, DatabaseConnection)> {
    let database = TestDatabase::fresh(label).await.expect("database");
    if !database.is_postgres() {
        eprintln!("needs PostgreSQL (BACKORDER_TEST_DATABASE_URL); skipped");
        return None;
    }
    let db = backorder_platform::db::connect(&database.settings)
        .await
        .expect("connect");
    db.execute_unprepared(
        "CREATE TABLE widget (id BIGSERIAL PRIMARY KEY, sku TEXT NOT NULL, created_at BIGINT NOT NULL);
         INSERT INTO widget (sku, created_at) SELECT 'S' || (n % 7), n FROM generate_series(1, 5000) n",
    )
    .await
    .expect("table");
    Some((database, db))
}

async fn index_is_valid(db: &DatabaseConnection, name: &str) -> Option<bool> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c \
                 ON c.oid = i.indexrelid WHERE c.relname = '{name}'"
            ),
        ))
        .await
        .expect("pg_index")?;
    Some(row.try_get("", "valid").expect("valid"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_migration_gives_up_on_a_busy_table_and_succeeds_once_it_is_free() {
    let Some((_database, db)) = postgres("lock_timeout_migration").await else {
        return;
    };
    // An old pod's long transaction reads the table.
    let reader = db.begin().await.expect("begin");
    reader
        .execute_unprepared("SELECT count(*) FROM widget")
        .await
        .expect("read");
    let refused = tokio::time::timeout(Duration::from_secs(60), migrate::<Colours>(&db))
        .await
        .expect("the migration gives up rather than waiting for the reader");
    let error = refused.expect_err("the table is busy");
    assert!(error.to_string().contains("lock timeout"), "{error}");
    reader.commit().await.expect("the reader ends");
    migrate::<Colours>(&db).await.expect("the table is free");
    db.execute_unprepared("UPDATE widget SET colour = 'red' WHERE id = 1")
        .await
        .expect("the column exists");
}

#[tokio::test(flavor = "multi_thread")]
async fn indexes_are_built_concurrently_once_and_an_invalid_one_again() {
    let Some((_database, db)) = postgres("concurrent_indexes").await else {
        return;
    };
    // A concurrent unique build over duplicates fails and leaves an
    // invalid index of that name behind.
    let failed = db
        .execute_unprepared("CREATE UNIQUE INDEX CONCURRENTLY widget_by_sku ON widget (sku)")
        .await;
    assert!(failed.is_err());
    assert_eq!(index_is_valid(&db, "widget_by_sku").await, Some(false));

    const INDEXES: &[ConcurrentIndex] = &[ConcurrentIndex {
        name: "widget_by_sku",
        table: "widget",
        columns: &["sku", "created_at"],
    }];
    // Two replicas at once: one builds, the other finds it built.
    let (first, second) = tokio::join!(build_indexes(&db, INDEXES), build_indexes(&db, INDEXES));
    first.expect("first replica");
    second.expect("second replica");
    assert_eq!(index_is_valid(&db, "widget_by_sku").await, Some(true));
    build_indexes(&db, INDEXES).await.expect("nothing to do");
    // The pool's sessions keep their own limits afterwards.
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SHOW lock_timeout".to_owned(),
        ))
        .await
        .expect("show")
        .expect("row");
    let lock_timeout: String = row.try_get("", "lock_timeout").expect("value");
    assert_eq!(lock_timeout, "10s");
}
