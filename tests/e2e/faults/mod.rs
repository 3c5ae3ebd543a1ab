//! Faults under load, on PostgreSQL: while clients place, cancel and ship
//! orders and buy, acknowledge and receive purchase orders, services are
//! killed with SIGKILL at random moments and started again (and, in the
//! second test, two replicas of every service share each database). Once
//! the load stops and messages settle, nothing accepted is lost and every
//! service's books agree with the others'.
//!
//! The moments are drawn from a seeded generator whose seed is printed;
//! `FAULT_SEED=<seed>` replays the same choices (the timing of a machine
//! never replays exactly).

mod books;
mod load;

use std::time::{Duration, Instant};

use backorder_proto::inventory::v1 as inv;
use backorder_proto::order::v1 as ord;
use backorder_proto::procurement::v1 as proc_;
use backorder_tests::{SERVICES, Suite, SuiteOptions, eventually, rid, settles};

use crate::fixtures::*;
use backorder_tests::rng::Rng;

use self::books::check_books;
use self::load::{Clients, Tally, buyer_load, customer_load, kill_at_random};

const SKUS: [&str; 3] = ["FAULT-A", "FAULT-B", "FAULT-C"];
const OPENING: i64 = 6;
const LEAD_TIME_DAYS: i32 = 5;
/// How long clients load the suite (and services are killed).
const LOAD: Duration = Duration::from_secs(25);
/// How long one client call is retried, with the same request id, while
/// services are down.
const RETRY_FOR: Duration = Duration::from_secs(20);
/// How long the books may take to settle after the load.
const SETTLE: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn services_killed_at_random_moments_lose_nothing_and_stock_adds_up() {
    load_and_check("services_killed_at_random_moments", 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_of_every_service_under_load_keep_the_books() {
    load_and_check("two_replicas_of_every_service", 2).await;
}

fn seed() -> u64 {
    std::env::var("FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

/// The suite's settings for the test: the order sweeper resumes orders left
/// pending by a crash within seconds, and a relay killed mid-delivery gives
/// its messages up to another after a short claim.
fn options(replicas: usize) -> SuiteOptions {
    let settings = [
        ("sweeper.interval_ms", "1000"),
        ("sweeper.first_attempt_after_ms", "3000"),
        ("sweeper.initial_backoff_ms", "1000"),
        ("sweeper.max_backoff_ms", "4000"),
        ("outbox.lease_ms", "4000"),
        ("outbox.call_timeout_ms", "2000"),
    ];
    SuiteOptions {
        settings: settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        replicas,
        ..SuiteOptions::processes(Vec::new())
    }
}

/// One supplier of every SKU (MOQ 1, case pack 1); returns its id.
async fn supplier_of_all(suite: &Suite) -> String {
    let mut procurement = suite.procurement().await;
    let supplier = procurement
        .create_supplier(proc_::CreateSupplierRequest {
            request_id: rid(),
            name: "Faults Supply Co".into(),
            lead_time_days: LEAD_TIME_DAYS,
        })
        .await
        .expect("create supplier")
        .into_inner()
        .supplier
        .expect("supplier");
    for sku in SKUS {
        procurement
            .set_supplier_item(proc_::SetSupplierItemRequest {
                request_id: rid(),
                supplier_id: supplier.id.clone(),
                sku: sku.into(),
                unit_cost_minor: 250,
                minimum_order_quantity: 1,
                case_pack: 1,
                preferred: true,
                drop_ship: false,
            })
            .await
            .expect("supplier item");
    }
    for sku in SKUS {
        eventually("inventory knows the supplier's lead time", WAIT, || async {
            let product = suite
                .inventory()
                .await
                .get_product(inv::GetProductRequest { sku: sku.into() })
                .await
                .ok()?
                .into_inner()
                .product?;
            (product.lead_time_days == Some(LEAD_TIME_DAYS)).then_some(())
        })
        .await;
    }
    supplier.id
}

async fn load_and_check(test: &str, replicas: usize) {
    if backorder_tests::postgres_server().is_none() {
        println!("{test}: needs PostgreSQL (set BACKORDER_TEST_DATABASE_URL); skipped on SQLite");
        return;
    }
    let seed = seed();
    println!("{test}: seed {seed} (FAULT_SEED={seed} replays its choices)");
    let began = Instant::now();
    let mut suite = Suite::start_with(options(replicas)).await;
    for sku in SKUS {
        product(&suite, sku, inv::BackorderPolicy::Allow, OPENING).await;
    }
    let supplier_id = supplier_of_all(&suite).await;
    let mut customers = Vec::new();
    for name in ["Ada", "Bo", "Cy"] {
        customers.push(customer(&suite, name).await);
    }

    let clients = Clients::of(&suite);
    let until = Instant::now() + LOAD;
    let mut rng = Rng::new(seed);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, customer_id) in customers.iter().enumerate() {
        let rng = Rng::new(seed ^ (0x1000 + i as u64));
        tasks.spawn(customer_load(
            clients.clone(),
            customer_id.clone(),
            rng,
            until,
        ));
    }
    tasks.spawn(buyer_load(
        clients.clone(),
        supplier_id.clone(),
        Rng::new(seed ^ 0x2000),
        until,
    ));
    let kills = kill_at_random(&mut suite, &mut rng, until).await;
    // Every replica runs again, whatever the last kill left.
    for service in SERVICES {
        for replica in 0..suite.replica_count() {
            if !suite.is_replica_running(service, replica) {
                suite.restart_replica(service, replica).await;
            }
        }
    }
    let mut tally = Tally::default();
    while let Some(done) = tasks.join_next().await {
        tally.merge(done.expect("client task"));
    }
    println!(
        "{test}: load done after {:.1}s; {} kills: {kills:?}",
        began.elapsed().as_secs_f64(),
        kills.len()
    );
    println!("{test}: calls: {:?}", tally.outcomes);
    println!(
        "{test}: {} orders accepted, {} unexpected answers",
        tally.accepted.len(),
        tally.unexpected.len()
    );

    let books = settles("the books of every service", SETTLE, || {
        check_books(&suite, &tally.accepted)
    })
    .await;
    println!(
        "{test}: books settled after {:.1}s: {}",
        began.elapsed().as_secs_f64(),
        books
    );
    // Every accepted order is there, on every replica.
    for id in &tally.accepted {
        for replica in 0..suite.replica_count() {
            suite
                .order_at(replica)
                .get_order(ord::GetOrderRequest {
                    order_id: id.clone(),
                })
                .await
                .unwrap_or_else(|e| panic!("accepted order {id} on replica {replica}: {e}"));
        }
    }
    for service in SERVICES {
        for replica in 0..suite.replica_count() {
            assert!(
                suite.is_replica_running(service, replica),
                "{service}[{replica}] stopped by itself; {}",
                suite.log_at(service, replica)
            );
        }
    }
    assert!(
        tally.unexpected.is_empty(),
        "answers no client should get: {:#?}",
        tally.unexpected
    );
    println!("{test}: passed in {:.1}s", began.elapsed().as_secs_f64());
}
