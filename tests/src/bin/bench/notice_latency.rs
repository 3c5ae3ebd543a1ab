//! Sale to first customer notice: PlaceOrder at a fixed open-loop rate, and
//! for each order the time from sending it to its first notification row in
//! notification's database. The row's own `created_at` is the arrival, so
//! the poll's interval adds nothing. Goal: p99 under 100 ms, and an outbox
//! backlog that does not grow at that rate.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1 as notif;
use backorder_proto::order::v1 as ord;
use backorder_tests::{Suite, rid};
use notification::store::notification::{Column, Entity};
use sea_orm::{ColumnTrait, Database, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use tokio::task::JoinSet;

use crate::measure::items;
use crate::orders::{Shop, sku};
use crate::settle::undelivered_in;

/// How long orders are placed.
const RUN: Duration = Duration::from_secs(10);
/// Every this many orders one has a backordered line besides its in-stock one.
const BACKORDER_EVERY: usize = 4;

/// The figures of one run.
pub struct NoticeLatency {
    pub rate: f64,
    pub placed: usize,
    pub backordered: usize,
    pub latencies_ms: Vec<f64>,
    pub backlog_before: u64,
    pub backlog_after: u64,
    /// The backlog once a second while orders were placed.
    pub backlog_samples: Vec<u64>,
}

/// What the placing tasks and the poller share.
#[derive(Default)]
struct Watch {
    /// Sends not yet matched to a notice: sequence number to send time.
    unmatched: BTreeMap<usize, f64>,
    /// Order ids answered, to their sequence number and send time.
    orders: HashMap<String, (usize, f64)>,
    /// The first notice seen per order id (Unix ms).
    first_notice: HashMap<String, i64>,
}

impl Watch {
    fn settle(&mut self, order_id: &str) {
        if self.first_notice.contains_key(order_id)
            && let Some((seq, _)) = self.orders.get(order_id)
        {
            self.unmatched.remove(seq);
        }
    }
}

fn unix_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// The smallest UUID v7 of millisecond `ms`: notification ids are the
/// order service's outbox message ids (UUID v7), so `id >=` this reads the
/// customer's index from that time on.
fn v7_floor(ms: i64) -> String {
    format!(
        "{:08x}-{:04x}-0000-0000-000000000000",
        ms >> 16,
        ms & 0xffff
    )
}

/// Reads the customer's notices every 5 ms, from the oldest send not yet
/// matched on (an index range of the customer's notices), until aborted.
async fn poll(db: DatabaseConnection, customer: String, watch: Arc<Mutex<Watch>>) {
    loop {
        let floor = {
            let watch = watch.lock().expect("watch");
            let oldest = watch.unmatched.values().copied().reduce(f64::min);
            oldest.unwrap_or_else(unix_ms) as i64 - 20
        };
        let rows: Vec<(String, i64)> = Entity::find()
            .select_only()
            .column(Column::OrderId)
            .column(Column::CreatedAt)
            .filter(Column::CustomerId.eq(customer.as_str()))
            .filter(Column::Id.gte(v7_floor(floor)))
            .into_tuple()
            .all(&db)
            .await
            .expect("notices");
        {
            let mut watched = watch.lock().expect("watch");
            for (order_id, created_at) in rows {
                let first = watched.first_notice.entry(order_id.clone());
                let first = first.or_insert(created_at);
                *first = (*first).min(created_at);
                watched.settle(&order_id);
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A customer of the run's own (so the poll reads only its notices) and a
/// product out of stock that takes backorders.
async fn open(suite: &Suite) -> (String, String) {
    let customer = rid();
    let person = notif::Customer {
        id: customer.clone(),
        name: "Notice bench".into(),
        email: "notice@example.com".into(),
        channels: vec![notif::Channel::Email as i32],
        ..Default::default()
    };
    let mut notification = suite.notification().await;
    let request = notif::UpsertCustomerRequest {
        request_id: rid(),
        customer: Some(person),
    };
    notification
        .upsert_customer(request)
        .await
        .expect("customer");
    let waiting_sku = format!("NTC-{}", &rid()[30..]);
    let product = inv::CreateProductRequest {
        request_id: rid(),
        sku: waiting_sku.clone(),
        name: "notice bench, out of stock".into(),
        backorder_policy: inv::BackorderPolicy::Allow as i32,
        backorder_cap: 0,
        price_minor: 0,
        inbound_margin: 0,
    };
    let mut inventory = suite.inventory().await;
    inventory.create_product(product).await.expect("product");
    (customer, waiting_sku)
}

/// Places orders at `rate` per second for [`RUN`], each with one in-stock
/// line of the shop's catalogue, every [`BACKORDER_EVERY`]th with a line of
/// the product out of stock too. The outbox backlog is counted before, at
/// each second (between two sends) and when the last order is answered.
pub async fn measure(suite: &Suite, shop: &Shop, rate: f64) -> NoticeLatency {
    crate::drain(suite).await;
    let (customer, waiting_sku) = open(suite).await;
    let outboxes = crate::settle::connect(suite).await;
    let notices = Database::connect(suite.database_url("notification"))
        .await
        .expect("notification database");
    let watch = Arc::new(Mutex::new(Watch::default()));
    let poller = tokio::spawn(poll(notices, customer.clone(), watch.clone()));
    let backlog_before = undelivered_in(&outboxes).await;
    let mut backlog_samples = Vec::new();
    let total = ((rate * RUN.as_secs_f64()) as usize).max(1);
    let per_second = (rate.round() as usize).max(1);
    let period = Duration::from_secs_f64(1.0 / rate);
    let started = tokio::time::Instant::now();
    let mut placing = JoinSet::new();
    for i in 0..total {
        if i > 0 && i % per_second == 0 {
            backlog_samples.push(undelivered_in(&outboxes).await);
        }
        tokio::time::sleep_until(started + period.mul_f64(i as f64)).await;
        let mut lines = vec![ord::PlaceOrderLine {
            sku: sku(&shop.prefix, items(i, 1, crate::CATALOGUE)[0]),
            quantity: 1,
        }];
        if i % BACKORDER_EVERY == 0 {
            let sku = waiting_sku.clone();
            lines.push(ord::PlaceOrderLine { sku, quantity: 1 });
        }
        let request = ord::PlaceOrderRequest {
            request_id: rid(),
            customer_id: customer.clone(),
            lines,
            accept_backorders: true,
            ship_policy: ord::ShipPolicy::AsAvailable as i32,
            ..Default::default()
        };
        let (mut client, watch) = (shop.orders.clone(), watch.clone());
        placing.spawn(async move {
            let sent = unix_ms();
            watch.lock().expect("watch").unmatched.insert(i, sent);
            let response = client.place_order(request).await.expect("place order");
            let order = response.into_inner().order.expect("an order");
            let mut watch = watch.lock().expect("watch");
            watch.orders.insert(order.id.clone(), (i, sent));
            watch.settle(&order.id);
        });
    }
    while let Some(result) = placing.join_next().await {
        result.expect("placing");
    }
    let backlog_after = undelivered_in(&outboxes).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !watch.lock().expect("watch").unmatched.is_empty()
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    poller.abort();
    let watch = watch.lock().expect("watch");
    let mut latencies_ms: Vec<f64> = (watch.orders.iter())
        .filter_map(|(order_id, (_, sent))| Some(*watch.first_notice.get(order_id)? as f64 - sent))
        .collect();
    latencies_ms.sort_by(f64::total_cmp);
    NoticeLatency {
        rate,
        placed: total,
        backordered: total.div_ceil(BACKORDER_EVERY),
        latencies_ms,
        backlog_before,
        backlog_after,
        backlog_samples,
    }
}

/// The figures.
pub fn report(n: &NoticeLatency) {
    let pick = |q: f64| {
        let index = ((n.latencies_ms.len() as f64 - 1.0) * q).round() as usize;
        n.latencies_ms.get(index).copied().unwrap_or(f64::NAN)
    };
    println!(
        "\nsale to first customer notice: {} orders at {:.0}/s open loop (half the 8-client \
         PlaceOrder rate) for {} s, 1 in-stock line each, {} with a backordered line too",
        n.placed,
        n.rate,
        RUN.as_secs(),
        n.backordered
    );
    println!(
        "  PlaceOrder sent to notification row: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms \
         (goal: p99 under 100 ms); {} orders without a notice after 60 s",
        pick(0.5),
        pick(0.99),
        n.latencies_ms.last().copied().unwrap_or(f64::NAN),
        n.placed - n.latencies_ms.len(),
    );
    let grew = if n.backlog_after > n.backlog_before {
        "larger than at the start"
    } else {
        "not larger than at the start"
    };
    println!(
        "  undelivered outbox messages (four outboxes): {} at the start, {:?} each second, \
         {} when the last order was answered: {grew}",
        n.backlog_before, n.backlog_samples, n.backlog_after,
    );
}
