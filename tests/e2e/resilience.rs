//! Nothing lost: messages wait in the outbox while a receiver is down and
//! arrive exactly once in effect when it is back.

use backorder_platform::store::outbox_message;
use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as ord;
use backorder_proto::order::v1::LineStatus;
use backorder_tests::{Signal, Suite, SuiteOptions, eventually, rid};
use prost::Message;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

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

    suite.stop("procurement").await;
    suite.stop("notification").await;

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
            warehouse: String::new(),
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
        &[Ev::OrderConfirmed, Ev::Backordered],
    )
    .await;
    // And stays that way: nothing is delivered twice later. A later order
    // of Jon's travels the same roads after everything above; once its
    // notices and demand are in, a late duplicate would have been too.
    place(&suite, &customers[2], &[("BOOK-1", 1)]).await;
    wait_notifications(
        &suite,
        &customers[2],
        &[
            Ev::OrderConfirmed,
            Ev::Backordered,
            Ev::OrderConfirmed,
            Ev::Backordered,
        ],
    )
    .await;
    eventually("the later demand, added once", WAIT, || async {
        let pos = purchase_orders(&suite, &supplier_id).await;
        let line = pos.first().and_then(|p| p.lines.first()).cloned()?;
        (line.demand_quantity == 3).then_some(pos)
    })
    .await;
    let pos = purchase_orders(&suite, &supplier_id).await;
    assert_eq!(pos.len(), 1);
    assert_eq!(pos[0].lines[0].demand_quantity, 3);
    for customer in &customers[..2] {
        assert_eq!(
            events(&notifications_of_customer(&suite, customer).await),
            [Ev::OrderConfirmed, Ev::Backordered, Ev::Ready]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_placed_while_inventory_is_down_is_resumed_by_a_retry() {
    let mut suite = Suite::start().await;
    product(&suite, "CUP-1", inv::BackorderPolicy::Allow, 3).await;
    let kim = customer(&suite, "Kim").await;
    let request = order_request(&kim, &[("CUP-1", 2)]);
    suite.stop("inventory").await;

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
        .list_orders(ord::ListOrdersRequest {
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

#[tokio::test(flavor = "multi_thread")]
async fn a_message_delivered_again_after_its_reply_was_lost_is_applied_once() {
    let suite = Suite::start().await;
    product(&suite, "TWICE-1", inv::BackorderPolicy::Allow, 0).await;
    let lou = customer(&suite, "Lou").await;
    let order = place(&suite, &lou, &[("TWICE-1", 1)]).await;
    suite
        .inventory()
        .await
        .receive_stock(inv::ReceiveStockRequest {
            request_id: rid(),
            sku: "TWICE-1".into(),
            quantity: 1,
            purchase_order_id: String::new(),
            warehouse: String::new(),
        })
        .await
        .expect("receive");
    wait_line_statuses(&suite, &order.id, &[LineStatus::Ready]).await;
    wait_notifications(
        &suite,
        &lou,
        &[Ev::OrderConfirmed, Ev::Backordered, Ev::Ready],
    )
    .await;

    // The message inventory's relay delivered, exactly as the relay sends
    // it again when the receiver committed but the reply never came back.
    let inventory_db = sea_orm::Database::connect(suite.database_url("inventory"))
        .await
        .expect("inventory database");
    let sent = outbox_message::Entity::find()
        .filter(outbox_message::Column::Method.ends_with("/MarkLineAllocated"))
        .all(&inventory_db)
        .await
        .expect("outbox");
    let _ = inventory_db.close().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].delivered_at.is_some(), "delivered once already");
    let again = ord::MarkLineAllocatedRequest::decode(sent[0].payload.as_slice())
        .expect("a MarkLineAllocated request");
    assert_eq!(again.request_id, sent[0].id);

    // Twice at once (two relays' replicas), then once more.
    let deliver = || {
        let (suite, request) = (&suite, again.clone());
        async move { suite.order().await.mark_line_allocated(request).await }
    };
    let (first, second) = tokio::join!(deliver(), deliver());
    let third = deliver().await;
    for answer in [first, second, third] {
        let line = answer
            .expect("a redelivery is answered, not refused")
            .into_inner()
            .line
            .expect("line");
        assert_eq!(line.status, LineStatus::Ready as i32);
    }

    // A later notice of the order follows the same road to notification:
    // once it is there, a duplicate "ready" notice would be too.
    suite
        .order()
        .await
        .create_shipment(ord::CreateShipmentRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            tracking_number: "TWICE".into(),
            carrier: "UPS".into(),
            ..Default::default()
        })
        .await
        .expect("ship");
    wait_notifications(
        &suite,
        &lou,
        &[Ev::OrderConfirmed, Ev::Backordered, Ev::Ready, Ev::Shipped],
    )
    .await;
    let timeline = suite
        .order()
        .await
        .get_order_timeline(ord::GetOrderTimelineRequest {
            order_id: order.id.clone(),
        })
        .await
        .expect("timeline")
        .into_inner();
    let allocations = timeline
        .events
        .iter()
        .filter(|e| e.service == "order" && e.event == "line_allocated")
        .count();
    assert_eq!(allocations, 1, "{:?}", timeline.events);
    eventually("stock issued once", WAIT, || async {
        let level = stock(&suite, "TWICE-1").await;
        ((level.on_hand, level.reserved, level.backordered) == (0, 0, 0)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_committed_before_a_crash_are_delivered_after_the_restart() {
    // A relay killed mid-claim holds its messages until the claim lapses:
    // a short claim keeps the wait after the restart short.
    let mut suite = Suite::start_with(SuiteOptions {
        settings: vec![
            ("outbox.lease_ms".into(), "2000".into()),
            ("outbox.call_timeout_ms".into(), "1000".into()),
        ],
        ..SuiteOptions::processes(Vec::new())
    })
    .await;
    product(&suite, "CRASH-1", inv::BackorderPolicy::Allow, 0).await;
    let mia = customer(&suite, "Mia").await;
    let order = place(&suite, &mia, &[("CRASH-1", 1)]).await;
    wait_notifications(&suite, &mia, &[Ev::OrderConfirmed, Ev::Backordered]).await;
    suite.stop("order").await;

    // The receipt commits its message to order, which cannot be delivered
    // yet; then inventory dies without any chance to clean up.
    suite
        .inventory()
        .await
        .receive_stock(inv::ReceiveStockRequest {
            request_id: rid(),
            sku: "CRASH-1".into(),
            quantity: 1,
            purchase_order_id: String::new(),
            warehouse: String::new(),
        })
        .await
        .expect("receive");
    suite.signal("inventory", Signal::Kill);
    suite.restart("inventory").await;
    suite.restart("order").await;

    wait_line_statuses(&suite, &order.id, &[LineStatus::Ready]).await;
    wait_notifications(
        &suite,
        &mia,
        &[Ev::OrderConfirmed, Ev::Backordered, Ev::Ready],
    )
    .await;
    let level = stock(&suite, "CRASH-1").await;
    assert_eq!(
        (level.on_hand, level.reserved, level.backordered),
        (1, 1, 0)
    );
}
