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
async fn a_short_line_reserves_what_is_there_and_backorders_the_rest_with_an_eta() {
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
    let order = eventually("ETA on the line", WAIT, || async {
        let order = get_order(&suite, &order.id).await;
        order.lines[0].eta.is_some().then_some(order)
    })
    .await;
    let eta = order.lines[0].eta.expect("eta");
    let days = (eta.seconds - prost_types::Timestamp::from(std::time::SystemTime::now()).seconds)
        as f64
        / 86_400.0;
    assert!(
        (6.9..7.1).contains(&days),
        "ETA is today plus the 7-day lead time, got {days} days"
    );
    let sent = wait_notifications(
        &suite,
        &bob,
        &[Ev::OrderConfirmed, Ev::Backordered, Ev::EtaKnown],
    )
    .await;
    assert!(
        sent[2].message.contains(&day_of(&eta)),
        "ETA message names the date: {}",
        sent[2].message
    );
}

fn day_of(ts: &prost_types::Timestamp) -> String {
    // Civil date of a timestamp, YYYY-MM-DD.
    let days = ts.seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
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
    wait_notifications(
        &suite,
        &ann,
        &[Ev::OrderConfirmed, Ev::Backordered, Ev::EtaKnown],
    )
    .await;

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
            Ev::EtaKnown,
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
    assert_eq!(told.len(), 7);
    assert!(
        told[5].message.contains("TRACK-ANN-1"),
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
    let times: Vec<i64> = timeline
        .events
        .iter()
        .map(|e| e.time.as_ref().map_or(0, |t| t.seconds))
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "timeline is in time order"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stockout_of_a_deny_product_is_refused_and_writes_nothing() {
    let suite = Suite::start().await;
    product(&suite, "RARE-1", inv::BackorderPolicy::Deny, 1).await;
    product(&suite, "PLENTY-1", inv::BackorderPolicy::Allow, 50).await;
    let supplier_id = supplier(&suite, "RARE-1", 5, 1, 1).await;
    let dan = customer(&suite, "Dan").await;

    let refused = suite
        .order()
        .await
        .place_order(order_request(&dan, &[("PLENTY-1", 2), ("RARE-1", 2)]))
        .await
        .expect_err("stockout refused");

    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains("RARE-1"),
        "{}",
        refused.message()
    );
    let details = tonic_types::StatusExt::get_error_details(&refused);
    assert_eq!(details.error_info().expect("error info").reason, "STOCKOUT");
    assert_eq!(
        details
            .precondition_failure()
            .expect("violations")
            .violations
            .len(),
        1
    );
    // Nothing anywhere: no order, no reservation, no demand, no message.
    let orders = suite
        .order()
        .await
        .list_orders(ord::ListOrdersRequest {
            customer_id: dan.clone(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .orders;
    assert!(orders.is_empty(), "{orders:?}");
    assert_eq!(stock(&suite, "PLENTY-1").await.reserved, 0);
    assert_eq!(stock(&suite, "RARE-1").await.reserved, 0);
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(purchase_orders(&suite, &supplier_id).await.is_empty());
    assert!(notifications_of_customer(&suite, &dan).await.is_empty());
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
    assert!(told.message.contains("changed my mind") || told.message.contains("CHAIR-1"));
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

#[tokio::test(flavor = "multi_thread")]
async fn the_backlog_sums_waiting_lines_per_sku_and_shrinks_as_stock_arrives() {
    let suite = Suite::start().await;
    product(&suite, "BL-A", inv::BackorderPolicy::Allow, 1).await;
    product(&suite, "BL-B", inv::BackorderPolicy::Allow, 0).await;
    product(&suite, "BL-C", inv::BackorderPolicy::Allow, 10).await;
    let customer_id = customer(&suite, "Backlog").await;
    place(&suite, &customer_id, &[("BL-A", 3), ("BL-B", 2)]).await;
    place(&suite, &customer_id, &[("BL-B", 4), ("BL-C", 1)]).await;
    let inventory = suite.inventory().await;
    let backlog = |page_token: String| {
        let mut inventory = inventory.clone();
        async move {
            inventory
                .list_backlog(inv::ListBacklogRequest {
                    page_size: 1,
                    page_token,
                })
                .await
                .expect("list backlog")
                .into_inner()
        }
    };

    let first = backlog(String::new()).await;
    let second = backlog(first.next_page_token.clone()).await;
    let summary = |page: &inv::ListBacklogResponse| {
        page.entries
            .iter()
            .map(|e| (e.sku.clone(), e.waiting_lines, e.waiting_units))
            .collect::<Vec<_>>()
    };
    assert_eq!(summary(&first), [("BL-A".to_owned(), 1, 2)]);
    assert!(!first.next_page_token.is_empty());
    assert_eq!(summary(&second), [("BL-B".to_owned(), 2, 6)]);
    assert!(
        second.next_page_token.is_empty(),
        "BL-C has nothing waiting"
    );
    assert_eq!(
        (first.total_waiting_lines, first.total_waiting_units),
        (3, 8)
    );
    let oldest = first
        .entries
        .iter()
        .chain(&second.entries)
        .filter_map(|e| e.oldest_waiting_since.map(|t| (t.seconds, t.nanos)))
        .min();
    assert_eq!(
        first.oldest_waiting_since.map(|t| (t.seconds, t.nanos)),
        oldest,
        "the whole backlog is as old as its oldest SKU"
    );

    inventory
        .clone()
        .receive_stock(inv::ReceiveStockRequest {
            request_id: rid(),
            sku: "BL-A".into(),
            quantity: 2,
            purchase_order_id: String::new(),
        })
        .await
        .expect("receive");
    let after = backlog(String::new()).await;
    assert_eq!(summary(&after), [("BL-B".to_owned(), 2, 6)]);
    assert_eq!(
        (after.total_waiting_lines, after.total_waiting_units),
        (2, 6)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn backorder_and_fill_rates_count_what_was_served_from_stock_at_placement() {
    let suite = Suite::start().await;
    product(&suite, "KPI-A", inv::BackorderPolicy::Allow, 5).await;
    product(&suite, "KPI-B", inv::BackorderPolicy::Allow, 1).await;
    product(&suite, "KPI-D", inv::BackorderPolicy::Deny, 0).await;
    let customer_id = customer(&suite, "Measures").await;
    let mut orders = suite.order().await;
    let before = orders
        .get_backorder_stats(ord::GetBackorderStatsRequest::default())
        .await
        .expect("stats")
        .into_inner();
    assert_eq!(before, ord::GetBackorderStatsResponse::default());

    place(&suite, &customer_id, &[("KPI-A", 2)]).await;
    place(&suite, &customer_id, &[("KPI-A", 2), ("KPI-B", 3)]).await;
    place(&suite, &customer_id, &[("KPI-A", 1)]).await;
    let refused = orders
        .place_order(order_request(&customer_id, &[("KPI-D", 1)]))
        .await
        .expect_err("a stockout is refused");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);

    let stats = orders
        .get_backorder_stats(ord::GetBackorderStatsRequest::default())
        .await
        .expect("stats")
        .into_inner();
    assert_eq!(
        (stats.orders_placed, stats.orders_backordered),
        (3, 1),
        "the refused order is no order"
    );
    assert_eq!((stats.lines_placed, stats.lines_filled_from_stock), (4, 3));
    assert_eq!((stats.units_ordered, stats.units_from_stock), (8, 6));
    assert!((stats.backorder_rate_percent - 100.0 / 3.0).abs() < 1e-9);
    assert!((stats.line_fill_rate_percent - 75.0).abs() < 1e-9);
    assert!((stats.unit_fill_rate_percent - 75.0).abs() < 1e-9);

    let later = prost_types::Timestamp {
        seconds: i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_secs(),
        )
        .expect("seconds")
            + 3600,
        nanos: 0,
    };
    let empty_window = orders
        .get_backorder_stats(ord::GetBackorderStatsRequest {
            start_time: Some(later),
            end_time: None,
        })
        .await
        .expect("stats")
        .into_inner();
    assert_eq!(empty_window.orders_placed, 0);
    let backwards = orders
        .get_backorder_stats(ord::GetBackorderStatsRequest {
            start_time: Some(later),
            end_time: Some(prost_types::Timestamp {
                seconds: later.seconds - 60,
                nanos: 0,
            }),
        })
        .await
        .expect_err("an empty window is refused");
    assert_eq!(backwards.code(), tonic::Code::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prioritised_backorder_is_filled_before_older_ones_and_the_reason_is_recorded() {
    let suite = Suite::start().await;
    product(&suite, "PRIO-1", inv::BackorderPolicy::Allow, 0).await;
    let customer_id = customer(&suite, "Priority").await;
    let mut placed = Vec::new();
    for _ in 0..3 {
        placed.push(place(&suite, &customer_id, &[("PRIO-1", 1)]).await);
    }
    let mut inventory = suite.inventory().await;
    let (oldest, middle, newest) = (&placed[0], &placed[1], &placed[2]);
    let prioritise =
        |order: &ord::Order, priority: i32, reason: &str| inv::SetBackorderPriorityRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id: order.lines[0].id.clone(),
            priority,
            reason: reason.into(),
        };
    let request = prioritise(newest, 10, "customer tier: gold");
    let set = inventory
        .set_backorder_priority(request.clone())
        .await
        .expect("set priority")
        .into_inner()
        .reservation
        .expect("reservation");
    assert_eq!(
        (set.priority, set.priority_reason.as_str()),
        (10, "customer tier: gold")
    );
    let again = inventory
        .set_backorder_priority(request)
        .await
        .expect("a retry")
        .into_inner()
        .reservation
        .expect("reservation");
    assert_eq!(again, set, "a retry gets the same answer");

    let queue: Vec<String> = inventory
        .list_reservations(inv::ListReservationsRequest {
            sku: "PRIO-1".into(),
            ..Default::default()
        })
        .await
        .expect("queue")
        .into_inner()
        .reservations
        .into_iter()
        .map(|r| r.order_id)
        .collect();
    assert_eq!(
        queue,
        [newest.id.clone(), oldest.id.clone(), middle.id.clone()],
        "priority first, then arrival"
    );

    let out_of_range = inventory
        .set_backorder_priority(prioritise(middle, 1001, "too much"))
        .await
        .expect_err("out of range");
    assert_eq!(out_of_range.code(), tonic::Code::InvalidArgument);

    inventory
        .receive_stock(inv::ReceiveStockRequest {
            request_id: rid(),
            sku: "PRIO-1".into(),
            quantity: 2,
            purchase_order_id: String::new(),
        })
        .await
        .expect("receive");
    wait_line_statuses(&suite, &newest.id, &[LineStatus::Ready]).await;
    wait_line_statuses(&suite, &oldest.id, &[LineStatus::Ready]).await;
    assert_eq!(
        get_order(&suite, &middle.id).await.lines[0].status,
        LineStatus::Backordered as i32,
        "the middle order waits: the newest one jumped the queue"
    );

    let filled = inventory
        .set_backorder_priority(prioritise(newest, 0, "back to normal"))
        .await
        .expect_err("a filled line has no place in the queue");
    assert_eq!(filled.code(), tonic::Code::FailedPrecondition);
}

#[tokio::test(flavor = "multi_thread")]
async fn supplier_performance_counts_purchase_orders_received_by_their_promised_day() {
    let suite = Suite::start().await;
    product(&suite, "SUP-1", inv::BackorderPolicy::Allow, 0).await;
    let supplier_id = supplier(&suite, "SUP-1", 5, 1, 1).await;
    let customer_id = customer(&suite, "Perf").await;
    let now = prost_types::Timestamp::from(std::time::SystemTime::now()).seconds;
    let day = 86_400;

    let first = place(&suite, &customer_id, &[("SUP-1", 2)]).await;
    let in_three_days = prost_types::Timestamp {
        seconds: now + 3 * day,
        nanos: 0,
    };
    buy_through_draft(&suite, &supplier_id, "SUP-1", 2, in_three_days).await;
    wait_line_statuses(&suite, &first.id, &[LineStatus::Ready]).await;

    let second = place(&suite, &customer_id, &[("SUP-1", 1)]).await;
    let three_days_ago = prost_types::Timestamp {
        seconds: now - 3 * day,
        nanos: 0,
    };
    buy_through_draft(&suite, &supplier_id, "SUP-1", 1, three_days_ago).await;
    wait_line_statuses(&suite, &second.id, &[LineStatus::Ready]).await;

    let mut procurement = suite.procurement().await;
    let performance = procurement
        .get_supplier_performance(proc_::GetSupplierPerformanceRequest {
            supplier_id: supplier_id.clone(),
        })
        .await
        .expect("performance")
        .into_inner();
    assert_eq!(performance.lead_time_days, 5);
    assert_eq!(
        (
            performance.purchase_orders_received,
            performance.purchase_orders_promised,
            performance.received_on_time
        ),
        (2, 2, 1),
        "the second arrived three days after its promised date"
    );
    assert!((performance.on_time_rate_percent - 50.0).abs() < 1e-9);
    assert!(
        (0.0..0.01).contains(&performance.average_days_to_receive),
        "received straight after submission: {}",
        performance.average_days_to_receive
    );
    let unknown = procurement
        .get_supplier_performance(proc_::GetSupplierPerformanceRequest {
            supplier_id: backorder_tests::rid(),
        })
        .await
        .expect_err("unknown supplier");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}
