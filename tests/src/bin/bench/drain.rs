//! Outbox drain at scale: undelivered notices written straight into the
//! order service's outbox (as its placements write them, in one
//! transaction), then timed until its relay has delivered every one to the
//! notification service. A relay reads the head of its queue from an index,
//! so the rate must not fall with the backlog: the goal is a large drain at
//! least 0.5x as fast as a small one.

use std::time::{Duration, Instant};

use backorder_platform::store::outbox_message;
use backorder_platform::time::now_ms;
use backorder_proto::notification::v1 as notif;
use backorder_proto::{Peer, Rpc};
use backorder_tests::{Suite, rid};
use prost::Message;
use sea_orm::{Database, DatabaseConnection, EntityTrait, Set, TransactionTrait};

use crate::settle::undelivered;

/// Rows per INSERT: 13 parameters each stays under SQLite's 32,766.
const ROWS_PER_STATEMENT: usize = 2_000;
/// A drain that delivers nothing for this long has stalled (a service
/// down): the bench stops instead of waiting for ever.
const STALL: Duration = Duration::from_secs(30);
/// Messages of the small drain.
pub const SMALL: usize = 1_000;

/// One drain: how many messages, how long.
#[derive(Clone, Copy, Debug)]
pub struct Drain {
    pub messages: usize,
    pub elapsed: Duration,
}

impl Drain {
    pub fn rate(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }
}

/// An undelivered ORDER_CONFIRMED notice for `customer`, due now.
fn message(customer: &str, now: i64) -> outbox_message::ActiveModel {
    let id = rid();
    let payload = notif::NotifyRequest {
        request_id: id.clone(),
        customer_id: customer.to_owned(),
        order_id: rid(),
        event: notif::NotificationEvent::OrderConfirmed as i32,
        detail: "outbox drain bench".into(),
        ..Default::default()
    }
    .encode_to_vec();
    outbox_message::ActiveModel {
        id: Set(id),
        destination: Set(Peer::Notification.name().to_owned()),
        method: Set(<notif::NotifyRequest as Rpc>::PATH.to_owned()),
        payload: Set(payload),
        trace_context: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        lease_owner: Set(None),
        delivered_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        dropped_at: Set(None),
    }
}

/// Whether message `id` has been delivered.
async fn delivered(db: &DatabaseConnection, id: &str) -> bool {
    outbox_message::Entity::find_by_id(id.to_owned())
        .one(db)
        .await
        .expect("message")
        .is_some_and(|m| m.delivered_at.is_some())
}

/// Writes `messages` notices for `customer` into the order service's
/// outbox in one transaction, and times from its commit until none is
/// left undelivered.
///
/// The relay delivers a destination's messages in id order, so it polls
/// the newest message (one row) every 50 ms and confirms with a count of
/// the whole outbox, which on its own would read up to 100,000 index
/// entries 20 times a second beside the relay it measures.
pub async fn drain(suite: &Suite, customer: &str, messages: usize) -> Drain {
    crate::drain(suite).await;
    let db = Database::connect(suite.database_url("order"))
        .await
        .expect("order database");
    let now = now_ms();
    let rows: Vec<_> = (0..messages).map(|_| message(customer, now)).collect();
    let last = rows.last().expect("a message").id.clone().unwrap();
    let txn = db.begin().await.expect("transaction");
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        outbox_message::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await
            .expect("messages");
    }
    txn.commit().await.expect("commit");
    let started = Instant::now();
    let (mut left, mut checked) = (u64::MAX, Instant::now());
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if delivered(&db, &last).await && undelivered(&db).await == 0 {
            return Drain {
                messages,
                elapsed: started.elapsed(),
            };
        }
        if checked.elapsed() > STALL {
            let now_left = undelivered(&db).await;
            assert!(now_left < left, "no delivery in {STALL:?}, {now_left} left");
            (left, checked) = (now_left, Instant::now());
        }
    }
}

/// The figures, and the large rate over the small.
pub fn report(small: &Drain, large: &Drain) {
    println!(
        "\noutbox drain (order -> notification; messages written straight into the outbox, \
         timed from commit to none undelivered):"
    );
    for d in [small, large] {
        println!(
            "  {:>7} messages: {:>8.2} s, {:>8.0} messages/s",
            d.messages,
            d.elapsed.as_secs_f64(),
            d.rate()
        );
    }
    println!(
        "  rate with {} over rate with {}: {:.2}x (goal: at least 0.5x)",
        large.messages,
        small.messages,
        large.rate() / small.rate()
    );
}
