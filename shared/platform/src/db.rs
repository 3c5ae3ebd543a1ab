//! The service's own database: SQLite file by default, PostgreSQL by URL.
//! Connections are lazy so the server (and its health service) can start
//! before the database answers; migrations then run under a lock so several
//! replicas starting together migrate once.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::config::DatabaseSettings;

/// Arbitrary key of the PostgreSQL advisory lock that serialises migrations.
const MIGRATION_LOCK_KEY: i64 = 0x6261_636b_6f72_6472;

/// Arbitrary key of the advisory lock that serialises index builds.
const INDEX_LOCK_KEY: i64 = 0x6261_636b_6964_7878;

/// Longest a migration's statement waits for a table lock. A DDL statement
/// queued behind a long transaction would make every later query of that
/// table queue behind it: better to give up, roll the migration back and
/// try again (the service stays `NOT_SERVING` meanwhile) than to stall the
/// replicas of the old version still serving.
const MIGRATION_LOCK_TIMEOUT: &str = "5s";

/// An index on a table that may be large, built without blocking writes
/// (`CREATE INDEX CONCURRENTLY` on PostgreSQL) after the migrations, before
/// the service reports `SERVING`. Migrations run in one transaction, where a
/// concurrent build cannot; so such indexes are listed here instead.
#[derive(Debug, Clone, Copy)]
pub struct ConcurrentIndex {
    /// Index name (unique in the database).
    pub name: &'static str,
    /// Table it indexes.
    pub table: &'static str,
    /// Its columns, in order (names from the service's own schema).
    pub columns: &'static [&'static str],
}

/// Opens a lazy connection pool for `settings`.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(settings.url.clone());
    options
        .connect_lazy(true)
        .sqlx_logging(false)
        // Spans name the statement kind only; SQL text stays out of traces.
        .record_stmt_in_spans(false)
        .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms.max(1)))
        .connect_timeout(Duration::from_secs(5));
    if settings.url.starts_with("sqlite:") {
        ensure_sqlite_directory(&settings.url);
        // One connection: SQLite has one writer anyway, and a single
        // connection turns lock upgrades into plain queueing.
        options.max_connections(1).min_connections(1);
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        options.max_connections(settings.max_connections.max(1));
        // A ping before every checkout is a round trip per transaction; a
        // connection idle for a while is still checked, and one that broke
        // while in use is dropped by the pool on its error.
        options
            .test_before_acquire(false)
            .test_before_acquire_if_idle_for(Duration::from_secs(30));
        let password = match &settings.password_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| DbErr::Custom(format!("reading {}: {e}", path.display())))?
                    .trim()
                    .to_owned(),
            ),
            None => None,
        };
        let session = session_options(settings);
        // One closure: sea-orm keeps only the last one given.
        options.map_sqlx_postgres_opts(move |o| {
            let o = match &password {
                Some(password) => o.password(password),
                None => o,
            };
            if session.is_empty() {
                o
            } else {
                o.options(session.iter().map(|(k, v)| (*k, v.as_str())))
            }
        });
    }
    Database::connect(options).await
}

/// Startup parameters of every PostgreSQL session: a statement or a lock
/// wait past its limit is cancelled by the server itself, so a stuck query
/// or a row held by a slow transaction cannot keep a pooled connection (and
/// the call waiting on it) forever. Sent at connect, they cost no round trip.
fn session_options(settings: &DatabaseSettings) -> Vec<(&'static str, String)> {
    let mut session = Vec::new();
    if settings.statement_timeout_ms > 0 {
        session.push((
            "statement_timeout",
            settings.statement_timeout_ms.to_string(),
        ));
    }
    if settings.lock_timeout_ms > 0 {
        session.push(("lock_timeout", settings.lock_timeout_ms.to_string()));
    }
    session
}

fn ensure_sqlite_directory(url: &str) {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or("");
    if path.is_empty() || path.contains(":memory:") {
        return;
    }
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        let _ = std::fs::create_dir_all(parent);
    }
}

/// Applies pending migrations of `M`, once even when replicas race.
pub async fn migrate<M: MigratorTrait>(db: &DatabaseConnection) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let txn = db.begin().await?;
            // A migration may rewrite a large table, and replicas starting
            // together wait for the first one's lock: neither is a stuck
            // call, so the session limits do not apply here.
            txn.execute_unprepared("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0")
                .await?;
            txn.execute_unprepared(&format!(
                "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
            ))
            .await?;
            txn.execute_unprepared(&format!(
                "SET LOCAL lock_timeout = '{MIGRATION_LOCK_TIMEOUT}'"
            ))
            .await?;
            M::up(&txn, None).await?;
            txn.commit().await
        }
        _ => M::up(db, None).await,
    }
}

/// Builds `indexes` where missing. On PostgreSQL each is built
/// concurrently (writes go on meanwhile), one replica at a time; an index a
/// failed concurrent build left invalid is dropped and built again.
pub async fn build_indexes(
    db: &DatabaseConnection,
    indexes: &[ConcurrentIndex],
) -> Result<(), DbErr> {
    if indexes.is_empty() {
        return Ok(());
    }
    let create = |index: &ConcurrentIndex, how: &str| {
        format!(
            "CREATE INDEX {how}IF NOT EXISTS \"{}\" ON \"{}\" ({})",
            index.name,
            index.table,
            index
                .columns
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if db.get_database_backend() != DatabaseBackend::Postgres {
        for index in indexes {
            db.execute_unprepared(&create(index, "")).await?;
        }
        return Ok(());
    }
    // One session for the lock and the builds: a session advisory lock is
    // held by its connection, and CONCURRENTLY cannot run in a transaction.
    let pool = db.get_postgres_connection_pool();
    let mut session = pool
        .acquire()
        .await
        .map_err(|e| DbErr::Custom(format!("index builds: {e}")))?;
    let run = |sql: String| sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql));
    let fail = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("index builds: {e}"));
    run("SET statement_timeout = 0; SET lock_timeout = 0".to_owned())
        .execute(&mut *session)
        .await
        .map_err(fail)?;
    // Polled, not waited for: a concurrent build waits for every open
    // transaction, a session blocked in pg_advisory_lock included, so two
    // replicas waiting on each other that way would deadlock.
    loop {
        let locked: bool = sea_orm::sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(INDEX_LOCK_KEY)
            .fetch_one(&mut *session)
            .await
            .map_err(fail)?;
        if locked {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut result = Ok(());
    for index in indexes {
        let built = async {
            run(format!(
                "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c \
                 ON c.oid = i.indexrelid WHERE c.relname = '{}' AND NOT i.indisvalid) \
                 THEN EXECUTE 'DROP INDEX \"{}\"'; END IF; END $$",
                index.name, index.name
            ))
            .execute(&mut *session)
            .await?;
            run(create(index, "CONCURRENTLY "))
                .execute(&mut *session)
                .await
        }
        .await;
        if let Err(error) = built {
            result = Err(fail(error));
            break;
        }
        tracing::info!(index = index.name, "index ready");
    }
    // Back to the pool with the session's own limits, lock released.
    let reset = run(format!(
        "SELECT pg_advisory_unlock({INDEX_LOCK_KEY}); RESET statement_timeout; RESET lock_timeout"
    ))
    .execute(&mut *session)
    .await;
    if reset.is_err() {
        session.detach();
    }
    result
}

/// Retries [`migrate`] and then [`build_indexes`] until both succeed,
/// backing off up to 5 s; the service reports `NOT_SERVING` meanwhile.
pub async fn migrate_until_ready<M: MigratorTrait>(
    db: &DatabaseConnection,
    indexes: &[ConcurrentIndex],
) {
    let mut delay = Duration::from_millis(100);
    loop {
        let ready = match migrate::<M>(db).await {
            Ok(()) => build_indexes(db, indexes).await,
            Err(error) => Err(error),
        };
        match ready {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "database not ready");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// `SUM(expression)` as a 64-bit integer on every backend: PostgreSQL sums
/// BIGINT into NUMERIC, which does not decode as `i64`. `expression` is SQL
/// written by the caller (a column name), never user input.
pub fn sum_i64(expression: &str) -> sea_orm::sea_query::Expr {
    sea_orm::sea_query::Expr::cust(format!("CAST(SUM({expression}) AS BIGINT)"))
}
