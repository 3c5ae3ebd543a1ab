//! Ship policies and bundled parcels, end to end: the merchant's default,
//! an order's own parcel limit, and one parcel for several orders.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as ord;
use backorder_proto::order::v1::LineStatus;
use backorder_tests::{Suite, SuiteOptions, eventually, rid};
use tonic::Code;

use crate::fixtures::*;

fn reason(status: &tonic::Status) -> String {
    tonic_types::StatusExt::get_error_details(status)
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

async fn ship(suite: &Suite, order_id: &str) -> Result<ord::CreateShipmentResponse, tonic::Status> {
    suite
        .order()
        .await
        .create_shipment(ord::CreateShipmentRequest {
            request_id: rid(),
            order_id: order_id.into(),
            tracking_number: format!("TRK-{}", &rid()[24..]),
            carrier: "DHL".into(),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn restock(suite: &Suite, sku: &str, delta: i64) {
    suite
        .inventory()
        .await
        .adjust_stock(inv::AdjustStockRequest {
            request_id: rid(),
            sku: sku.into(),
            delta,
            reason: "restock".into(),
            warehouse: String::new(),
        })
        .await
        .expect("restock");
}

async fn place_with(suite: &Suite, request: ord::PlaceOrderRequest) -> ord::Order {
    suite
        .order()
        .await
        .place_order(request)
        .await
        .expect("place")
        .into_inner()
        .order
        .expect("order")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_of_at_most_two_parcels_ships_early_lines_then_waits_for_the_rest() {
    let suite = Suite::start().await;
    product(&suite, "CUP-1", inv::BackorderPolicy::Deny, 5).await;
    product(&suite, "POT-1", inv::BackorderPolicy::Allow, 0).await;
    let eve = customer(&suite, "Eve").await;
    let mut request = order_request(&eve, &[("CUP-1", 1), ("POT-1", 2)]);
    request.ship_policy = ord::ShipPolicy::UpToNShipments as i32;
    request.max_shipments = 2;
    let order = place_with(&suite, request).await;
    assert_eq!(
        (order.ship_policy, order.max_shipments),
        (ord::ShipPolicy::UpToNShipments as i32, 2)
    );

    let first = ship(&suite, &order.id).await.expect("first parcel");
    let shipped = first.shipment.expect("shipment");
    assert_eq!(shipped.line_ids, vec![order.lines[0].id.clone()]);

    let waiting = ship(&suite, &order.id)
        .await
        .expect_err("last parcel waits");
    assert_eq!(waiting.code(), Code::FailedPrecondition);
    assert_eq!(reason(&waiting), "LAST_PARCEL_WAITING");
    assert_eq!(get_order(&suite, &order.id).await.shipments.len(), 1);

    restock(&suite, "POT-1", 2).await;
    wait_line_statuses(&suite, &order.id, &[LineStatus::Shipped, LineStatus::Ready]).await;
    let last = ship(&suite, &order.id).await.expect("last parcel");
    assert_eq!(
        last.order.expect("order").status,
        ord::OrderStatus::Shipped as i32
    );

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
        timeline
            .events
            .iter()
            .any(|e| e.detail.contains("at most 2 parcel(s)")),
        "the policy is on the timeline: {:?}",
        timeline.events
    );
    wait_notifications(
        &suite,
        &eve,
        &[
            Ev::OrderConfirmed,
            Ev::Backordered,
            Ev::Shipped,
            Ev::Ready,
            Ev::Shipped,
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_without_a_policy_takes_the_merchants_default() {
    let suite = Suite::start_with(SuiteOptions::settings(&[(
        "fulfilment.default_ship_policy",
        "COMPLETE",
    )]))
    .await;
    let settings = suite
        .order()
        .await
        .get_fulfilment_settings(ord::GetFulfilmentSettingsRequest {})
        .await
        .expect("settings")
        .into_inner();
    assert_eq!(
        (settings.default_ship_policy, settings.default_max_shipments),
        (ord::ShipPolicy::Complete as i32, 0)
    );
    product(&suite, "PEN-1", inv::BackorderPolicy::Deny, 5).await;
    product(&suite, "INK-9", inv::BackorderPolicy::Allow, 0).await;
    let fay = customer(&suite, "Fay").await;
    let mut request = order_request(&fay, &[("PEN-1", 1), ("INK-9", 1)]);
    request.ship_policy = ord::ShipPolicy::Unspecified as i32;
    let order = place_with(&suite, request).await;
    assert_eq!(order.ship_policy, ord::ShipPolicy::Complete as i32);
    let refused = ship(&suite, &order.id).await.expect_err("waits for all");
    assert_eq!(reason(&refused), "SHIP_COMPLETE_WAITING");

    // An order may override the default.
    let mut own = order_request(&fay, &[("PEN-1", 1), ("INK-9", 1)]);
    own.ship_policy = ord::ShipPolicy::AsAvailable as i32;
    let own = place_with(&suite, own).await;
    assert_eq!(own.ship_policy, ord::ShipPolicy::AsAvailable as i32);
    ship(&suite, &own.id).await.expect("ships what is ready");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_parcel_carries_the_ready_lines_of_a_customers_orders_and_arrives_once() {
    let suite = Suite::start().await;
    product(&suite, "BOX-1", inv::BackorderPolicy::Allow, 3).await;
    let gus = customer(&suite, "Gus").await;
    let hal = customer(&suite, "Hal").await;
    let addressed = |customer: &str, address: &str| {
        let mut request = order_request(customer, &[("BOX-1", 1)]);
        request.ship_to_address = address.into();
        request
    };
    let first = place_with(&suite, addressed(&gus, "1 Quay Street")).await;
    let second = place_with(&suite, addressed(&gus, " 1 Quay Street ")).await;
    let elsewhere = place_with(&suite, addressed(&gus, "9 Hill Road")).await;
    let other_customer = place_with(&suite, addressed(&hal, "1 Quay Street")).await;
    let waiting = place_with(&suite, addressed(&gus, "1 Quay Street")).await;
    assert_eq!(waiting.lines[0].status, LineStatus::Backordered as i32);

    let bundle = |ids: &[&str]| ord::CreateBundledShipmentRequest {
        request_id: rid(),
        order_ids: ids.iter().map(|id| (*id).to_owned()).collect(),
        tracking_number: "PARCEL-1".into(),
        carrier: "DHL".into(),
        warehouse: String::new(),
    };
    let mut orders = suite.order().await;
    for (ids, expected) in [
        ([&first.id, &elsewhere.id], "BUNDLE_ADDRESSES_DIFFER"),
        ([&first.id, &other_customer.id], "BUNDLE_CUSTOMERS_DIFFER"),
        ([&first.id, &waiting.id], "NOTHING_TO_SHIP"),
    ] {
        let refused = orders
            .create_bundled_shipment(bundle(&[ids[0], ids[1]]))
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert_eq!(reason(&refused), expected);
        assert!(
            get_order(&suite, &first.id).await.shipments.is_empty(),
            "a refused bundle ships nothing"
        );
    }

    let bundled = orders
        .create_bundled_shipment(bundle(&[&second.id, &first.id]))
        .await
        .expect("bundle")
        .into_inner();
    assert_eq!(bundled.shipments.len(), 2);
    assert_eq!(bundled.shipments[0].order_id, second.id, "as named");
    for shipment in &bundled.shipments {
        assert_eq!(shipment.bundle_id, bundled.bundle_id);
        assert_eq!(shipment.tracking_number, "PARCEL-1");
    }
    orders
        .mark_delivered(ord::MarkDeliveredRequest {
            request_id: rid(),
            shipment_id: bundled.shipments[1].id.clone(),
        })
        .await
        .expect("delivered");
    for id in [&first.id, &second.id] {
        assert_eq!(
            get_order(&suite, id).await.status,
            ord::OrderStatus::Delivered as i32,
            "the whole parcel arrived"
        );
    }
    eventually("stock issued for both orders", WAIT, || async {
        (stock(&suite, "BOX-1").await.on_hand == 1).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reserved_part_of_a_short_line_ships_ahead_and_the_customer_hears_what_is_left() {
    let suite = Suite::start().await;
    product(&suite, "LAMP-9", inv::BackorderPolicy::Allow, 2).await;
    let ida = customer(&suite, "Ida").await;
    let order = place(&suite, &ida, &[("LAMP-9", 5)]).await;
    let line_id = order.lines[0].id.clone();
    assert_eq!(
        (
            order.lines[0].ready_quantity,
            order.lines[0].shipped_quantity
        ),
        (2, 0)
    );

    // The 2 on hand leave; the line keeps waiting for 3.
    let first = ship(&suite, &order.id).await.expect("part ships");
    let parcel = first.shipment.expect("shipment");
    assert_eq!(
        parcel.items,
        vec![ord::ShipmentItem {
            line_id: line_id.clone(),
            quantity: 2
        }]
    );
    let line = &first.order.expect("order").lines[0];
    assert_eq!(line.status, LineStatus::Backordered as i32);
    assert_eq!((line.shipped_quantity, line.ready_quantity), (2, 0));
    eventually("2 units issued", WAIT, || async {
        let level = stock(&suite, "LAMP-9").await;
        ((level.on_hand, level.reserved, level.backordered) == (0, 0, 3)).then_some(())
    })
    .await;
    let refused = ship(&suite, &order.id)
        .await
        .expect_err("nothing reserved now");
    assert_eq!(reason(&refused), "NOTHING_TO_SHIP");

    // One more unit arrives: it may ship ahead of the other two.
    restock(&suite, "LAMP-9", 1).await;
    eventually("the unit reserved for the line", WAIT, || async {
        (get_order(&suite, &order.id).await.lines[0].ready_quantity == 1).then_some(())
    })
    .await;
    ship(&suite, &order.id).await.expect("the unit ships");

    // The rest arrives: the line is ready and leaves complete.
    restock(&suite, "LAMP-9", 5).await;
    wait_line_statuses(&suite, &order.id, &[LineStatus::Ready]).await;
    let last = ship(&suite, &order.id).await.expect("the rest ships");
    let line = &last.order.expect("order").lines[0];
    assert_eq!(line.status, LineStatus::Shipped as i32);
    assert_eq!((line.shipped_quantity, line.ready_quantity), (5, 0));
    assert_eq!(last.shipment.expect("shipment").items[0].quantity, 2);
    eventually("every unit issued once", WAIT, || async {
        let level = stock(&suite, "LAMP-9").await;
        ((level.on_hand, level.reserved, level.backordered) == (3, 0, 0)).then_some(())
    })
    .await;

    let told = wait_notifications(
        &suite,
        &ida,
        &[
            Ev::OrderConfirmed,
            Ev::Backordered,
            Ev::Shipped,
            Ev::Shipped,
            Ev::Ready,
            Ev::Shipped,
        ],
    )
    .await;
    assert!(
        told[2].message.contains("2 of 5 x LAMP-9") && told[2].message.contains("the other 3"),
        "the customer hears what shipped and what is still to come: {}",
        told[2].message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_parcels_over_the_same_orders_ship_each_line_once_and_never_deadlock() {
    let suite = Suite::start().await;
    product(&suite, "RACE-BOX", inv::BackorderPolicy::Deny, 100).await;
    let jon = customer(&suite, "Jon").await;
    let mut orders = Vec::new();
    for _ in 0..4 {
        orders.push(place(&suite, &jon, &[("RACE-BOX", 1)]).await.id);
    }
    // Every pair of the four orders, in both directions, at once: the
    // bundles lock their orders in one order, so none waits on another in
    // a cycle, and each order's line leaves in exactly one parcel.
    let mut calls = Vec::new();
    for a in &orders {
        for b in &orders {
            if a == b {
                continue;
            }
            let mut client = suite.order().await;
            let request = ord::CreateBundledShipmentRequest {
                request_id: rid(),
                order_ids: vec![a.clone(), b.clone()],
                tracking_number: format!("P-{}", &rid()[24..]),
                carrier: "DHL".into(),
                warehouse: String::new(),
            };
            calls.push(tokio::spawn(async move {
                client.create_bundled_shipment(request).await
            }));
        }
    }
    let mut shipped = 0;
    for call in calls {
        match call.await.expect("task") {
            Ok(bundle) => shipped += bundle.into_inner().shipments.len(),
            Err(status) => {
                assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                assert_eq!(reason(&status), "NOTHING_TO_SHIP");
            }
        }
    }
    assert_eq!(shipped, orders.len(), "each order shipped in one parcel");
    for id in &orders {
        let order = get_order(&suite, id).await;
        assert_eq!(order.shipments.len(), 1);
        assert_eq!(order.status, ord::OrderStatus::Shipped as i32);
    }
    eventually("each unit issued once", WAIT, || async {
        (stock(&suite, "RACE-BOX").await.on_hand == 96).then_some(())
    })
    .await;
}
