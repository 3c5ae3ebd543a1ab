//! A drop-ship purchase order after submission: the supplier's ship
//! confirmation tells the order service which lines left; it is never
//! received, and cancelling it keeps its demand drop-shipped.

use backorder_platform::ServiceError;
use backorder_platform::ids::new_id_string;
use backorder_platform::time::{DAY_MS, from_timestamp, now_ms};
use backorder_proto::procurement::v1 as pb;
use procurement::store::{demand, supplier_item};
use sea_orm::EntityTrait;
use tonic::Code;

use crate::helpers::*;

/// A supplier drop-shipping SKU-D and SKU-E, and one order's drop-ship
/// purchase order carrying 3 of one and 2 of the other.
async fn drop_ship_order(h: &Harness) -> (String, String, Vec<pb::Demand>) {
    let acme = h.supplier("Acme", 4).await;
    for sku in ["SKU-D", "SKU-E"] {
        h.drop_ship_item(&acme, sku, true, true)
            .await
            .expect("offer");
    }
    let order_id = new_id_string();
    let demands = vec![
        h.drop_ship_demand(&order_id, "SKU-D", 3).await,
        h.drop_ship_demand(&order_id, "SKU-E", 2).await,
    ];
    (acme, order_id, demands)
}

fn confirm_request(id: &str) -> pb::ConfirmDropShipmentRequest {
    pb::ConfirmDropShipmentRequest {
        request_id: new_id_string(),
        purchase_order_id: id.to_owned(),
        carrier: "UPS".to_owned(),
        tracking_number: "1ZDROP0001".to_owned(),
    }
}

#[tokio::test]
async fn a_confirmed_drop_shipment_tells_the_order_service_which_lines_left() {
    let h = harness().await;
    let (acme, order_id, demands) = drop_ship_order(&h).await;
    let po_id = demands[0].purchase_order_id.clone();

    assert_eq!(
        reason(h.confirm(&po_id, "1Z").await),
        "PO_NOT_SHIPPABLE",
        "a draft"
    );
    h.submit(&po_id).await.expect("submit");
    let promised = now_ms() + 3 * DAY_MS;
    h.acknowledge(&po_id, promised).await.expect("acknowledge");
    let etas = h.etas().await;
    assert_eq!(etas.len(), 4, "on arrival, then the promised date");
    assert!(
        etas[2..]
            .iter()
            .all(|m| m.eta.as_ref().map(from_timestamp) == Some(promised))
    );

    let request = confirm_request(&po_id);
    let confirmed = call(h.api.confirm_drop_shipment(request.clone()))
        .await
        .expect("confirmed")
        .purchase_order
        .expect("purchase order");
    assert_eq!(confirmed.status, DROP_SHIPPED);
    assert_eq!(
        (
            confirmed.carrier.as_str(),
            confirmed.tracking_number.as_str()
        ),
        ("UPS", "1ZDROP0001")
    );
    assert_eq!(confirmed, h.po(&po_id).await);

    let shipments = h.drop_shipments().await;
    assert_eq!(shipments.len(), 1);
    let shipment = &shipments[0];
    assert_eq!(shipment.order_id, order_id);
    assert_eq!(shipment.purchase_order_id, po_id);
    assert_eq!(
        (shipment.carrier.as_str(), shipment.tracking_number.as_str()),
        ("UPS", "1ZDROP0001")
    );
    let items: Vec<(String, i64)> = shipment
        .items
        .iter()
        .map(|i| (i.line_id.clone(), i.quantity))
        .collect();
    let mut expected: Vec<(String, i64)> = demands
        .iter()
        .map(|d| (d.line_id.clone(), d.quantity))
        .collect();
    let mut sorted = items.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected);
    assert!(h.receipts().await.is_empty(), "no stock moves");

    // Its demand is closed: shipped, not cancelled.
    for d in &demands {
        let row = demand::Entity::find_by_id(d.id.clone())
            .one(&h.db)
            .await
            .expect("read")
            .expect("stored");
        assert!(row.shipped_at.is_some() && !row.released);
    }
    assert!(h.demands_of(&order_id).await.iter().all(|d| !d.released));

    // The same request is answered again; another one is refused.
    let replay = call(h.api.confirm_drop_shipment(request))
        .await
        .expect("replay")
        .purchase_order
        .expect("purchase order");
    assert_eq!(replay, confirmed);
    assert_eq!(
        reason(h.confirm(&po_id, "1ZDROP0002").await),
        "PO_NOT_SHIPPABLE"
    );
    assert_eq!(h.drop_shipments().await.len(), 1);

    // Shipped is final: no cancel, no release, no receipt.
    assert_eq!(reason(h.cancel(&po_id).await), "PO_DROP_SHIPPED");
    assert!(!h.release(&demands[0].id).await.expect("release").released);
    assert_eq!(line(&h.po(&po_id).await, "SKU-D").demand_quantity, 3);
    assert_eq!(h.purchase_orders(&acme, DROP_SHIPPED).await.len(), 1);
    let performance = call(
        h.api
            .get_supplier_performance(pb::GetSupplierPerformanceRequest { supplier_id: acme }),
    )
    .await
    .expect("performance");
    assert_eq!(
        performance.purchase_orders_received, 0,
        "drop shipments are not receipts"
    );
}

#[tokio::test]
async fn only_a_drop_ship_order_with_open_lines_at_the_supplier_is_confirmed() {
    let h = harness().await;
    let (acme, order_id, demands) = drop_ship_order(&h).await;

    // A stock purchase order is received, never drop-shipped.
    h.item(&acme, "SKU-S", 1, 1, 1, true).await.expect("offer");
    let stock = h.demand("SKU-S", 1).await.purchase_order_id;
    h.submit(&stock).await.expect("submit");
    assert_eq!(reason(h.confirm(&stock, "1Z").await), "NOT_DROP_SHIP");

    // Every line it served was cancelled: nothing to ship.
    let po_id = demands[0].purchase_order_id.clone();
    h.submit(&po_id).await.expect("submit");
    for d in &demands {
        h.release(&d.id).await.expect("release");
    }
    assert_eq!(reason(h.confirm(&po_id, "1Z").await), "NOTHING_TO_SHIP");
    let cancelled = h.cancel(&po_id).await.expect("cancel instead");
    assert_eq!(
        reason(h.confirm(&cancelled.id, "1Z").await),
        "PO_NOT_SHIPPABLE"
    );

    let bad = call(h.api.confirm_drop_shipment(pb::ConfirmDropShipmentRequest {
        request_id: new_id_string(),
        purchase_order_id: "nope".to_owned(),
        carrier: " ".to_owned(),
        tracking_number: "9".repeat(101),
    }))
    .await;
    assert_eq!(
        invalid_fields(bad),
        ["purchase_order_id", "carrier", "tracking_number"]
    );
    assert_eq!(
        code(h.confirm(&new_id_string(), "1Z").await),
        Code::NotFound
    );
    assert!(
        h.drop_shipments().await.is_empty(),
        "a refusal sends nothing"
    );
    assert_eq!(h.po(&po_id).await.status, CANCELLED);
    assert!(h.demands_of(&order_id).await.iter().all(|d| d.released));
}

#[tokio::test]
async fn a_drop_ship_purchase_order_is_never_received() {
    let h = harness().await;
    let (_, _, demands) = drop_ship_order(&h).await;
    let po_id = demands[0].purchase_order_id.clone();
    h.submit(&po_id).await.expect("submit");
    h.acknowledge(&po_id, now_ms()).await.expect("acknowledge");
    let refused = h.receive(&po_id, &[("SKU-D", 3)]).await;
    match refused {
        Err(ServiceError::FailedPrecondition {
            reason, message, ..
        }) => {
            assert_eq!(reason, "DROP_SHIP_NOT_RECEIVED");
            assert!(message.contains("ConfirmDropShipment"), "{message}");
        }
        other => panic!("expected a failed precondition, got {other:?}"),
    }
    assert!(h.receipts().await.is_empty());
    let po = h.po(&po_id).await;
    assert_eq!(po.status, ACKNOWLEDGED);
    assert_eq!(line(&po, "SKU-D").received_quantity, 0);
}

#[tokio::test]
async fn cancelling_a_drop_ship_order_moves_its_demand_to_a_new_drop_ship_draft() {
    let h = harness().await;
    let (acme, order_id, demands) = drop_ship_order(&h).await;
    let restock = h.demand("SKU-D", 2).await;
    let old = demands[0].purchase_order_id.clone();
    h.submit(&old).await.expect("submit");

    assert_eq!(h.cancel(&old).await.expect("cancel").status, CANCELLED);
    let moved = h.demands_of(&order_id).await;
    let new = moved[0].purchase_order_id.clone();
    assert!(
        moved
            .iter()
            .all(|d| d.purchase_order_id == new && d.drop_ship)
    );
    assert_ne!(new, old);
    assert_ne!(new, restock.purchase_order_id, "never onto the stock draft");
    let po = h.po(&new).await;
    assert_eq!(po.status, DRAFT);
    assert!(po.drop_ship);
    assert_eq!(
        (po.order_id.as_str(), po.ship_to_address.as_str()),
        (order_id.as_str(), ADDRESS)
    );
    assert_eq!(line(&po, "SKU-D").ordered_quantity, 3);
    assert_eq!(line(&po, "SKU-E").ordered_quantity, 2);
    let stock = h.po(&restock.purchase_order_id).await;
    assert_eq!(
        line(&stock, "SKU-D").demand_quantity,
        2,
        "stock draft untouched"
    );
    let etas = h.etas().await;
    assert!(
        etas[etas.len() - 2..]
            .iter()
            .all(|m| m.purchase_order_id == new)
    );

    // Cancelling that draft opens a fresh one for the order.
    h.cancel(&new).await.expect("cancel draft");
    let drafts: Vec<pb::PurchaseOrder> = h
        .purchase_orders(&acme, DRAFT)
        .await
        .into_iter()
        .filter(|p| p.drop_ship)
        .collect();
    assert_eq!(drafts.len(), 1);
    assert_ne!(drafts[0].id, new);
    assert_eq!(drafts[0].ship_to_address, ADDRESS);
    assert_eq!(line(&drafts[0], "SKU-E").demand_quantity, 2);
}

#[tokio::test]
async fn drop_ship_demand_nobody_takes_after_a_cancel_waits_with_its_address() {
    let h = harness().await;
    let acme = h.supplier("Acme", 4).await;
    h.drop_ship_item(&acme, "SKU-D", true, true)
        .await
        .expect("offer");
    let order_id = new_id_string();
    let d = h.drop_ship_demand(&order_id, "SKU-D", 3).await;
    // No RPC withdraws an offer; a row removed by hand stands in for a
    // supplier that stopped supplying. Nobody else is preferred.
    supplier_item::Entity::delete_by_id((acme.clone(), "SKU-D".to_owned()))
        .exec(&h.db)
        .await
        .expect("offer removed");
    let other = h.supplier("Other", 1).await;
    h.item(&other, "SKU-D", 1, 1, 1, false)
        .await
        .expect("offer");

    h.cancel(&d.purchase_order_id).await.expect("cancel");
    let waiting = &h.demands_of(&order_id).await[0];
    assert!(waiting.purchase_order_id.is_empty() && waiting.eta.is_none());
    assert!(h.purchase_orders(&other, DRAFT).await.is_empty());

    h.drop_ship_item(&other, "SKU-D", true, true)
        .await
        .expect("offer");
    let placed = &h.demands_of(&order_id).await[0];
    let po = h.po(&placed.purchase_order_id).await;
    assert!(po.drop_ship);
    assert_eq!(
        (
            po.supplier_id.as_str(),
            po.order_id.as_str(),
            po.ship_to_address.as_str()
        ),
        (other.as_str(), order_id.as_str(), ADDRESS)
    );
    assert_eq!(line(&po, "SKU-D").ordered_quantity, 3);
}
