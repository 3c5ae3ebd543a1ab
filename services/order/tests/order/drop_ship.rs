//! Drop shipping: inventory decides at placement that the supplier ships a
//! line straight to the customer; the line waits for the supplier, never
//! goes in a parcel nor holds one back, and ships when procurement records
//! the supplier's shipment.

use backorder_platform::ServiceError;
use backorder_proto::Rpc;
use backorder_proto::inventory::v1::{IssueStockRequest, ReleaseReservationRequest};
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as pb;

use crate::fake_peers::{backorder_all, outage};
use crate::helpers::{Harness, harness, place_request, rid};

const ADDRESS: &str = "1 Quay Street, Dublin";
const BACKORDERED: i32 = pb::LineStatus::Backordered as i32;
const READY: i32 = pb::LineStatus::Ready as i32;
const SHIPPED: i32 = pb::LineStatus::Shipped as i32;
const DELIVERED: i32 = pb::LineStatus::Delivered as i32;

/// Places an order to `ADDRESS` with `policy` and `max_shipments`, where
/// `DS-` SKUs are drop-shipped.
async fn place(
    h: &Harness,
    lines: &[(&str, i64)],
    policy: pb::ShipPolicy,
    max_shipments: i32,
) -> pb::Order {
    h.fake.drop_ship(&["DS-1", "DS-2"]);
    let mut request = place_request(&rid(), lines);
    request.ship_to_address = ADDRESS.to_owned();
    request.ship_policy = policy as i32;
    request.max_shipments = max_shipments;
    h.api
        .place_order(request)
        .await
        .expect("placed")
        .order
        .expect("order")
}

fn drop_shipment(
    order: &pb::Order,
    purchase_order_id: &str,
    items: &[(usize, i64)],
) -> pb::RecordDropShipmentRequest {
    pb::RecordDropShipmentRequest {
        request_id: rid(),
        order_id: order.id.clone(),
        purchase_order_id: purchase_order_id.to_owned(),
        carrier: "DHL".to_owned(),
        tracking_number: "T-1".to_owned(),
        items: items
            .iter()
            .map(|(line, quantity)| pb::ShipmentItem {
                line_id: order.lines[*line].id.clone(),
                quantity: *quantity,
            })
            .collect(),
    }
}

fn parcel(order: &pb::Order, line_ids: &[usize]) -> pb::CreateShipmentRequest {
    pb::CreateShipmentRequest {
        request_id: rid(),
        order_id: order.id.clone(),
        line_ids: line_ids
            .iter()
            .map(|i| order.lines[*i].id.clone())
            .collect(),
        tracking_number: format!("TRK-{}", &rid()[24..]),
        carrier: "UPS".to_owned(),
        warehouse: String::new(),
    }
}

/// The reason and violation subjects of a FAILED_PRECONDITION.
fn refused(error: ServiceError) -> (&'static str, Vec<String>) {
    match error {
        ServiceError::FailedPrecondition {
            reason, violations, ..
        } => (reason, violations.into_iter().map(|v| v.subject).collect()),
        other => panic!("expected FAILED_PRECONDITION, got {other:?}"),
    }
}

async fn get(h: &Harness, order: &pb::Order) -> pb::Order {
    h.api
        .get_order(pb::GetOrderRequest {
            order_id: order.id.clone(),
        })
        .await
        .expect("order")
        .order
        .expect("order")
}

async fn issues(h: &Harness) -> usize {
    h.outbox()
        .await
        .iter()
        .filter(|m| m.method == IssueStockRequest::PATH)
        .count()
}

async fn own_timeline(h: &Harness, order: &pb::Order) -> Vec<(String, String)> {
    h.api
        .get_order_timeline(pb::GetOrderTimelineRequest {
            order_id: order.id.clone(),
        })
        .await
        .expect("timeline")
        .events
        .into_iter()
        .filter(|e| e.service == "order")
        .map(|e| (e.event, e.detail))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drop_ship_line_is_recorded_from_inventorys_answer_and_the_address_is_sent() {
    let h = harness("drop_ship_placed").await;
    let order = place(
        &h,
        &[("PEN-1", 2), ("DS-1", 3)],
        pb::ShipPolicy::AsAvailable,
        0,
    )
    .await;

    let asked = h.fake.seen.reserve_requests.lock().expect("asked").clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].ship_to_address, ADDRESS, "the address goes along");
    let (own, supplier) = (&order.lines[0], &order.lines[1]);
    assert!(!own.drop_ship);
    assert_eq!(own.status, READY);
    assert!(supplier.drop_ship);
    assert_eq!(supplier.status, BACKORDERED, "it waits for the supplier");
    assert_eq!(
        (
            supplier.reserved_quantity,
            supplier.backordered_quantity,
            supplier.ready_quantity
        ),
        (0, 3, 0),
        "nothing of it comes from stock"
    );
    assert!(supplier.ready_in.is_empty());
    assert_eq!(order.status, pb::OrderStatus::Backordered as i32);
    assert_eq!(
        get(&h, &order).await.lines,
        order.lines,
        "stored as answered"
    );

    let notices = h.notices().await;
    let backordered: Vec<&str> = notices
        .iter()
        .filter(|n| n.event == Ev::Backordered as i32)
        .map(|n| n.detail.as_str())
        .collect();
    assert_eq!(backordered.len(), 1, "{backordered:?}");
    assert!(
        backordered[0].contains("ships directly from the supplier"),
        "{}",
        backordered[0]
    );
    let timeline = own_timeline(&h, &order).await;
    assert!(
        timeline
            .iter()
            .any(|(event, detail)| event == "line_drop_ship" && detail.starts_with("3 x DS-1")),
        "{timeline:?}"
    );
    let stats = h
        .api
        .get_backorder_stats(pb::GetBackorderStatsRequest::default())
        .await
        .expect("stats");
    assert_eq!(
        (
            stats.lines_filled_from_stock,
            stats.units_from_stock,
            stats.orders_backordered
        ),
        (1, 2, 1),
        "a drop-shipped line was not filled from stock"
    );
    let allocated = h
        .api
        .mark_line_allocated(pb::MarkLineAllocatedRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id: supplier.id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("no stock for the supplier's line");
    assert_eq!(refused(allocated).0, "LINE_DROP_SHIPPED");
    assert_eq!(get(&h, &order).await.lines[1], *supplier, "unchanged");
}

#[tokio::test(flavor = "multi_thread")]
async fn parcels_leave_drop_ship_lines_to_the_supplier_and_do_not_wait_for_them() {
    let h = harness("drop_ship_parcels").await;
    let order = place(
        &h,
        &[("PEN-1", 2), ("DS-1", 3)],
        pb::ShipPolicy::Complete,
        0,
    )
    .await;

    let named = h
        .api
        .create_shipment(parcel(&order, &[0, 1]))
        .await
        .expect_err("the supplier's line named");
    assert_eq!(
        refused(named),
        (
            "LINE_DROP_SHIPPED",
            vec![format!("line_ids:{}", order.lines[1].id)]
        )
    );
    let shipped = h
        .api
        .create_shipment(parcel(&order, &[]))
        .await
        .expect("ship-complete ships its own lines");
    let shipment = shipped.shipment.expect("shipment");
    assert_eq!(shipment.line_ids, [order.lines[0].id.clone()]);
    assert!(!shipment.drop_ship);
    assert_eq!(shipment.warehouse, "default");
    let after = shipped.order.expect("order");
    assert_eq!(after.lines[1].status, BACKORDERED, "still the supplier's");
    assert_eq!(after.status, pb::OrderStatus::PartiallyShipped as i32);
    let nothing = h
        .api
        .create_shipment(parcel(&order, &[]))
        .await
        .expect_err("only the supplier's line is left");
    assert_eq!(refused(nothing).0, "NOTHING_TO_SHIP");
}

#[tokio::test(flavor = "multi_thread")]
async fn drop_shipments_do_not_count_against_the_parcel_limit() {
    let h = harness("drop_ship_limit").await;
    h.fake.script(|req, _| async move {
        let mut reply = backorder_all(&req);
        // PEN-1 in stock; INK-2 waits for stock.
        reply.lines[0].reserved_quantity = req.lines[0].quantity;
        reply.lines[0].backordered_quantity = 0;
        Ok(reply)
    });
    let order = place(
        &h,
        &[("PEN-1", 1), ("DS-1", 2), ("INK-2", 1)],
        pb::ShipPolicy::UpToNShipments,
        2,
    )
    .await;
    h.api
        .record_drop_shipment(drop_shipment(&order, &rid(), &[(1, 2)]))
        .await
        .expect("the supplier shipped");
    let first = h
        .api
        .create_shipment(parcel(&order, &[]))
        .await
        .expect("the first of two parcels ships as available");
    assert_eq!(
        first.shipment.expect("shipment").line_ids,
        [order.lines[0].id.clone()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_suppliers_shipment_ships_the_line_tells_the_customer_and_moves_no_stock() {
    let h = harness("drop_ship_recorded").await;
    let order = place(
        &h,
        &[("PEN-1", 2), ("DS-1", 3)],
        pb::ShipPolicy::AsAvailable,
        0,
    )
    .await;
    let po = rid();
    let notices_before = h.notices().await.len();

    let recorded = h
        .api
        .record_drop_shipment(drop_shipment(&order, &po, &[(1, 3)]))
        .await
        .expect("recorded");
    let shipment = recorded.shipment.clone().expect("a drop shipment");
    assert!(shipment.drop_ship);
    assert_eq!(shipment.warehouse, "", "no warehouse");
    assert_eq!(shipment.purchase_order_id, po);
    assert_eq!(
        (shipment.carrier.as_str(), shipment.tracking_number.as_str()),
        ("DHL", "T-1")
    );
    assert_eq!(shipment.line_ids, [order.lines[1].id.clone()]);
    let after = recorded.order.clone().expect("order");
    assert_eq!(after.lines[1].status, SHIPPED);
    assert_eq!(after.lines[1].shipped_quantity, 3);
    assert_eq!(after.lines[0].status, READY, "the own line is untouched");
    assert_eq!(after.status, pb::OrderStatus::PartiallyShipped as i32);
    assert_eq!(after.shipments, std::slice::from_ref(&shipment));
    assert_eq!(issues(&h).await, 0, "no stock moves");
    let notices = h.notices().await;
    assert_eq!(notices.len(), notices_before + 1);
    let told = &notices[notices_before];
    assert_eq!(told.event, Ev::Shipped as i32);
    assert_eq!(
        (told.carrier.as_str(), told.tracking_number.as_str()),
        ("DHL", "T-1")
    );
    let timeline = own_timeline(&h, &order).await;
    let expected = format!(
        "3 of 3 x DS-1 drop-shipped by the supplier (purchase order {po}) with DHL T-1 (3 shipped so far)"
    );
    assert!(
        timeline
            .iter()
            .any(|(event, detail)| event == "line_drop_shipped" && *detail == expected),
        "{timeline:?}"
    );

    let repeat = h
        .api
        .record_drop_shipment(drop_shipment(&order, &po, &[(1, 3)]))
        .await
        .expect("a repeat for the purchase order");
    assert_eq!(repeat, recorded, "the same shipment, nothing new");
    assert_eq!(h.notices().await.len(), notices_before + 1);
    let cancel = h
        .api
        .cancel_order_line(pb::CancelOrderLineRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id: order.lines[1].id.clone(),
            reason: String::new(),
        })
        .await
        .expect_err("shipped");
    assert_eq!(refused(cancel).0, "ILLEGAL_LINE_TRANSITION");

    let delivered = h
        .api
        .mark_delivered(pb::MarkDeliveredRequest {
            request_id: rid(),
            shipment_id: shipment.id.clone(),
        })
        .await
        .expect("delivered");
    assert_eq!(delivered.order.expect("order").lines[1].status, DELIVERED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_line_the_supplier_does_not_ship_is_refused_and_nothing_is_written() {
    let h = harness("drop_ship_refused").await;
    let order = place(
        &h,
        &[("PEN-1", 2), ("DS-1", 3)],
        pb::ShipPolicy::AsAvailable,
        0,
    )
    .await;
    let outbox_before = h.outbox().await.len();

    let error = h
        .api
        .record_drop_shipment(drop_shipment(&order, &rid(), &[(1, 3), (0, 2)]))
        .await
        .expect_err("PEN-1 ships from a warehouse");
    assert_eq!(
        refused(error),
        (
            "NOT_DROP_SHIP",
            vec![format!("items:{}", order.lines[0].id)]
        )
    );
    let too_many = h
        .api
        .record_drop_shipment(drop_shipment(&order, &rid(), &[(1, 4)]))
        .await
        .expect_err("more than the line");
    assert_eq!(refused(too_many).0, "DROP_SHIPMENT_EXCEEDS_LINE");
    let mut unknown = drop_shipment(&order, &rid(), &[(1, 3)]);
    unknown.items[0].line_id = rid();
    let error = h
        .api
        .record_drop_shipment(unknown)
        .await
        .expect_err("no such line");
    assert_eq!(error.code(), tonic::Code::NotFound);

    let read = get(&h, &order).await;
    assert_eq!(read.lines, order.lines, "no line moved");
    assert!(read.shipments.is_empty());
    assert_eq!(h.outbox().await.len(), outbox_before, "nobody was told");
}

#[tokio::test(flavor = "multi_thread")]
async fn lines_cancelled_meanwhile_are_left_out_and_the_demand_released() {
    let h = harness("drop_ship_cancelled").await;
    let order = place(
        &h,
        &[("DS-1", 3), ("DS-2", 1)],
        pb::ShipPolicy::AsAvailable,
        0,
    )
    .await;
    h.api
        .cancel_order_line(pb::CancelOrderLineRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id: order.lines[1].id.clone(),
            reason: String::new(),
        })
        .await
        .expect("a drop-ship line is cancelled like any waiting line");
    let released: Vec<String> = h
        .outbox()
        .await
        .iter()
        .filter(|m| m.method == ReleaseReservationRequest::PATH)
        .map(|m| m.destination.clone())
        .collect();
    assert_eq!(released, ["inventory"], "inventory releases the demand");

    let only_cancelled = h
        .api
        .record_drop_shipment(drop_shipment(&order, &rid(), &[(1, 1)]))
        .await
        .expect("nothing left is no error");
    assert_eq!(only_cancelled.shipment, None);
    assert!(only_cancelled.order.expect("order").shipments.is_empty());

    let part = h
        .api
        .record_drop_shipment(drop_shipment(&order, &rid(), &[(0, 1), (1, 1)]))
        .await
        .expect("recorded");
    let shipment = part.shipment.expect("shipment");
    assert_eq!(shipment.line_ids, [order.lines[0].id.clone()]);
    let line = &part.order.expect("order").lines[0];
    assert_eq!(
        (line.status, line.shipped_quantity),
        (BACKORDERED, 1),
        "the rest is still to come from the supplier"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drop_shipment_for_an_order_still_being_placed_is_told_again_later() {
    let h = harness("drop_ship_pending").await;
    h.fake.script(|_, _| async move { Err(outage()) });
    h.fake.drop_ship(&["DS-1"]);
    let customer = rid();
    let mut request = place_request(&customer, &[("DS-1", 1)]);
    request.ship_to_address = ADDRESS.to_owned();
    h.api
        .place_order(request)
        .await
        .expect_err("inventory down");
    let pending = h.orders_of(&customer).await.remove(0);
    let error = h
        .api
        .record_drop_shipment(drop_shipment(&pending, &rid(), &[(0, 1)]))
        .await
        .expect_err("pending");
    assert_eq!(refused(error).0, "ORDER_PENDING");
}
