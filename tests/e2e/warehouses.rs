//! Warehouses end to end: a line reserved in one warehouse and filled by a
//! receipt in another ships in one parcel per warehouse, inventory takes
//! each parcel's units off that warehouse's shelf, and the timeline says
//! where things came from.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::order::v1 as ord;
use backorder_proto::order::v1::LineStatus;
use backorder_tests::{Suite, rid, settles};

use crate::fixtures::*;

async fn ship_from(
    suite: &Suite,
    order_id: &str,
    warehouse: &str,
) -> Result<ord::CreateShipmentResponse, tonic::Status> {
    suite
        .order()
        .await
        .create_shipment(ord::CreateShipmentRequest {
            request_id: rid(),
            order_id: order_id.into(),
            tracking_number: format!("TRK-{}", &rid()[24..]),
            carrier: "DHL".into(),
            warehouse: warehouse.into(),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

/// (warehouse, on hand, reserved) of every shelf of `sku`.
async fn shelves(suite: &Suite, sku: &str) -> Vec<(String, i64, i64)> {
    suite
        .inventory()
        .await
        .get_product(inv::GetProductRequest { sku: sku.into() })
        .await
        .expect("get product")
        .into_inner()
        .product
        .expect("product")
        .warehouses
        .into_iter()
        .map(|s| (s.warehouse, s.on_hand, s.reserved))
        .collect()
}

fn ready_in(line: &ord::OrderLine) -> Vec<(String, i64)> {
    line.ready_in
        .iter()
        .map(|u| (u.warehouse.clone(), u.quantity))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_line_filled_in_two_warehouses_ships_one_parcel_from_each() {
    let suite = Suite::start().await;
    let mut inventory = suite.inventory().await;
    inventory
        .create_warehouse(inv::CreateWarehouseRequest {
            request_id: rid(),
            code: "east".into(),
            name: "East hub".into(),
            rank: 10,
        })
        .await
        .expect("open east");
    product(&suite, "LAMP-W", inv::BackorderPolicy::Allow, 1).await;
    let ada = customer(&suite, "Ada").await;
    let order = place(&suite, &ada, &[("LAMP-W", 3)]).await;
    assert_eq!(ready_in(&order.lines[0]), [("default".to_owned(), 1)]);

    // Two arrive at east: the waiting line gets them there.
    inventory
        .receive_stock(inv::ReceiveStockRequest {
            request_id: rid(),
            sku: "LAMP-W".into(),
            quantity: 2,
            warehouse: "east".into(),
            ..Default::default()
        })
        .await
        .expect("receipt at east");
    let ready = wait_line_statuses(&suite, &order.id, &[LineStatus::Ready]).await;
    assert_eq!(
        ready_in(&ready.lines[0]),
        [("default".to_owned(), 1), ("east".to_owned(), 2)]
    );

    // Unnamed, the parcel leaves from where most of it is: east, with 2.
    let first = ship_from(&suite, &order.id, "")
        .await
        .expect("first parcel");
    let parcel = first.shipment.expect("shipment");
    assert_eq!(parcel.warehouse, "east");
    assert_eq!(parcel.items[0].quantity, 2);
    let line = &first.order.expect("order").lines[0];
    assert_eq!(
        line.status,
        LineStatus::Ready as i32,
        "one unit is still in default"
    );
    assert_eq!(ready_in(line), [("default".to_owned(), 1)]);
    // Nothing of it is in east any more.
    let empty = ship_from(&suite, &order.id, "east")
        .await
        .expect_err("east has nothing left");
    assert_eq!(empty.code(), tonic::Code::FailedPrecondition, "{empty:?}");
    let second = ship_from(&suite, &order.id, "default")
        .await
        .expect("second parcel");
    assert_eq!(second.shipment.expect("shipment").warehouse, "default");
    assert_eq!(
        second.order.expect("order").lines[0].status,
        LineStatus::Shipped as i32
    );

    // Inventory issued each parcel from its own shelf.
    settles("both shelves emptied", WAIT, || async {
        let now = shelves(&suite, "LAMP-W").await;
        let expected = vec![("default".to_owned(), 0, 0), ("east".to_owned(), 0, 0)];
        if now == expected {
            Ok(())
        } else {
            Err(format!("shelves are {now:?}"))
        }
    })
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
    assert!(
        timeline.events.iter().any(|e| e.detail.contains("east")),
        "where the units came from is on the timeline: {:?}",
        timeline.events
    );
}
