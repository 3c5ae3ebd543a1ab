//! `make bench`: throughput and latency of the suite's hot paths, each
//! reported as a ratio against a baseline measured in the same run on the
//! same machine (absolute numbers vary by machine; ratios travel).
//!
//! - baseline: `grpc.health.v1.Health/Check` on inventory (transport floor);
//! - `GetProduct` (one indexed read);
//! - `PlaceOrder` of an in-stock line (order + inventory, two transactions
//!   plus the outbox write, over two gRPC hops);
//! - `PlaceOrder` again with OTLP trace export on, against an in-process
//!   OTLP receiver: the cost of tracing per request.

use std::time::{Duration, Instant};

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1 as notif;
use backorder_proto::order::v1 as ord;
use backorder_tests::otlp::OtlpReceiver;
use backorder_tests::{Suite, SuiteOptions, rid};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

const CONCURRENCY: usize = 16;

#[derive(Clone, Copy)]
struct Measurement {
    name: &'static str,
    ops_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

async fn measure<F, Fut>(name: &'static str, total: usize, op: F) -> Measurement
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    // Warm up connections, caches and the page cache.
    for i in 0..CONCURRENCY {
        op(usize::MAX - i).await;
    }
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..CONCURRENCY {
        let op = op.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = w;
            while i < total {
                let t = Instant::now();
                op(i).await;
                latencies.push(t.elapsed());
                i += CONCURRENCY;
            }
            latencies
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap_or_default());
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pick = |q: f64| {
        let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies
            .get(index)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Measurement {
        name,
        ops_per_sec: latencies.len() as f64 / elapsed,
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
    }
}

async fn place_orders(suite: &Suite, name: &'static str, total: usize) -> Measurement {
    let sku = format!("BENCH-{}", &rid()[24..]);
    let mut inventory = suite.inventory().await;
    inventory
        .create_product(inv::CreateProductRequest {
            request_id: rid(),
            sku: sku.clone(),
            name: "bench".into(),
            backorder_policy: inv::BackorderPolicy::Allow as i32,
            backorder_cap: 0,
        })
        .await
        .expect("product");
    inventory
        .adjust_stock(inv::AdjustStockRequest {
            request_id: rid(),
            sku: sku.clone(),
            delta: 1_000_000,
            reason: "bench".into(),
        })
        .await
        .expect("stock");
    let customer = rid();
    suite
        .notification()
        .await
        .upsert_customer(notif::UpsertCustomerRequest {
            request_id: rid(),
            customer: Some(notif::Customer {
                id: customer.clone(),
                name: "Bench".into(),
                email: "bench@example.com".into(),
                channels: vec![notif::Channel::Email as i32],
                ..Default::default()
            }),
        })
        .await
        .expect("customer");
    let client = suite.order().await;
    measure(name, total, move |_| {
        let mut client = client.clone();
        let request = ord::PlaceOrderRequest {
            request_id: rid(),
            customer_id: customer.clone(),
            lines: vec![ord::PlaceOrderLine {
                sku: sku.clone(),
                quantity: 1,
            }],
            accept_backorders: true,
            ship_policy: ord::ShipPolicy::AsAvailable as i32,
        };
        async move {
            client.place_order(request).await.expect("place order");
        }
    })
    .await
}

fn report(baseline: &Measurement, rows: &[&Measurement]) {
    println!(
        "{:<34} {:>10} {:>9} {:>9} {:>14}",
        "operation", "ops/s", "p50 ms", "p99 ms", "vs baseline"
    );
    for m in rows {
        println!(
            "{:<34} {:>10.0} {:>9.2} {:>9.2} {:>13.2}x",
            m.name,
            m.ops_per_sec,
            m.p50_ms,
            m.p99_ms,
            baseline.ops_per_sec / m.ops_per_sec
        );
    }
}

#[tokio::main]
async fn main() {
    let requests: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let quiet = vec![("RUST_LOG".to_owned(), "warn".to_owned())];
    println!(
        "backend: {}",
        backorder_tests::postgres_server().map_or("SQLite".into(), |_| "PostgreSQL".to_owned())
    );
    println!("{requests} requests per measurement, {CONCURRENCY} concurrent clients\n");

    let plain = Suite::start_with(SuiteOptions::processes(quiet.clone())).await;
    let health = HealthClient::new(plain.raw_channel("inventory").await);
    let baseline = measure("health check (baseline)", requests, move |_| {
        let mut health = health.clone();
        async move {
            health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .expect("health");
        }
    })
    .await;
    let mut inventory = plain.inventory().await;
    inventory
        .create_product(inv::CreateProductRequest {
            request_id: rid(),
            sku: "READ-1".into(),
            name: "read".into(),
            backorder_policy: inv::BackorderPolicy::Deny as i32,
            backorder_cap: 0,
        })
        .await
        .expect("product");
    let reads = measure("GetProduct", requests, move |_| {
        let mut inventory = inventory.clone();
        async move {
            inventory
                .get_product(inv::GetProductRequest {
                    sku: "READ-1".into(),
                })
                .await
                .expect("get");
        }
    })
    .await;
    drop(plain);

    // Export off and on alternate, twice, so drift in the machine's load
    // hits both alike; each suite starts from fresh databases.
    let receiver = OtlpReceiver::start().await;
    let mut off = Vec::new();
    let mut on = Vec::new();
    for _ in 0..2 {
        let plain = Suite::start_with(SuiteOptions::processes(quiet.clone())).await;
        off.push(place_orders(&plain, "PlaceOrder, trace export off", requests / 4).await);
        drop(plain);
        let mut traced_env = quiet.clone();
        traced_env.push(("OTEL_EXPORTER_OTLP_ENDPOINT".into(), receiver.endpoint()));
        let traced = Suite::start_with(SuiteOptions::processes(traced_env)).await;
        on.push(place_orders(&traced, "PlaceOrder, trace export on", requests / 4).await);
        drop(traced);
    }
    let best = |runs: &[Measurement]| {
        runs.iter()
            .max_by(|a, b| a.ops_per_sec.total_cmp(&b.ops_per_sec))
            .copied()
    };
    let (Some(orders_off), Some(orders_on)) = (best(&off), best(&on)) else {
        return;
    };

    report(&baseline, &[&baseline, &reads, &orders_off, &orders_on]);
    println!(
        "\ntracing cost: PlaceOrder with export on takes {:.2}x the time of export off \
         (best of 2 each; p50 {:.2} vs {:.2} ms, p99 {:.2} vs {:.2} ms); {} spans received",
        orders_off.ops_per_sec / orders_on.ops_per_sec,
        orders_on.p50_ms,
        orders_off.p50_ms,
        orders_on.p99_ms,
        orders_off.p99_ms,
        receiver.spans().len()
    );
}
