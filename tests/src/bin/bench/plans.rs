//! PostgreSQL's plans of the statements ListReservations and ListBacklog
//! run, built by inventory's own query functions, and explained on inventory's
//! database as it is. Each is explained with its values written in (the
//! custom plan a connection's first executions get) and as a generic plan
//! (what a connection may switch to after five executions of a prepared
//! statement: the services' database client prepares every statement).

use inventory::store::queries::{self, QueueKey};
use sea_orm::sea_query::{PostgresQueryBuilder, QueryBuilder};
use sea_orm::{
    ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, QueryTrait, Statement,
    TransactionTrait,
};

use crate::listing::{FIRST_ROW, Listed, PAGE, Tokens};

/// One explained statement.
pub struct Plan {
    pub title: String,
    pub sql: String,
    pub custom: String,
    pub generic: String,
}

/// The key inside a page token (platform's paging: `p1.` and hex).
fn token_key(token: &str) -> String {
    let hex = token.strip_prefix("p1.").expect("a page token");
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect();
    String::from_utf8(bytes).expect("text")
}

const EXPLAIN: &str = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)";

async fn lines(db: &impl ConnectionTrait, sql: String) -> String {
    let rows = db
        .query_all_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
        .await
        .expect("explain");
    rows.iter()
        .filter_map(|row| row.try_get_by_index::<String>(0).ok())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The plan of `statement` as a generic plan, forced for one transaction.
async fn generic(db: &DatabaseConnection, statement: &Statement) -> String {
    let txn = db.begin().await.expect("transaction");
    txn.execute_unprepared("SET LOCAL plan_cache_mode = force_generic_plan")
        .await
        .expect("plan cache mode");
    txn.execute_unprepared(&format!("PREPARE bench_plan AS {}", statement.sql))
        .await
        .expect("prepare");
    let values = statement.values.as_ref().map_or(Vec::new(), |v| {
        v.0.iter()
            .map(|v| PostgresQueryBuilder.value_to_string(v))
            .collect()
    });
    let execute = if values.is_empty() {
        "EXECUTE bench_plan".to_owned()
    } else {
        format!("EXECUTE bench_plan({})", values.join(", "))
    };
    let plan = lines(&txn, format!("{EXPLAIN} {execute}")).await;
    txn.execute_unprepared("DEALLOCATE bench_plan")
        .await
        .expect("deallocate");
    txn.rollback().await.expect("rollback");
    plan
}

/// Explains each statement of both lists' first and second pages.
pub async fn explain(database_url: &str, listed: &Listed, tokens: &Tokens) -> Vec<Plan> {
    let db = Database::connect(database_url)
        .await
        .expect("inventory database");
    let limit = PAGE as u64 + 1;
    let key = QueueKey::decode(&token_key(&tokens.queue)).expect("a queue key");
    let after_sku = token_key(&tokens.backlog);
    // The seeded ids end in the row number written in decimal.
    let order_id = uuid::Uuid::parse_str(&format!("00000000-0000-4000-8000-{FIRST_ROW:012}"))
        .expect("the first seeded order id");
    let pg = DatabaseBackend::Postgres;
    let statements = [
        (
            "ListReservations (SKU), first page: waiting_queue",
            queries::queue_query(&listed.sku, None, limit).build(pg),
        ),
        (
            "ListReservations (SKU), next page: waiting_queue",
            queries::queue_query(&listed.sku, Some(&key), limit).build(pg),
        ),
        (
            "ListBacklog, first page: backlog",
            queries::backlog_query(None, limit).build(pg),
        ),
        (
            "ListBacklog, next page: backlog",
            queries::backlog_query(Some(&after_sku), limit).build(pg),
        ),
        (
            "ListBacklog, every page: backlog_totals, counts of the stock rows",
            queries::stock_totals_query().build(pg),
        ),
        (
            "ListBacklog, every page: backlog_totals, oldest waiting line",
            queries::oldest_waiting_query().build(pg),
        ),
        (
            "ListReservations (order; not timed): reservations_of_order",
            queries::order_query(order_id, None, limit).build(pg),
        ),
    ];
    let mut plans = Vec::new();
    for (title, statement) in statements {
        let sql = statement.to_string();
        plans.push(Plan {
            title: title.to_owned(),
            custom: lines(&db, format!("{EXPLAIN} {sql}")).await,
            generic: generic(&db, &statement).await,
            sql,
        });
    }
    plans
}

/// A plan's nodes without their figures, to compare two plans' shapes.
fn shape(plan: &str) -> Vec<String> {
    plan.lines()
        .filter(|l| !l.contains("Buffers:") && !l.contains(" Time:") && !l.contains("Heap Fetches"))
        .map(|l| l.split(" (actual").next().unwrap_or(l).to_owned())
        .collect()
}

/// Prints the plans.
pub fn report(plans: &[Plan]) {
    if plans.is_empty() {
        println!("\nplans of the list statements: PostgreSQL only, skipped");
        return;
    }
    println!("\nPostgreSQL plans of the list statements with the large table ({EXPLAIN}):");
    let indent = |text: &str| {
        text.lines()
            .map(|l| format!("      {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for plan in plans {
        println!("\n  {}\n    {}", plan.title, plan.sql);
        println!("    values written in:\n{}", indent(&plan.custom));
        if shape(&plan.generic) == shape(&plan.custom) {
            println!("    generic plan: the same");
        } else {
            println!("    generic plan:\n{}", indent(&plan.generic));
        }
    }
}
