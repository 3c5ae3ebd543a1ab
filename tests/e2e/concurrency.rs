//! Nothing oversold, whatever the concurrency.

use backorder_proto::inventory::v1 as inv;
use backorder_tests::Suite;
use tonic::Code;

use crate::fixtures::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_for_the_last_units_reserve_exactly_those_units() {
    let suite = Suite::start().await;
    // SQLite has one connection per service: calls queue for it, so a
    // crowd there only measures the queue against the pool's acquire
    // timeout. PostgreSQL takes the real crowd.
    let (callers, units) = if suite.is_postgres() {
        (50, 10)
    } else {
        (16, 4)
    };
    product(&suite, "LAST-UNITS", inv::BackorderPolicy::Allow, units).await;
    let customer_id = customer(&suite, "Crowd").await;

    let mut tasks = Vec::new();
    for _ in 0..callers {
        let mut client = suite.order().await;
        let request = order_request(&customer_id, &[("LAST-UNITS", 1)]);
        tasks.push(tokio::spawn(
            async move { client.place_order(request).await },
        ));
    }
    let mut reserved = 0;
    let mut backordered = 0;
    for task in tasks {
        let order = task
            .await
            .expect("task")
            .expect("every order is accepted")
            .into_inner()
            .order
            .expect("order");
        reserved += order.lines[0].reserved_quantity;
        backordered += order.lines[0].backordered_quantity;
    }

    assert_eq!((reserved, backordered), (units, callers - units));
    let level = stock(&suite, "LAST-UNITS").await;
    assert_eq!(
        (
            level.on_hand,
            level.reserved,
            level.available,
            level.backordered
        ),
        (units, units, 0, callers - units)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_naming_two_skus_in_opposite_orders_at_once_never_deadlock_or_oversell() {
    let suite = Suite::start().await;
    let (callers, units) = if suite.is_postgres() {
        (40, 10)
    } else {
        (12, 3)
    };
    // Deny: an order either gets one of each or is refused whole.
    product(&suite, "PAIR-A", inv::BackorderPolicy::Deny, units).await;
    product(&suite, "PAIR-B", inv::BackorderPolicy::Deny, units).await;
    let customer_id = customer(&suite, "Pairs").await;

    let mut tasks = Vec::new();
    for i in 0..callers {
        let mut client = suite.order().await;
        let lines: &[(&str, i64)] = if i % 2 == 0 {
            &[("PAIR-A", 1), ("PAIR-B", 1)]
        } else {
            &[("PAIR-B", 1), ("PAIR-A", 1)]
        };
        let request = order_request(&customer_id, lines);
        tasks.push(tokio::spawn(
            async move { client.place_order(request).await },
        ));
    }
    let mut accepted = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(placed) => {
                let order = placed.into_inner().order.expect("order");
                assert!(
                    order.lines.iter().all(|l| l.reserved_quantity == 1),
                    "{order:?}"
                );
                accepted += 1;
            }
            // The only refusal there may be: no stock left. A deadlock or
            // a serialization failure must never reach a caller.
            Err(status) => {
                assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                let reason = tonic_types::StatusExt::get_error_details(&status)
                    .error_info()
                    .map(|i| i.reason.clone());
                assert_eq!(reason.as_deref(), Some("STOCKOUT"), "{status:?}");
            }
        }
    }

    assert_eq!(accepted, units, "every pair sold, none twice");
    for sku in ["PAIR-A", "PAIR-B"] {
        let level = stock(&suite, sku).await;
        assert_eq!(
            (level.on_hand, level.reserved, level.available),
            (units, units, 0),
            "{sku}"
        );
    }
}
