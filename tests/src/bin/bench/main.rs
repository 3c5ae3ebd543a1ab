//! `make bench`: the suite's hot paths against the database doing the same
//! work alone, measured in the same run on the same server (absolute
//! numbers vary by machine; ratios travel).
//!
//! - New-Order baseline: one order row, 5 stock rows locked and decremented
//!   in item order, 5 line rows, one commit; items drawn from 1,000.
//! - PlaceOrder: the same 5 lines from 1,000 SKUs, all four services (as
//!   release processes), at 8 clients and at 1.
//! - Hot item: every order on one SKU, against the baseline on one row.
//! - Tracing: PlaceOrder with OTLP export off, on (every trace), and on with
//!   10% parent-based sampling.
//! - Peak memory (VmHWM) of each service process after the load.
//! - The async path: messages still undelivered in the four outboxes when
//!   the PlaceOrder load ends, and how long they take to drain.
//! - A receipt filling 1,000 waiting lines with a small reservation table,
//!   and again with 1,000,000 more rows of other SKUs.
//! - List pages (ListReservations of a SKU's queue, ListBacklog; first page
//!   and the next) with the small table and with the 1,000,000 more rows,
//!   and on PostgreSQL the plans of the statements they run.
//! - Sale to first customer notice: PlaceOrder open loop at half the
//!   8-client throughput, from sending to the notification row; p50, p99
//!   and whether the outbox backlog grows.
//! - Outbox drain: 1,000 and then 100,000 notices written straight into the
//!   order service's outbox, delivered per second (`BENCH_DRAIN_LARGE`).

mod baseline;
mod cpu;
mod drain;
mod listing;
mod measure;
mod notice_latency;
mod orders;
mod plans;
mod receipts;
mod settle;

use std::sync::Arc;

use backorder_tests::otlp::OtlpReceiver;
use backorder_tests::{SERVICES, Suite, SuiteOptions};

use crate::baseline::Baseline;

use crate::cpu::Processes;
use crate::measure::{Measurement, compare, cpu_table, header, items, measure};
use crate::orders::Shop;
use crate::settle::{analyze, drain};

const CATALOGUE: usize = 1_000;
const LINES: usize = 5;

fn count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn suite(extra: &[(&str, &str)]) -> Suite {
    let mut env = vec![("RUST_LOG".to_owned(), "warn".to_owned())];
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Suite::start_with(SuiteOptions::processes(env)).await
}

/// Peak resident memory of a process, from /proc (Linux).
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[tokio::main]
async fn main() {
    let many = count("BENCH_REQUESTS", 1_200);
    let few = (many / 8).max(50);
    println!(
        "backend: {}",
        backorder_platform::testing::postgres_server()
            .map_or("SQLite".into(), |_| "PostgreSQL".to_owned())
    );
    println!(
        "{many} operations at 8 clients, {few} at 1 client; {LINES} lines from {CATALOGUE} items\n"
    );

    let base = Arc::new(Baseline::new(CATALOGUE).await);
    let warm_up = count("BENCH_WARM_UP", 2_000);
    new_orders(&base, "warm-up", 8, warm_up, LINES, CATALOGUE).await;
    analyze(&[&base.db]).await;
    let baseline_many = new_orders(
        &base,
        "New-Order, database alone",
        8,
        many,
        LINES,
        CATALOGUE,
    )
    .await;
    let baseline_one =
        new_orders(&base, "New-Order, database alone", 1, few, LINES, CATALOGUE).await;
    let baseline_hot = new_orders(&base, "New-Order, database alone, one row", 8, many, 1, 1).await;
    drop(base);

    let plain = suite(&[]).await;
    let shop = Shop::open(&plain, CATALOGUE).await;
    shop.warm_up(&plain, warm_up).await;
    let orders_many = shop
        .place_orders("PlaceOrder, 5 lines", 8, many, LINES, CATALOGUE)
        .await;
    // Drained before the next run, which would otherwise pay for this
    // run's deliveries.
    let (backlog, drained) = drain(&plain).await;
    let orders_one = shop
        .place_orders("PlaceOrder, 5 lines", 1, few, LINES, CATALOGUE)
        .await;
    drain(&plain).await;
    let orders_hot = shop
        .place_orders("PlaceOrder, every order on one SKU", 8, many, 1, 1)
        .await;
    let notices = notice_latency::measure(&plain, &shop, orders_many.ops_per_sec / 2.0).await;
    // Before the receipts, whose notices to orders that do not exist keep
    // inventory's relay busy retrying for minutes.
    let drain_small = drain::drain(&plain, &shop.customer, drain::SMALL).await;
    let drain_large =
        drain::drain(&plain, &shop.customer, count("BENCH_DRAIN_LARGE", 100_000)).await;
    let listed = listing::seed(&plain).await;
    let receipt_small = receipts::receipt(&plain, 10_000_000, 0).await;
    let (list_small, _) = listing::measure(&plain, &listed).await;
    let backlog_rows = count("BENCH_BACKLOG_ROWS", 1_000_000);
    let receipt_large = receipts::receipt(&plain, 20_000_000, backlog_rows).await;
    let (list_large, tokens) = listing::measure(&plain, &listed).await;
    let list_plans = if plain.is_postgres() {
        plans::explain(plain.database_url("inventory"), &listed, &tokens).await
    } else {
        Vec::new()
    };
    let memory: Vec<(String, Option<f64>)> = SERVICES
        .iter()
        .map(|s| ((*s).to_owned(), plain.pid(s).and_then(peak_rss_mib)))
        .collect();
    drop(plain);

    let receiver = OtlpReceiver::start().await;
    let endpoint = receiver.endpoint();
    let traced = suite(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)]).await;
    let shop = Shop::open(&traced, CATALOGUE).await;
    shop.warm_up(&traced, warm_up).await;
    let orders_traced = shop
        .place_orders(
            "PlaceOrder, export on, every trace",
            8,
            many,
            LINES,
            CATALOGUE,
        )
        .await;
    drop(traced);
    let sampled = suite(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("BACKORDER__TELEMETRY__SAMPLE_RATIO", "0.1"),
    ])
    .await;
    let shop = Shop::open(&sampled, CATALOGUE).await;
    shop.warm_up(&sampled, warm_up).await;
    let orders_sampled = shop
        .place_orders(
            "PlaceOrder, export on, 10% sampled",
            8,
            many,
            LINES,
            CATALOGUE,
        )
        .await;
    drop(sampled);

    header();
    compare(&orders_many, &baseline_many);
    compare(&orders_one, &baseline_one);
    compare(&orders_hot, &baseline_hot);
    compare(&orders_traced, &orders_many);
    compare(&orders_sampled, &orders_many);
    cpu_table(&[
        &orders_many,
        &baseline_many,
        &orders_one,
        &baseline_one,
        &orders_hot,
        &baseline_hot,
    ]);
    println!(
        "\n{} spans received by the OTLP receiver",
        receiver.spans().len()
    );
    println!(
        "\nasync path: {backlog} messages undelivered across the four outboxes when the \
         8-client PlaceOrder load ended; drained in {:.2} s",
        drained.as_secs_f64()
    );
    println!(
        "receipt filling {} waiting lines: {:.1} ms with the small reservation table, \
         {:.1} ms with {backlog_rows} more rows: {:.2}x",
        receipts::FILLED,
        receipt_small.as_secs_f64() * 1000.0,
        receipt_large.as_secs_f64() * 1000.0,
        receipt_large.as_secs_f64() / receipt_small.as_secs_f64()
    );
    println!("\npeak resident memory after the PlaceOrder load (export off):");
    for (service, mib) in memory {
        match mib {
            Some(mib) => println!("  {service:<13} {mib:>7.1} MiB"),
            None => println!("  {service:<13} unknown"),
        }
    }
    listing::report(&list_small, &list_large, backlog_rows);
    plans::report(&list_plans);
    notice_latency::report(&notices);
    drain::report(&drain_small, &drain_large);
}

async fn new_orders(
    base: &Arc<Baseline>,
    name: &str,
    clients: usize,
    total: usize,
    lines: usize,
    catalogue: usize,
) -> Measurement {
    let base = base.clone();
    measure(
        name,
        clients,
        total,
        &Processes::database_only(),
        move |i| {
            let base = base.clone();
            async move { base.new_order(&items(i, lines, catalogue)).await }
        },
    )
    .await
}
