//! Warehouses: where each line's ready units are, as inventory reserved
//! and allocated them, and parcels that leave from one warehouse each.

use backorder_platform::ServiceError;
use backorder_platform::error::PreconditionViolation;
use backorder_proto::Rpc;
use backorder_proto::inventory::v1::{IssueLine, IssueStockRequest};
use backorder_proto::order::v1 as pb;
use prost::Message;
use sea_orm::{ConnectionTrait, Statement};

use crate::fake_peers::{backorder_all, reserve_from};
use crate::helpers::{Harness, harness, place_request, rid};

const READY: i32 = pb::LineStatus::Ready as i32;
const SHIPPED: i32 = pb::LineStatus::Shipped as i32;

/// `(warehouse, units)` of a line as answered.
fn ready_in(line: &pb::OrderLine) -> Vec<(&str, i64)> {
    line.ready_in
        .iter()
        .map(|p| (p.warehouse.as_str(), p.quantity))
        .collect()
}

/// Stored parts, `(line id, warehouse, units)` in that order.
async fn stored_parts(h: &Harness) -> Vec<(String, String, i64)> {
    let backend = h.db.get_database_backend();
    h.db.query_all_raw(Statement::from_string(
        backend,
        "SELECT line_id, warehouse, quantity FROM order_line_stock ORDER BY line_id, warehouse",
    ))
    .await
    .expect("parts")
    .iter()
    .map(|row| {
        (
            row.try_get_by_index(0).expect("line"),
            row.try_get_by_index(1).expect("warehouse"),
            row.try_get_by_index(2).expect("units"),
        )
    })
    .collect()
}

async fn issues(h: &Harness) -> Vec<IssueStockRequest> {
    h.outbox()
        .await
        .into_iter()
        .filter(|m| m.method == IssueStockRequest::PATH)
        .map(|m| IssueStockRequest::decode(m.payload.as_slice()).expect("decode"))
        .collect()
}

fn shipment(order_id: &str, line_ids: &[&str], warehouse: &str) -> pb::CreateShipmentRequest {
    pb::CreateShipmentRequest {
        request_id: rid(),
        order_id: order_id.to_owned(),
        line_ids: line_ids.iter().map(|id| (*id).to_owned()).collect(),
        tracking_number: format!("TRK-{}", &rid()[24..]),
        carrier: "DHL".to_owned(),
        warehouse: warehouse.to_owned(),
    }
}

async fn ship(h: &Harness, order_id: &str, warehouse: &str) -> pb::CreateShipmentResponse {
    h.api
        .create_shipment(shipment(order_id, &[], warehouse))
        .await
        .expect("shipped")
}

async fn timeline_details(h: &Harness, order_id: &str) -> Vec<(String, String)> {
    h.api
        .get_order_timeline(pb::GetOrderTimelineRequest {
            order_id: order_id.to_owned(),
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
async fn reserved_units_are_recorded_where_inventory_holds_them() {
    let h = harness("warehouses_reserved").await;
    h.fake.script(|req, _| async move {
        let mut reply = reserve_from(&req, &[&[("east", 2), ("default", 1)], &[("west", 2)]]);
        // The third line as an inventory from before warehouses answers.
        if let Some(line) = reply.lines.get_mut(2) {
            line.reserved_quantity = 1;
            line.backordered_quantity = 0;
        }
        Ok(reply)
    });
    let order = h
        .place(&rid(), &[("PEN-1", 3), ("INK-2", 5), ("PAD-3", 1)])
        .await;

    let placed: Vec<Vec<(&str, i64)>> = order.lines.iter().map(ready_in).collect();
    assert_eq!(
        placed,
        [
            vec![("default", 1), ("east", 2)],
            vec![("west", 2)],
            vec![("default", 1)]
        ],
        "by warehouse code; no warehouse named means the default"
    );
    let read = h
        .api
        .get_order(pb::GetOrderRequest {
            order_id: order.id.clone(),
        })
        .await
        .expect("order")
        .order
        .expect("order");
    assert_eq!(read.lines, order.lines, "read back as answered");
    assert_eq!(stored_parts(&h).await.len(), 4);

    let details = timeline_details(&h, &order.id).await;
    for expected in [
        "3 x PEN-1 reserved: 2 from east, 1 from default",
        "5 x INK-2: 2 reserved (2 from west), 3 backordered",
        "1 x PAD-3 reserved: 1 from default",
    ] {
        assert!(
            details.iter().any(|(_, d)| d == expected),
            "{expected:?} in {details:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn allocated_units_are_added_where_inventory_gave_them() {
    let h = harness("warehouses_allocated").await;
    h.fake
        .script(|req, _| async move { Ok(backorder_all(&req)) });
    let order = h.place(&rid(), &[("PEN-1", 5), ("INK-2", 2)]).await;
    let allocated =
        |line: usize, allocated, waiting, warehouse: &str| pb::MarkLineAllocatedRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id: order.lines[line].id.clone(),
            allocated_quantity: allocated,
            waiting_quantity: waiting,
            warehouse: warehouse.to_owned(),
        };

    let bad = h
        .api
        .mark_line_allocated(allocated(0, 2, 3, "East"))
        .await
        .expect_err("malformed code");
    match bad {
        ServiceError::InvalidArgument(fields) => assert_eq!(fields[0].field, "warehouse"),
        other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
    }
    let part = h
        .api
        .mark_line_allocated(allocated(0, 2, 3, "east"))
        .await
        .expect("part")
        .line
        .expect("line");
    assert_eq!(ready_in(&part), [("east", 2)]);
    let whole = h
        .api
        .mark_line_allocated(allocated(0, 3, 0, "west"))
        .await
        .expect("the rest")
        .line
        .expect("line");
    assert_eq!(whole.status, READY);
    assert_eq!(whole.ready_quantity, 5);
    assert_eq!(ready_in(&whole), [("east", 2), ("west", 3)]);
    let told_before_warehouses = h
        .api
        .mark_line_allocated(allocated(1, 0, 0, ""))
        .await
        .expect("complete, as older news")
        .line
        .expect("line");
    assert_eq!(ready_in(&told_before_warehouses), [("default", 2)]);

    let read = h
        .api
        .get_order(pb::GetOrderRequest {
            order_id: order.id.clone(),
        })
        .await
        .expect("order")
        .order
        .expect("order");
    assert_eq!(ready_in(&read.lines[0]), [("east", 2), ("west", 3)]);
    let details = timeline_details(&h, &order.id).await;
    assert!(
        details
            .iter()
            .any(|(event, detail)| event == "line_partly_allocated"
                && detail == "2 more of 5 x PEN-1 reserved in east; 2 ready to ship"),
        "{details:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ready_line_split_across_warehouses_ships_one_parcel_per_warehouse() {
    let h = harness("warehouses_split").await;
    h.fake
        .script(|req, _| async move { Ok(reserve_from(&req, &[&[("east", 2), ("default", 1)]])) });
    let order = h.place(&rid(), &[("PEN-1", 3)]).await;
    let line_id = order.lines[0].id.clone();

    let first = ship(&h, &order.id, "").await;
    let parcel = first.shipment.expect("shipment");
    assert_eq!(parcel.warehouse, "east", "the warehouse holding most");
    assert_eq!(parcel.items[0].quantity, 2);
    let line = &first.order.as_ref().expect("order").lines[0];
    assert_eq!(line.status, READY, "one unit is still to go");
    assert_eq!((line.shipped_quantity, line.ready_quantity), (2, 1));
    assert_eq!(ready_in(line), [("default", 1)]);

    let second = ship(&h, &order.id, "").await;
    let parcel = second.shipment.expect("shipment");
    assert_eq!(parcel.warehouse, "default");
    let after = second.order.expect("order");
    assert_eq!(after.lines[0].status, SHIPPED);
    assert_eq!(after.status, pb::OrderStatus::Shipped as i32);
    assert!(after.lines[0].ready_in.is_empty());
    let warehouses: Vec<&str> = after
        .shipments
        .iter()
        .map(|s| s.warehouse.as_str())
        .collect();
    assert_eq!(warehouses, ["east", "default"]);
    assert!(stored_parts(&h).await.is_empty());

    let issued: Vec<(String, Vec<IssueLine>)> = issues(&h)
        .await
        .into_iter()
        .map(|i| (i.warehouse, i.lines))
        .collect();
    let units = |quantity| {
        vec![IssueLine {
            line_id: line_id.clone(),
            quantity,
        }]
    };
    assert_eq!(
        issued,
        [
            ("east".to_owned(), units(2)),
            ("default".to_owned(), units(1))
        ],
        "inventory issues each parcel from its warehouse"
    );
    let shipped: Vec<(String, String)> = timeline_details(&h, &order.id)
        .await
        .into_iter()
        .filter(|(event, _)| event.contains("shipped"))
        .collect();
    assert_eq!(shipped.len(), 2);
    assert_eq!(shipped[0].0, "line_partly_shipped");
    assert!(shipped[0].1.contains("from east"), "{shipped:?}");
    assert_eq!(shipped[1].0, "line_shipped");
    assert!(shipped[1].1.contains("from default"), "{shipped:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_line_without_units_in_the_named_warehouse_is_refused_and_nothing_is_written() {
    let h = harness("warehouses_refused").await;
    h.fake.script(
        |req, _| async move { Ok(reserve_from(&req, &[&[("east", 2)], &[("default", 1)]])) },
    );
    let order = h.place(&rid(), &[("PEN-1", 2), ("INK-2", 1)]).await;
    let (east_line, default_line) = (order.lines[0].id.clone(), order.lines[1].id.clone());
    let parts_before = stored_parts(&h).await;
    let outbox_before = h.outbox().await.len();

    let mut request = shipment(&order.id, &[&east_line, &default_line], "east");
    let refused = h
        .api
        .create_shipment(request.clone())
        .await
        .expect_err("a parcel leaves from one warehouse");
    match refused {
        ServiceError::FailedPrecondition {
            reason, violations, ..
        } => {
            assert_eq!(reason, "NOT_IN_WAREHOUSE");
            assert_eq!(
                violations
                    .iter()
                    .map(|v: &PreconditionViolation| v.subject.as_str())
                    .collect::<Vec<_>>(),
                [format!("line_ids:{default_line}")]
            );
        }
        other => panic!("expected FAILED_PRECONDITION, got {other:?}"),
    }
    let read = h
        .api
        .get_order(pb::GetOrderRequest {
            order_id: order.id.clone(),
        })
        .await
        .expect("order")
        .order
        .expect("order");
    assert!(read.shipments.is_empty());
    assert_eq!(read.lines, order.lines, "no line moved");
    assert_eq!(stored_parts(&h).await, parts_before);
    assert_eq!(h.outbox().await.len(), outbox_before, "nothing sent");

    let malformed = h
        .api
        .create_shipment(shipment(&order.id, &[], "East"))
        .await
        .expect_err("malformed code");
    match malformed {
        ServiceError::InvalidArgument(fields) => assert_eq!(fields[0].field, "warehouse"),
        other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
    }

    // The refusal kept nothing, its request id included.
    request.line_ids = vec![default_line.clone()];
    request.warehouse = "default".to_owned();
    let shipped = h.api.create_shipment(request).await.expect("from default");
    assert_eq!(shipped.shipment.expect("shipment").warehouse, "default");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_warehouse_the_parcel_leaves_from_the_one_holding_most() {
    let h = harness("warehouses_choice").await;
    h.fake.script(
        |req, _| async move { Ok(reserve_from(&req, &[&[("default", 2)], &[("east", 3)]])) },
    );
    let order = h.place(&rid(), &[("PEN-1", 2), ("INK-2", 3)]).await;

    let first = ship(&h, &order.id, "").await;
    let parcel = first.shipment.expect("shipment");
    assert_eq!(parcel.warehouse, "east", "3 units against 2");
    assert_eq!(parcel.line_ids, [order.lines[1].id.clone()]);
    let left = first.order.expect("order");
    assert_eq!(
        left.lines[0].status, READY,
        "left for a parcel from default"
    );
    assert_eq!(ready_in(&left.lines[0]), [("default", 2)]);
    assert_eq!(left.status, pb::OrderStatus::PartiallyShipped as i32);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_one_parcel_order_split_across_warehouses_ships_one_parcel_per_warehouse() {
    let h = harness("warehouses_final").await;
    h.fake.script(|req, _| async move {
        Ok(reserve_from(
            &req,
            &[&[("east", 1), ("default", 1)], &[("default", 2)]],
        ))
    });
    let mut request = place_request(&rid(), &[("PEN-1", 2), ("INK-2", 2)]);
    request.ship_policy = pb::ShipPolicy::UpToNShipments as i32;
    request.max_shipments = 1;
    let order = h
        .api
        .place_order(request)
        .await
        .expect("placed")
        .order
        .expect("order");

    let first = ship(&h, &order.id, "").await.shipment.expect("shipment");
    assert_eq!(first.warehouse, "default");
    assert_eq!(first.items.len(), 2, "every line holding units there");
    let rest = ship(&h, &order.id, "").await;
    assert_eq!(
        rest.shipment.expect("shipment").warehouse,
        "east",
        "the rest of the complete dispatch is not held back by the limit"
    );
    assert_eq!(
        rest.order.expect("order").status,
        pb::OrderStatus::Shipped as i32
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_line_holds_no_ready_units() {
    let h = harness("warehouses_cancel").await;
    h.fake.script(|req, _| async move {
        Ok(reserve_from(
            &req,
            &[&[("east", 1), ("default", 1)], &[("east", 1)]],
        ))
    });
    let order = h.place(&rid(), &[("PEN-1", 2), ("INK-2", 1)]).await;
    let after = h
        .api
        .cancel_order_line(pb::CancelOrderLineRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id: order.lines[0].id.clone(),
            reason: String::new(),
        })
        .await
        .expect("cancelled")
        .order
        .expect("order");
    assert_eq!(
        (after.lines[0].ready_quantity, after.lines[0].ready_in.len()),
        (0, 0)
    );
    let parts = stored_parts(&h).await;
    assert_eq!(
        parts,
        [(order.lines[1].id.clone(), "east".to_owned(), 1)],
        "only the open line's part is left"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bundle_leaves_from_one_warehouse() {
    let h = harness("warehouses_bundle").await;
    h.fake.script(|req, _| async move {
        let split: &[&[(&str, i64)]] = if req.lines[0].sku == "PEN-1" {
            &[&[("east", 2)]]
        } else {
            &[&[("east", 1), ("default", 1)]]
        };
        Ok(reserve_from(&req, split))
    });
    let customer = rid();
    let first = h.place(&customer, &[("PEN-1", 2)]).await;
    let second = h.place(&customer, &[("INK-2", 2)]).await;
    let bundled = h
        .api
        .create_bundled_shipment(pb::CreateBundledShipmentRequest {
            request_id: rid(),
            order_ids: vec![first.id.clone(), second.id.clone()],
            tracking_number: "PARCEL-1".to_owned(),
            carrier: "DHL".to_owned(),
            warehouse: String::new(),
        })
        .await
        .expect("bundled");
    let warehouses: Vec<&str> = bundled
        .shipments
        .iter()
        .map(|s| s.warehouse.as_str())
        .collect();
    assert_eq!(warehouses, ["east", "east"]);
    assert_eq!(ready_in(&bundled.orders[1].lines[0]), [("default", 1)]);
    let issued: Vec<String> = issues(&h).await.into_iter().map(|i| i.warehouse).collect();
    assert_eq!(issued, ["east", "east"]);
}
