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

mod baseline;
mod measure;
mod orders;

use std::sync::Arc;

use backorder_tests::otlp::OtlpReceiver;
use backorder_tests::{SERVICES, Suite, SuiteOptions};

use crate::baseline::Baseline;

use crate::measure::{Measurement, compare, header, items, measure};
use crate::orders::Shop;

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
    let orders_many = shop
        .place_orders("PlaceOrder, 5 lines", 8, many, LINES, CATALOGUE)
        .await;
    let orders_one = shop
        .place_orders("PlaceOrder, 5 lines", 1, few, LINES, CATALOGUE)
        .await;
    let orders_hot = shop
        .place_orders("PlaceOrder, every order on one SKU", 8, many, 1, 1)
        .await;
    let memory: Vec<(String, Option<f64>)> = SERVICES
        .iter()
        .map(|s| ((*s).to_owned(), plain.pid(s).and_then(peak_rss_mib)))
        .collect();
    drop(plain);

    let receiver = OtlpReceiver::start().await;
    let endpoint = receiver.endpoint();
    let traced = suite(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)]).await;
    let shop = Shop::open(&traced, CATALOGUE).await;
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
    println!(
        "\n{} spans received by the OTLP receiver",
        receiver.spans().len()
    );
    println!("\npeak resident memory after the PlaceOrder load (export off):");
    for (service, mib) in memory {
        match mib {
            Some(mib) => println!("  {service:<13} {mib:>7.1} MiB"),
            None => println!("  {service:<13} unknown"),
        }
    }
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
    measure(name, clients, total, move |i| {
        let base = base.clone();
        async move { base.new_order(&items(i, lines, catalogue)).await }
    })
    .await
}
