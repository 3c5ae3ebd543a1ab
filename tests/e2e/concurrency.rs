//! Nothing oversold, whatever the concurrency.

use backorder_proto::inventory::v1 as inv;
use backorder_tests::Suite;

use crate::fixtures::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_orders_for_the_last_ten_units_reserve_exactly_ten() {
    let suite = Suite::start().await;
    product(&suite, "LAST-10", inv::BackorderPolicy::Allow, 10).await;
    let customer_id = customer(&suite, "Crowd").await;

    let mut tasks = Vec::new();
    for _ in 0..50 {
        let mut client = suite.order().await;
        let request = order_request(&customer_id, &[("LAST-10", 1)]);
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

    assert_eq!((reserved, backordered), (10, 40));
    let level = stock(&suite, "LAST-10").await;
    assert_eq!(
        (
            level.on_hand,
            level.reserved,
            level.available,
            level.backordered
        ),
        (10, 10, 0, 40)
    );
}
