//! Drop-ship end to end: a SKU whose preferred supplier ships straight to
//! customers; a short line of it goes on a drop-ship purchase order
//! addressed to the customer, the supplier's ship confirmation ships the
//! line and tells the customer, and no stock moves through a warehouse.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as ord;
use backorder_proto::order::v1::LineStatus;
use backorder_proto::procurement::v1 as proc_;
use backorder_tests::{Suite, eventually, rid, settles};

use crate::fixtures::*;

const ADDRESS: &str = "2 Harbour Road, Leith";

#[tokio::test(flavor = "multi_thread")]
async fn a_short_drop_ship_line_is_shipped_by_the_supplier_to_the_customer() {
    let suite = Suite::start().await;
    product(&suite, "CHAIR-D", inv::BackorderPolicy::Allow, 1).await;
    product(&suite, "MUG-D", inv::BackorderPolicy::Deny, 5).await;
    let mut procurement = suite.procurement().await;
    let supplier = procurement
        .create_supplier(proc_::CreateSupplierRequest {
            request_id: rid(),
            name: "Chairs Direct".into(),
            lead_time_days: 4,
        })
        .await
        .expect("supplier")
        .into_inner()
        .supplier
        .expect("supplier");
    procurement
        .set_supplier_item(proc_::SetSupplierItemRequest {
            request_id: rid(),
            supplier_id: supplier.id.clone(),
            sku: "CHAIR-D".into(),
            unit_cost_minor: 9_000,
            minimum_order_quantity: 10,
            case_pack: 5,
            preferred: true,
            drop_ship: true,
        })
        .await
        .expect("drop-ship offer");
    // Inventory hears it from procurement's outbox.
    eventually("inventory drop-ships CHAIR-D", WAIT, || async {
        suite
            .inventory()
            .await
            .get_product(inv::GetProductRequest {
                sku: "CHAIR-D".into(),
            })
            .await
            .ok()
            .and_then(|r| r.into_inner().product)
            .filter(|p| p.drop_ship)
    })
    .await;

    let ada = customer(&suite, "Ada").await;
    let mut request = order_request(&ada, &[("CHAIR-D", 3), ("MUG-D", 1)]);
    request.ship_policy = ord::ShipPolicy::Complete as i32;
    request.ship_to_address = ADDRESS.into();
    let order = suite
        .order()
        .await
        .place_order(request)
        .await
        .expect("placed")
        .into_inner()
        .order
        .expect("order");
    assert!(
        order.lines[0].drop_ship,
        "stock can't fill 3: the supplier ships it"
    );
    assert!(!order.lines[1].drop_ship);
    assert_eq!(order.lines[0].status, LineStatus::Backordered as i32);
    // Nothing of the one chair on the shelf was taken.
    let chairs = stock(&suite, "CHAIR-D").await;
    assert_eq!((chairs.on_hand, chairs.reserved), (1, 0));

    // The drop-ship purchase order: addressed to her, exactly 3 (no MOQ).
    let po = eventually("a drop-ship purchase order", WAIT, || async {
        purchase_orders(&suite, &supplier.id)
            .await
            .into_iter()
            .find(|p| p.drop_ship && p.order_id == order.id)
    })
    .await;
    assert_eq!(po.ship_to_address, ADDRESS);
    assert_eq!(
        po.lines
            .iter()
            .map(|l| l.ordered_quantity)
            .collect::<Vec<_>>(),
        [3]
    );
    procurement
        .submit_purchase_order(proc_::SubmitPurchaseOrderRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
        })
        .await
        .expect("submit");

    // Ship-complete, yet the mug leaves: the drop-ship line travels apart.
    let mug = suite
        .order()
        .await
        .create_shipment(ord::CreateShipmentRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            tracking_number: "MUG-TRK-1".into(),
            carrier: "DHL".into(),
            ..Default::default()
        })
        .await
        .expect("the mug ships")
        .into_inner();
    assert_eq!(
        mug.shipment.expect("shipment").line_ids,
        [order.lines[1].id.clone()]
    );

    let confirmed = procurement
        .confirm_drop_shipment(proc_::ConfirmDropShipmentRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
            carrier: "UPS".into(),
            tracking_number: "1ZDROP0001".into(),
        })
        .await
        .expect("supplier shipped")
        .into_inner()
        .purchase_order
        .expect("purchase order");
    assert_eq!(
        confirmed.status,
        proc_::PurchaseOrderStatus::DropShipped as i32
    );
    let shipped = settles("the chair line shipped", WAIT, || async {
        let now = get_order(&suite, &order.id).await;
        if now.status == ord::OrderStatus::Shipped as i32 {
            Ok(now)
        } else {
            Err(format!("order is {:?}", now.status))
        }
    })
    .await;
    let drop = shipped
        .shipments
        .iter()
        .find(|s| s.drop_ship)
        .expect("a drop shipment");
    assert_eq!(
        (
            drop.purchase_order_id.as_str(),
            drop.warehouse.as_str(),
            drop.tracking_number.as_str()
        ),
        (po.id.as_str(), "", "1ZDROP0001")
    );
    // No stock moved through a warehouse for it.
    let chairs = stock(&suite, "CHAIR-D").await;
    assert_eq!((chairs.on_hand, chairs.reserved), (1, 0));
    let told = eventually("the customer hears of the drop shipment", WAIT, || async {
        notifications_of_customer(&suite, &ada)
            .await
            .into_iter()
            .find(|n| n.event == Ev::Shipped as i32 && n.message.contains("1ZDROP0001"))
    })
    .await;
    assert!(!told.message.contains(ADDRESS), "no address in a notice");
}
