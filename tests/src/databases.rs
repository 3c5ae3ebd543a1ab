//! One fresh database per service of a suite: SQLite files in the suite's
//! directory, or PostgreSQL databases dropped with the suite.

use std::collections::BTreeMap;
use std::path::Path;

use sea_orm::{ConnectionTrait, Database};

use crate::SERVICES;

/// The PostgreSQL server to test against, if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("BACKORDER_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .map(|u| u.trim_end_matches('/').to_owned())
}

pub(crate) struct Databases {
    urls: BTreeMap<&'static str, String>,
    /// The server and the databases to drop.
    postgres: Option<(String, Vec<String>)>,
}

impl Databases {
    pub(crate) async fn create(run: &str, dir: &Path) -> Self {
        let mut urls = BTreeMap::new();
        let Some(server) = postgres_server() else {
            for service in SERVICES {
                urls.insert(
                    service,
                    format!("sqlite://{}/{service}.db?mode=rwc", dir.display()),
                );
            }
            return Self {
                urls,
                postgres: None,
            };
        };
        let admin = Database::connect(format!("{server}/postgres"))
            .await
            .expect("connect to PostgreSQL");
        let names: Vec<String> = SERVICES
            .iter()
            .map(|service| format!("bo_test_{run}_{service}"))
            .collect();
        // At once: creating databases is most of a suite's start.
        let mut creating = tokio::task::JoinSet::new();
        for name in &names {
            let (admin, statement) = (admin.clone(), format!("CREATE DATABASE {name}"));
            creating.spawn(async move { admin.execute_unprepared(&statement).await });
        }
        while let Some(created) = creating.join_next().await {
            created
                .expect("create test database")
                .expect("create test database");
        }
        for (service, name) in SERVICES.iter().zip(&names) {
            urls.insert(*service, format!("{server}/{name}"));
        }
        let _ = admin.close().await;
        Self {
            urls,
            postgres: Some((server, names)),
        }
    }

    pub(crate) fn url(&self, service: &str) -> &str {
        &self.urls[service]
    }

    pub(crate) fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// Drops the PostgreSQL databases, closing whatever still uses them.
    pub(crate) fn drop_all(&mut self) {
        let Some((server, names)) = self.postgres.take() else {
            return;
        };
        // Called from Drop, maybe inside a runtime: clean up on a thread
        // with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(admin) = Database::connect(format!("{server}/postgres")).await {
                    let mut dropping = tokio::task::JoinSet::new();
                    for name in names {
                        let admin = admin.clone();
                        let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        dropping.spawn(async move { admin.execute_unprepared(&statement).await });
                    }
                    while dropping.join_next().await.is_some() {}
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

impl Drop for Databases {
    // Also when a suite fails to start: no test database is left behind.
    fn drop(&mut self) {
        self.drop_all();
    }
}
