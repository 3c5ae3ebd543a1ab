//! The backorder lifecycle, end to end.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1 as notif;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as ord;
use backorder_proto::order::v1::LineStatus;
use backorder_proto::procurement::v1 as proc_;
use backorder_tests::{Suite, eventually, rid};

use crate::fixtures::*;

#[tokio::test(flavor = "multi_thread")]
async fn an_in_stock_order_is_reserved_shipped_and_issued() {
    let suite = Suite::start().await;
    product(&suite, "MUG-1", inv::BackorderPolicy::Deny, 10).await;
    let alice = customer(&suite, "Alice").await;

    let order = place(&suite, &alice, &[("MUG-1", 2)]).await;

    assert_eq!(order.status, ord::OrderStatus::Ready as i32);
    assert_eq!(order.lines[0].status, LineStatus::Ready as i32);
    assert_eq!(order.lines[0].reserved_quantity, 2);
    assert_eq!(order.lines[0].backordered_quantity, 0);
    let level = stock(&suite, "MUG-1").await;
    assert_eq!((level.on_hand, level.reserved, level.available), (10, 2, 8));

    let shipped = suite
        .order()
        .await
        .create_shipment(ord::CreateShipmentRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            tracking_number: "1Z999".into(),
            carrier: "UPS".into(),
            ..Default::default()
        })
        .await
        .expect("ship")
        .into_inner();
    assert_eq!(
        shipped.order.expect("order").status,
        ord::OrderStatus::Shipped as i32
    );
    eventually("stock issued", WAIT, || async {
        let level = stock(&suite, "MUG-1").await;
        ((level.on_hand, level.reserved) == (8, 0)).then_some(())
    })
    .await;
    wait_notifications(&suite, &alice, &[Ev::OrderConfirmed, Ev::Shipped]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_short_line_reserves_what_is_there_and_backorders_the_rest_with_a_date_at_the_sale() {
    let suite = Suite::start().await;
    product(&suite, "LAMP-1", inv::BackorderPolicy::Allow, 2).await;
    supplier(&suite, "LAMP-1", 7, 1, 1).await;
    let bob = customer(&suite, "Bob").await;

    let order = place(&suite, &bob, &[("LAMP-1", 5)]).await;

    assert_eq!(order.status, ord::OrderStatus::Backordered as i32);
    assert_eq!(order.lines[0].reserved_quantity, 2);
    assert_eq!(order.lines[0].backordered_quantity, 3);
    let level = stock(&suite, "LAMP-1").await;
    assert_eq!(
        (level.reserved, level.available, level.backordered),
        (2, 0, 3)
    );
    // The date comes with the sale's reply: inventory promises it.
    let eta = order.lines[0].eta.expect("eta");
    let days = (eta.seconds - prost_types::Timestamp::from(std::time::SystemTime::now()).seconds)
        as f64
        / 86_400.0;
    assert!(
        (6.9..7.1).contains(&days),
        "ETA is today plus the 7-day lead time, got {days} days"
    );
    let sent = wait_notifications(&suite, &bob, &[Ev::OrderConfirmed, Ev::Backordered]).await;
    assert!(
        sent[1].message.contains(&day_of(&eta)),
        "the backorder notice names the date: {}",
        sent[1].message
    );
}

fn day_of(ts: &prost_types::Timestamp) -> String {
    chrono::DateTime::from_timestamp(ts.seconds, 0)
        .expect("a representable time")
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_backorder_goes_through_a_purchase_order_and_fills_waiting_orders_oldest_first() {
    let suite = Suite::start().await;
    product(&suite, "DESK-1", inv::BackorderPolicy::Allow, 0).await;
    let supplier_id = supplier(&suite, "DESK-1", 10, 10, 5).await;
    let (ann, ben, cat) = (
        customer(&suite, "Ann").await,
        customer(&suite, "Ben").await,
        customer(&suite, "Cat").await,
    );

    // Three customers wait, in this order.
    let first = place(&suite, &ann, &[("DESK-1", 3)]).await;
    let second = place(&suite, &ben, &[("DESK-1", 4)]).await;
    let third = place(&suite, &cat, &[("DESK-1", 2)]).await;
    for o in [&first, &second, &third] {
        assert_eq!(o.lines[0].status, LineStatus::Backordered as i32);
    }

    // Their demand is consolidated into one draft PO: 9 units -> MOQ 10, case pack 5 -> 10.
    let po = eventually("draft PO with all demand", WAIT, || async {
        let pos = purchase_orders(&suite, &supplier_id).await;
        pos.into_iter()
            .find(|p| p.lines.first().is_some_and(|l| l.demand_quantity == 9))
    })
    .await;
    assert_eq!(po.status, proc_::PurchaseOrderStatus::Draft as i32);
    assert_eq!(po.lines[0].ordered_quantity, 10);
    assert_eq!(
        purchase_orders(&suite, &supplier_id).await.len(),
        1,
        "one draft per supplier"
    );
    wait_notifications(&suite, &ann, &[Ev::OrderConfirmed, Ev::Backordered]).await;

    let mut procurement = suite.procurement().await;
    procurement
        .submit_purchase_order(proc_::SubmitPurchaseOrderRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
        })
        .await
        .expect("submit");
    let promised = prost_types::Timestamp {
        seconds: prost_types::Timestamp::from(std::time::SystemTime::now()).seconds + 3 * 86_400,
        nanos: 0,
    };
    procurement
        .acknowledge_purchase_order(proc_::AcknowledgePurchaseOrderRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
            promised_time: Some(promised),
        })
        .await
        .expect("acknowledge");
    let acked = eventually("ETA moved to the promised date", WAIT, || async {
        let o = get_order(&suite, &first.id).await;
        (o.lines[0].eta.as_ref().map(|e| e.seconds) == Some(promised.seconds)).then_some(o)
    })
    .await;
    assert_eq!(acked.lines[0].status, LineStatus::Backordered as i32);

    // First part: 5 units. Ann (3) is filled, Ben gets 2 of 4 and still waits.
    let receipt = |quantity: i64| proc_::ReceivePurchaseOrderRequest {
        request_id: rid(),
        purchase_order_id: po.id.clone(),
        lines: vec![proc_::ReceiptLine {
            sku: "DESK-1".into(),
            quantity,
        }],
        warehouse: String::new(),
    };
    let partial = procurement
        .receive_purchase_order(receipt(5))
        .await
        .expect("receive part 1");
    assert_eq!(
        partial.into_inner().purchase_order.expect("po").status,
        proc_::PurchaseOrderStatus::PartiallyReceived as i32
    );
    wait_line_statuses(&suite, &first.id, &[LineStatus::Ready]).await;
    let level = eventually("first part allocated", WAIT, || async {
        let level = stock(&suite, "DESK-1").await;
        (level.reserved == 5).then_some(level)
    })
    .await;
    assert_eq!(
        (level.on_hand, level.available, level.backordered),
        (5, 0, 4)
    );
    assert_eq!(
        get_order(&suite, &second.id).await.lines[0].status,
        LineStatus::Backordered as i32
    );
    assert_eq!(
        get_order(&suite, &third.id).await.lines[0].status,
        LineStatus::Backordered as i32
    );
    let queue = suite
        .inventory()
        .await
        .list_reservations(inv::ListReservationsRequest {
            sku: "DESK-1".into(),
            ..Default::default()
        })
        .await
        .expect("queue")
        .into_inner()
        .reservations;
    let waiting: Vec<(&str, i64)> = queue
        .iter()
        .map(|r| (r.order_id.as_str(), r.waiting_quantity))
        .collect();
    assert_eq!(
        waiting,
        vec![(second.id.as_str(), 2), (third.id.as_str(), 2)],
        "queue in arrival order"
    );

    // Second part: 5 more. Ben and Cat are filled; one unit is left over.
    let full = procurement
        .receive_purchase_order(receipt(5))
        .await
        .expect("receive part 2");
    assert_eq!(
        full.into_inner().purchase_order.expect("po").status,
        proc_::PurchaseOrderStatus::Received as i32
    );
    wait_line_statuses(&suite, &second.id, &[LineStatus::Ready]).await;
    wait_line_statuses(&suite, &third.id, &[LineStatus::Ready]).await;
    let level = stock(&suite, "DESK-1").await;
    assert_eq!(
        (
            level.on_hand,
            level.reserved,
            level.available,
            level.backordered
        ),
        (10, 9, 1, 0)
    );

    // Ann's order ships and is delivered.
    let mut orders = suite.order().await;
    let shipment = orders
        .create_shipment(ord::CreateShipmentRequest {
            request_id: rid(),
            order_id: first.id.clone(),
            tracking_number: "TRACK-ANN-1".into(),
            carrier: "DHL".into(),
            ..Default::default()
        })
        .await
        .expect("ship")
        .into_inner()
        .shipment
        .expect("shipment");
    let delivered = orders
        .mark_delivered(ord::MarkDeliveredRequest {
            request_id: rid(),
            shipment_id: shipment.id.clone(),
        })
        .await
        .expect("deliver")
        .into_inner();
    assert_eq!(
        delivered.order.expect("order").status,
        ord::OrderStatus::Delivered as i32
    );
    eventually("stock issued for the shipment", WAIT, || async {
        let level = stock(&suite, "DESK-1").await;
        ((level.on_hand, level.reserved) == (7, 6)).then_some(())
    })
    .await;

    // Ann heard about every step, in order, on both her channels.
    wait_notifications(
        &suite,
        &ann,
        &[
            Ev::OrderConfirmed,
            Ev::Backordered,
            Ev::EtaChanged,
            Ev::Ready,
            Ev::Shipped,
            Ev::Delivered,
        ],
    )
    .await;
    // Deliveries are handed to the channels right after the commit.
    let told = eventually("every delivery sent", WAIT, || async {
        let list = notifications_of_customer(&suite, &ann).await;
        list.iter()
            .all(|n| {
                n.deliveries.len() == 2
                    && n.deliveries
                        .iter()
                        .all(|d| d.status == notif::DeliveryStatus::Sent as i32)
            })
            .then_some(list)
    })
    .await;
    assert_eq!(told.len(), 6);
    assert!(
        told[4].message.contains("TRACK-ANN-1"),
        "shipping message has the tracking number"
    );
    let email_log = std::fs::read_to_string(suite.dir.join("notifications").join("email.log"))
        .expect("email sink");
    assert!(email_log.contains("ann@example.com") && email_log.contains("TRACK-ANN-1"));

    // The operator's timeline of Ann's order spans all four services.
    let timeline = orders
        .get_order_timeline(ord::GetOrderTimelineRequest {
            order_id: first.id.clone(),
        })
        .await
        .expect("timeline")
        .into_inner();
    assert!(timeline.unavailable_services.is_empty());
    for service in ["order", "inventory", "procurement", "notification"] {
        assert!(
            timeline.events.iter().any(|e| e.service == service),
            "timeline has {service} events: {:?}",
            timeline.events
        );
    }
    // Full timestamps, not whole seconds: most of these events happen
    // within the same second, and a merge by seconds would pass unsorted.
    let times: Vec<(i64, i32)> = timeline
        .events
        .iter()
        .map(|e| e.time.as_ref().map_or((0, 0), |t| (t.seconds, t.nanos)))
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "timeline is in time order: {:?}",
        timeline.events
    );
    // Events at the same instant keep the order they were recorded in; an
    // effect never comes before its cause, whichever service recorded it.
    let position = |service: &str, event: &str| {
        timeline
            .events
            .iter()
            .position(|e| e.service == service && e.event == event)
            .unwrap_or_else(|| panic!("{service} {event} in {:?}", timeline.events))
    };
    assert!(
        position("order", "line_allocated") < position("order", "line_shipped"),
        "{:?}",
        timeline.events
    );
    let notices: Vec<&str> = timeline
        .events
        .iter()
        .filter(|e| e.service == "notification")
        .map(|e| e.detail.split(' ').next().unwrap_or_default())
        .collect();
    assert_eq!(
        notices,
        [
            "order_confirmed",
            "backordered",
            "eta_changed",
            "ready",
            "shipped",
            "delivered"
        ],
        "notices in the order they were sent"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_a_backordered_line_releases_its_reservation_and_demand_and_tells_the_customer()
{
    let suite = Suite::start().await;
    product(&suite, "CHAIR-1", inv::BackorderPolicy::Allow, 1).await;
    product(&suite, "TABLE-1", inv::BackorderPolicy::Allow, 5).await;
    let supplier_id = supplier(&suite, "CHAIR-1", 5, 1, 1).await;
    let eve = customer(&suite, "Eve").await;
    let order = place(&suite, &eve, &[("TABLE-1", 1), ("CHAIR-1", 4)]).await;
    let chair = order.lines[1].clone();
    assert_eq!(
        (chair.reserved_quantity, chair.backordered_quantity),
        (1, 3)
    );
    eventually("demand on a draft PO", WAIT, || async {
        let pos = purchase_orders(&suite, &supplier_id).await;
        pos.first()
            .and_then(|p| p.lines.first())
            .is_some_and(|l| l.demand_quantity == 3)
            .then_some(())
    })
    .await;

    let after = suite
        .order()
        .await
        .cancel_order_line(ord::CancelOrderLineRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id: chair.id.clone(),
            reason: "changed my mind".into(),
        })
        .await
        .expect("cancel line")
        .into_inner()
        .order
        .expect("order");

    assert_eq!(after.lines[1].status, LineStatus::Cancelled as i32);
    assert_eq!(
        after.status,
        ord::OrderStatus::Ready as i32,
        "the table can still ship"
    );
    // What was stored, not only what was answered.
    let stored = get_order(&suite, &order.id).await;
    let statuses: Vec<i32> = stored.lines.iter().map(|l| l.status).collect();
    assert_eq!(
        statuses,
        [LineStatus::Ready as i32, LineStatus::Cancelled as i32]
    );
    assert_eq!(stored.status, ord::OrderStatus::Ready as i32);
    eventually("reservation released", WAIT, || async {
        let level = stock(&suite, "CHAIR-1").await;
        ((level.reserved, level.backordered, level.available) == (0, 0, 1)).then_some(())
    })
    .await;
    eventually("PO demand released", WAIT, || async {
        let pos = purchase_orders(&suite, &supplier_id).await;
        let line = pos.first().and_then(|p| p.lines.first()).cloned()?;
        (line.demand_quantity == 0 && line.ordered_quantity == 0).then_some(())
    })
    .await;
    let told = eventually("cancellation message", WAIT, || async {
        let list = notifications_of_customer(&suite, &eve).await;
        list.into_iter()
            .find(|n| n.event == Ev::Cancelled as i32 && n.line_id == chair.id)
    })
    .await;
    assert!(
        told.message.contains("changed my mind"),
        "the customer is told why: {}",
        told.message
    );
    let reservations = suite
        .inventory()
        .await
        .list_reservations(inv::ListReservationsRequest {
            order_id: order.id.clone(),
            ..Default::default()
        })
        .await
        .expect("reservations")
        .into_inner()
        .reservations;
    let chair_reservation = reservations
        .iter()
        .find(|r| r.line_id == chair.id)
        .expect("chair reservation");
    assert_eq!(
        chair_reservation.state,
        inv::ReservationState::Released as i32
    );
}
