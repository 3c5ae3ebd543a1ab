//! The pending-order sweeper in the running service: orders that keep
//! failing back off on their own schedule and do not starve later ones,
//! and the sweeper stops with the service.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use backorder_proto::order::v1 as pb;
use order::store::customer_order;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tonic::Code;

use crate::fake_peers::{FakePeers, outage, reserve_all};
use crate::helpers::{WAIT, call, eventually, place_request, rid, spawn_app};

const PENDING: i32 = 1;
const READY: i32 = 3;

/// Short timings: sweeps every 20 ms, two orders per sweep, an order first
/// swept 200 ms after it was placed (after its own PlaceOrder's attempt),
/// and a failed order waits 300 ms (many sweeps) before its next attempt.
const FAST_SWEEPER: &[(&str, &str)] = &[
    ("sweeper.interval_ms", "20"),
    ("sweeper.first_attempt_after_ms", "200"),
    ("sweeper.batch_size", "2"),
    ("sweeper.initial_backoff_ms", "300"),
    ("sweeper.max_backoff_ms", "1000"),
];

#[tokio::test(flavor = "multi_thread")]
async fn later_pending_orders_are_swept_although_earlier_ones_keep_failing() {
    let fake = FakePeers::start().await;
    // BAD orders find inventory down for good; the GOOD one only the first
    // time (its own PlaceOrder), then reserves.
    let good_refused_once = Arc::new(AtomicBool::new(false));
    fake.script(move |req, _| {
        let good_refused_once = good_refused_once.clone();
        async move {
            let bad = req.lines.iter().any(|l| l.sku.starts_with("BAD"));
            if bad || !good_refused_once.swap(true, Ordering::SeqCst) {
                Err(outage())
            } else {
                Ok(reserve_all(&req))
            }
        }
    });
    let app = spawn_app("sweeper_starve", &fake.address, &fake.address, FAST_SWEEPER).await;
    let client = app.client().await;

    let bad_customer = rid();
    for sku in ["BAD-1", "BAD-2"] {
        let status = client
            .clone()
            .place_order(call(place_request(&bad_customer, &[(sku, 1)])))
            .await
            .expect_err("inventory down for it");
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    }
    let good_customer = rid();
    let status = client
        .clone()
        .place_order(call(place_request(&good_customer, &[("GOOD-1", 1)])))
        .await
        .expect_err("inventory down the first time");
    assert_eq!(status.code(), Code::Unavailable);

    let good = eventually("the later order to be swept", WAIT, || {
        let mut client = client.clone();
        let good_customer = good_customer.clone();
        async move {
            let orders = client
                .list_orders(call(pb::ListOrdersRequest {
                    customer_id: good_customer,
                    ..Default::default()
                }))
                .await
                .expect("list")
                .into_inner()
                .orders;
            orders.into_iter().find(|o| o.status == READY)
        }
    })
    .await;
    assert_eq!(good.lines[0].sku, "GOOD-1");

    let bad = customer_order::Entity::find()
        .filter(customer_order::Column::CustomerId.eq(bad_customer))
        .all(&app.db)
        .await
        .expect("bad orders");
    assert_eq!(bad.len(), 2);
    for order in &bad {
        assert_eq!(order.status, PENDING, "still failing, still pending");
        assert!(order.attempts >= 1, "tried by the sweeper");
        assert!(
            order.next_attempt_at > order.created_at,
            "backed off to its own next attempt"
        );
    }
    app.stop().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sweeper_stops_when_the_service_stops() {
    let fake = FakePeers::start().await;
    fake.script(|_, _| async { Err(outage()) });
    let app = spawn_app("sweeper_stop", &fake.address, &fake.address, FAST_SWEEPER).await;
    let mut client = app.client().await;
    // Something for the sweeper to work on while it is asked to stop.
    client
        .place_order(call(place_request(&rid(), &[("BAD-1", 1)])))
        .await
        .expect_err("inventory down");
    eventually("the sweeper to try the order", WAIT, || {
        let seen = fake.seen.clone();
        async move { (seen.reserve_calls.load(Ordering::SeqCst) >= 2).then_some(()) }
    })
    .await;
    // `stop` fails the test if the service (sweeper included) is not done
    // within the deadline.
    app.stop().await.expect("clean stop");
}
