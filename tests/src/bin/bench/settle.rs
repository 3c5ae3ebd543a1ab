//! Between runs: planner statistics refreshed, outboxes drained.

use std::time::{Duration, Instant};

use backorder_platform::outbox::PARKED;
use backorder_tests::{SERVICES, Suite};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

/// Refreshes the planner's statistics, as autovacuum keeps them on a
/// database in service: measured statements then run with the plans a
/// production database gives them, not the guesses made for tables that
/// were empty a second ago (which also stick to a connection's cached
/// plans until the statistics change).
pub async fn analyze(databases: &[&DatabaseConnection]) {
    for db in databases {
        db.execute_unprepared("ANALYZE").await.expect("analyze");
    }
}

/// Connections to the four services' databases.
pub async fn connect(suite: &Suite) -> Vec<DatabaseConnection> {
    let mut connections = Vec::new();
    for service in SERVICES {
        connections.push(
            Database::connect(suite.database_url(service))
                .await
                .expect("service database"),
        );
    }
    connections
}

/// Messages due but undelivered in `db`'s outbox (parked ones, which wait
/// for an operator, left out).
pub async fn undelivered(db: &DatabaseConnection) -> u64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND next_attempt_at < {PARKED}"
            ),
        ))
        .await
        .expect("count")
        .expect("a row");
    let count: i64 = row.try_get_by_index(0).expect("count");
    count.max(0) as u64
}

/// The same across several databases.
pub async fn undelivered_in(databases: &[DatabaseConnection]) -> u64 {
    let mut waiting = 0;
    for db in databases {
        waiting += undelivered(db).await;
    }
    waiting
}

/// Messages due but undelivered across the four outboxes now, and the time
/// until none are left (60 s at most).
pub async fn drain(suite: &Suite) -> (u64, Duration) {
    let connections = connect(suite).await;
    let started = Instant::now();
    let mut first = None;
    loop {
        let waiting = undelivered_in(&connections).await;
        let backlog = *first.get_or_insert(waiting);
        if waiting == 0 || started.elapsed() > Duration::from_secs(60) {
            return (backlog, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
