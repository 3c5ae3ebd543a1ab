//! Nothing lost: messages wait in the outbox while a receiver is down and
//! arrive exactly once in effect when it is back.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1::LineStatus;
use backorder_tests::{Suite, eventually, rid};

use crate::fixtures::*;

#[tokio::test(flavor = "multi_thread")]
async fn messages_to_stopped_services_arrive_exactly_once_after_restart() {
    let mut suite = Suite::start().await;
    product(&suite, "BOOK-1", inv::BackorderPolicy::Allow, 0).await;
    let supplier_id = supplier(&suite, "BOOK-1", 4, 1, 1).await;
    let customers = [
        customer(&suite, "Hal").await,
        customer(&suite, "Ivy").await,
        customer(&suite, "Jon").await,
    ];

    suite.stop("procurement");
    suite.stop("notification");

    let mut placed = Vec::new();
    for c in &customers {
        placed.push(place(&suite, c, &[("BOOK-1", 2)]).await);
    }
    // Stock arrives while procurement and notification are down: inventory
    // allocates and tells order, which queues messages for notification.
    suite
        .inventory()
        .await
        .receive_stock(inv::ReceiveStockRequest {
            request_id: rid(),
            sku: "BOOK-1".into(),
            quantity: 4,
            purchase_order_id: String::new(),
        })
        .await
        .expect("receive");
    wait_line_statuses(&suite, &placed[0].id, &[LineStatus::Ready]).await;
    wait_line_statuses(&suite, &placed[1].id, &[LineStatus::Ready]).await;
    assert_eq!(
        get_order(&suite, &placed[2].id).await.lines[0].status,
        LineStatus::Backordered as i32
    );

    suite.restart("procurement").await;
    suite.restart("notification").await;

    // Every demand arrives once, and the two lines stock filled meanwhile
    // close theirs: the draft PO buys for the one line still waiting.
    eventually("open demand consolidated once", WAIT, || async {
        let pos = purchase_orders(&suite, &supplier_id).await;
        let line = pos.first().and_then(|p| p.lines.first()).cloned()?;
        (line.demand_quantity == 2 && line.ordered_quantity == 2).then_some(())
    })
    .await;
    // Every customer hears each event once, in order. The two lines filled
    // while procurement was down never hear an ETA: it arrived after their
    // stock did, and a filled line ignores stale ETAs.
    wait_notifications(
        &suite,
        &customers[0],
        &[Ev::OrderConfirmed, Ev::Backordered, Ev::Ready],
    )
    .await;
    wait_notifications(
        &suite,
        &customers[1],
        &[Ev::OrderConfirmed, Ev::Backordered, Ev::Ready],
    )
    .await;
    wait_notifications(
        &suite,
        &customers[2],
        &[Ev::OrderConfirmed, Ev::Backordered, Ev::EtaKnown],
    )
    .await;
    // And stays that way: nothing is delivered twice later.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        events(&notifications_of_customer(&suite, &customers[2]).await).len(),
        3
    );
    let pos = purchase_orders(&suite, &supplier_id).await;
    assert_eq!(pos.len(), 1);
    assert_eq!(pos[0].lines[0].demand_quantity, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_placed_while_inventory_is_down_is_resumed_by_a_retry() {
    let mut suite = Suite::start().await;
    product(&suite, "CUP-1", inv::BackorderPolicy::Allow, 3).await;
    let kim = customer(&suite, "Kim").await;
    let request = order_request(&kim, &[("CUP-1", 2)]);
    suite.stop("inventory");

    let down = suite
        .order()
        .await
        .place_order(request.clone())
        .await
        .expect_err("inventory is down");

    assert_eq!(down.code(), tonic::Code::Unavailable);
    assert!(
        down.message().contains("same request_id"),
        "{}",
        down.message()
    );
    suite.restart("inventory").await;
    let placed = suite
        .order()
        .await
        .place_order(request.clone())
        .await
        .expect("the retry resumes the order")
        .into_inner()
        .order
        .expect("order");
    assert_eq!(placed.lines[0].status, LineStatus::Ready as i32);
    let listed = suite
        .order()
        .await
        .list_orders(backorder_proto::order::v1::ListOrdersRequest {
            customer_id: kim.clone(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .orders;
    assert_eq!(listed.len(), 1, "one order, not two");
    assert_eq!(listed[0].id, placed.id);
    assert_eq!(stock(&suite, "CUP-1").await.reserved, 2, "reserved once");
}
