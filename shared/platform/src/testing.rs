//! Fresh databases for tests: a PostgreSQL database of its own when
//! `BACKORDER_TEST_DATABASE_URL` names a server (dropped afterwards), else a
//! SQLite file in a directory of its own.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, Database};

use crate::config::DatabaseSettings;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The PostgreSQL server tests run against, if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("BACKORDER_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .map(|u| u.trim_end_matches('/').to_owned())
}

/// One fresh database, removed when dropped.
pub struct TestDatabase {
    /// Settings that reach it.
    pub settings: DatabaseSettings,
    postgres: Option<(String, String)>,
    dir: Option<PathBuf>,
}

impl TestDatabase {
    /// Creates a database named after `label` (letters, digits, `_`).
    pub async fn fresh(label: &str) -> Result<Self, sea_orm::DbErr> {
        let run = format!(
            "{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            crate::ids::new_id()
                .simple()
                .to_string()
                .get(24..)
                .unwrap_or("0")
        );
        if let Some(server) = postgres_server() {
            let name = format!("bo_test_{label}_{run}");
            let admin = Database::connect(format!("{server}/postgres")).await?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await?;
            return Ok(Self {
                settings: DatabaseSettings::for_url(format!("{server}/{name}"), 8),
                postgres: Some((server, name)),
                dir: None,
            });
        }
        let dir = std::env::temp_dir().join(format!("backorder-{label}-{run}"));
        std::fs::create_dir_all(&dir).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
        Ok(Self {
            settings: DatabaseSettings::for_url(
                format!("sqlite://{}/{label}.db?mode=rwc", dir.display()),
                1,
            ),
            postgres: None,
            dir: Some(dir),
        })
    }

    /// Whether it is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((server, name)) = self.postgres.take() {
            // Drop is synchronous: clean up on a thread with its own runtime.
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    if let Ok(admin) = Database::connect(format!("{server}/postgres")).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Asserts that PostgreSQL runs `query` as a range read of `index`: the plan
/// names the index and has neither a sort nor a sequential scan. How tests
/// prove a query costs what it reads, not what the table holds.
pub async fn assert_index_scan<E>(
    db: &sea_orm::DatabaseConnection,
    query: sea_orm::Select<E>,
    index: &str,
) where
    E: sea_orm::EntityTrait,
{
    use sea_orm::{DbBackend, QueryTrait, Statement};
    let sql = query.build(DbBackend::Postgres).to_string();
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("EXPLAIN {sql}"),
        ))
        .await
        .unwrap_or_else(|error| panic!("EXPLAIN {sql}: {error}"));
    let plan = rows
        .iter()
        .filter_map(|row| row.try_get_by_index::<String>(0).ok())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(plan.contains(index), "{index} not used:\n{plan}");
    assert!(!plan.contains("Sort"), "sorts:\n{plan}");
    assert!(!plan.contains("Seq Scan"), "scans the table:\n{plan}");
}
