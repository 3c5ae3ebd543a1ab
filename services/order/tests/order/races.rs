//! Concurrent attempts at one placement (a client's twin calls, the
//! sweeper and a retry) with inventory answering one of them STOCKOUT after
//! the other completed the order: the completed order must survive, once,
//! and agree with what inventory holds. Real parallel callers; meaningful
//! on PostgreSQL (run with BACKORDER_TEST_DATABASE_URL), also run on SQLite.

use std::sync::Arc;
use std::time::Duration;

use backorder_platform::ServiceResult;
use backorder_proto::order::v1 as pb;
use order::domain::sweep::Backoff;
use order::store::customer_order;
use order::workers::pending_sweeper::{self, Schedule};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use tokio::sync::Barrier;

use crate::fake_peers::{outage, reserve_all, stockout};
use crate::helpers::{Harness, WAIT, bounded, eventually, harness, place_request, rid};

const PENDING: i32 = 1;

async fn order_status(db: &DatabaseConnection, order_id: &str) -> Option<i32> {
    customer_order::Entity::find_by_id(order_id.to_owned())
        .one(db)
        .await
        .expect("order query")
        .map(|o| o.status)
}

/// Reservation calls from `first_call` on meet at a barrier of two; the
/// first to arrive reserves, the other waits until that order has left
/// PENDING and then answers STOCKOUT, as inventory did when a twin found
/// the first call's units gone.
fn ok_then_stockout_after_completion(h: &Harness, first_call: usize) {
    let barrier = Arc::new(Barrier::new(2));
    let db = h.db.clone();
    h.fake.script(move |req, call| {
        let barrier = barrier.clone();
        let db = db.clone();
        async move {
            if call < first_call {
                return Err(outage());
            }
            if tokio::time::timeout(WAIT, barrier.wait()).await.is_err() {
                return Err(tonic::Status::internal(
                    "the twin attempt never reached inventory",
                ));
            }
            if call == first_call {
                return Ok(reserve_all(&req));
            }
            let order_id = req.order_id.clone();
            eventually("the first attempt to complete the order", WAIT, || {
                let db = db.clone();
                let order_id = order_id.clone();
                async move {
                    order_status(&db, &order_id)
                        .await
                        .filter(|s| *s != PENDING)
                        .map(|_| ())
                }
            })
            .await;
            Err(stockout())
        }
    });
}

/// The customer's one order, checked against inventory's reservation.
async fn the_one_order_agrees_with_inventory(h: &Harness, customer: &str) -> pb::Order {
    let orders = h.orders_of(customer).await;
    assert_eq!(orders.len(), 1, "the order exists exactly once: {orders:?}");
    let order = orders.into_iter().next().expect("one order");
    assert_ne!(order.status, PENDING);
    assert_eq!(
        h.fake.seen.reserved_orders(),
        std::slice::from_ref(&order.id),
        "inventory holds the reservation of that order and no other"
    );
    let held = h
        .fake
        .seen
        .reserved
        .lock()
        .expect("reserved")
        .get(&order.id)
        .cloned()
        .expect("reservation");
    for (line, reserved) in order.lines.iter().zip(&held.lines) {
        assert_eq!(line.id, reserved.line_id);
        assert_eq!(line.reserved_quantity, reserved.reserved_quantity);
        assert_eq!(line.backordered_quantity, reserved.backordered_quantity);
    }
    order
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twin_place_orders_never_delete_the_order_one_of_them_completed() {
    let h = harness("twin_place").await;
    ok_then_stockout_after_completion(&h, 0);
    let customer = rid();
    let request = place_request(&customer, &[("PEN-1", 2), ("INK-2", 1)]);

    let first = tokio::spawn({
        let api = h.api.clone();
        let request = request.clone();
        async move { api.place_order(request).await }
    });
    let twin = tokio::spawn({
        let api = h.api.clone();
        let request = request.clone();
        async move { api.place_order(request).await }
    });
    let (first, twin) = bounded("both calls", WAIT * 2, async {
        (
            first.await.expect("first task"),
            twin.await.expect("twin task"),
        )
    })
    .await;

    let first = first
        .expect("the first call places the order")
        .order
        .expect("order");
    let twin = twin
        .expect("the twin answers with the completed order")
        .order
        .expect("order");
    assert_eq!(first.id, twin.id);
    let order = the_one_order_agrees_with_inventory(&h, &customer).await;
    assert_eq!(order.id, first.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sweeper_racing_a_retry_leaves_one_order_that_agrees_with_inventory() {
    let h = harness("sweeper_retry").await;
    ok_then_stockout_after_completion(&h, 1);
    let customer = rid();
    let request = place_request(&customer, &[("PEN-1", 2)]);
    let down = h
        .api
        .place_order(request.clone())
        .await
        .expect_err("inventory down");
    assert_eq!(down.code(), tonic::Code::Unavailable);
    // Due for the sweeper now, not after the configured grace.
    h.db.execute_unprepared("UPDATE customer_order SET next_attempt_at = 0")
        .await
        .expect("make it due");

    let schedule = Schedule {
        interval: Duration::from_millis(10),
        batch_size: 10,
        backoff: Backoff {
            initial: Duration::from_secs(60),
            max: Duration::from_secs(60),
        },
    };
    let sweep = tokio::spawn({
        let api = h.api.clone();
        async move { pending_sweeper::sweep(&api, &schedule).await }
    });
    let retry = tokio::spawn({
        let api = h.api.clone();
        async move { api.place_order(request).await }
    });
    let (swept, retried): (usize, ServiceResult<pb::PlaceOrderResponse>) =
        bounded("sweeper and retry", WAIT * 2, async {
            (
                sweep.await.expect("sweep task"),
                retry.await.expect("retry task"),
            )
        })
        .await;

    assert_eq!(swept, 1, "the sweeper tried the pending order");
    let retried = retried
        .expect("the retry answers with the order")
        .order
        .expect("order");
    let order = the_one_order_agrees_with_inventory(&h, &customer).await;
    assert_eq!(order.id, retried.id);
}
