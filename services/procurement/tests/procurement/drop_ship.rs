//! Drop-ship sourcing: inventory hears which SKUs are drop-shipped, and a
//! drop-ship demand goes on its own purchase order for its customer order,
//! addressed to the customer, for exactly its units.

use backorder_platform::ServiceError;
use backorder_platform::ids::new_id_string;
use backorder_proto::procurement::v1 as pb;
use procurement::store::demand;
use sea_orm::EntityTrait;

use crate::helpers::*;

/// The drop-ship purchase orders of `supplier` in `status`.
async fn drop_ship_pos(h: &Harness, supplier: &str, status: i32) -> Vec<pb::PurchaseOrder> {
    h.purchase_orders(supplier, status)
        .await
        .into_iter()
        .filter(|po| po.drop_ship)
        .collect()
}

async fn stored(h: &Harness, id: &str) -> demand::Model {
    demand::Entity::find_by_id(id.to_owned())
        .one(&h.db)
        .await
        .expect("read")
        .expect("stored")
}

#[tokio::test]
async fn every_offer_change_tells_inventory_whether_the_preferred_offer_drop_ships() {
    let h = harness().await;
    let acme = h.supplier("Acme", 2).await;
    let other = h.supplier("Other", 2).await;

    let offered = h
        .drop_ship_item(&acme, "SKU-D", true, true)
        .await
        .expect("drop-ship offer")
        .item
        .expect("item");
    assert!(offered.drop_ship && offered.preferred);
    // A drop-ship offer that is not preferred changes nothing.
    h.drop_ship_item(&other, "SKU-D", false, true)
        .await
        .expect("offer");
    // The preferred offer stops drop-shipping.
    h.drop_ship_item(&acme, "SKU-D", true, false)
        .await
        .expect("offer");
    h.drop_ship_item(&acme, "SKU-D", true, true)
        .await
        .expect("offer");
    // Another supplier, not drop-shipping, becomes preferred.
    h.item(&other, "SKU-D", 1, 1, 1, true).await.expect("offer");
    h.drop_ship_item(&other, "SKU-D", true, true)
        .await
        .expect("offer");
    // Nobody is preferred any more.
    h.drop_ship_item(&other, "SKU-D", false, true)
        .await
        .expect("offer");
    // Another SKU is told apart.
    h.item(&acme, "SKU-S", 1, 1, 1, true).await.expect("offer");

    let flag = |drop_ship| ("SKU-D".to_owned(), drop_ship);
    assert_eq!(
        h.drop_ship_flags().await,
        [
            flag(true),
            flag(true),
            flag(false),
            flag(true),
            flag(false),
            flag(true),
            flag(false),
            ("SKU-S".to_owned(), false),
        ]
    );

    let shown = call(h.api.get_supplier(pb::GetSupplierRequest {
        supplier_id: other.clone(),
    }))
    .await
    .expect("supplier")
    .supplier
    .expect("supplier");
    let item = shown.items.iter().find(|i| i.sku == "SKU-D").expect("item");
    assert!(item.drop_ship && !item.preferred);

    // A refused offer tells inventory nothing.
    assert!(
        h.drop_ship_item(&new_id_string(), "SKU-D", true, true)
            .await
            .is_err()
    );
    assert_eq!(h.drop_ship_flags().await.len(), 8);
}

#[tokio::test]
async fn drop_ship_demand_gets_its_orders_own_purchase_order_for_exactly_its_units() {
    let h = harness().await;
    let acme = h.supplier("Acme", 4).await;
    h.drop_ship_item(&acme, "SKU-D", true, true)
        .await
        .expect("offer");
    h.drop_ship_item(&acme, "SKU-E", true, true)
        .await
        .expect("offer");
    // Stock demand of the same SKU (a line reserved before the SKU was
    // drop-shipped) rounds to MOQ 10 in cases of 6 on the stock draft.
    let restock = h.demand("SKU-D", 2).await;
    let order_id = new_id_string();
    let chair = h.drop_ship_demand(&order_id, "SKU-D", 3).await;
    let lamp = h.drop_ship_demand(&order_id, "SKU-E", 13).await;

    assert!(chair.drop_ship && lamp.drop_ship && !restock.drop_ship);
    assert_eq!(chair.purchase_order_id, lamp.purchase_order_id);
    assert_ne!(chair.purchase_order_id, restock.purchase_order_id);

    let po = h.po(&chair.purchase_order_id).await;
    assert_eq!(po.status, DRAFT);
    assert!(po.drop_ship);
    assert_eq!(po.order_id, order_id);
    assert_eq!(po.ship_to_address, ADDRESS);
    assert_eq!((po.carrier.as_str(), po.tracking_number.as_str()), ("", ""));
    let d = line(&po, "SKU-D");
    assert_eq!(
        (d.demand_quantity, d.ordered_quantity),
        (3, 3),
        "no rounding"
    );
    let e = line(&po, "SKU-E");
    assert_eq!((e.demand_quantity, e.ordered_quantity), (13, 13));
    assert_eq!(d.unit_cost_minor, 700);

    let stock = h.po(&restock.purchase_order_id).await;
    assert!(!stock.drop_ship);
    assert!(stock.order_id.is_empty() && stock.ship_to_address.is_empty());
    let s = line(&stock, "SKU-D");
    assert_eq!((s.demand_quantity, s.ordered_quantity), (2, 12));
    assert_eq!(h.purchase_orders(&acme, DRAFT).await.len(), 2);

    // Each drop-ship line's ETA goes to the order service, naming its
    // purchase order; the stock line's does not (inventory promises it).
    let etas = h.etas().await;
    assert_eq!(etas.len(), 2);
    assert_eq!(etas[0].line_id, chair.line_id);
    assert_eq!(etas[0].purchase_order_id, po.id);
    assert_eq!(etas[0].eta, chair.eta);
    assert!(chair.eta.is_some());
    assert_eq!(etas[1].line_id, lamp.line_id);
    assert_eq!(etas[1].eta, lamp.eta);
    assert!(etas.iter().all(|m| m.line_id != restock.line_id));

    let listed = h.demands_of(&order_id).await;
    assert!(listed.iter().all(|d| d.drop_ship && !d.released));
    // The address lives on the purchase order, not on each demand.
    assert_eq!(stored(&h, &chair.id).await.ship_to_address, None);
}

#[tokio::test]
async fn two_orders_get_two_drop_ship_purchase_orders() {
    let h = harness().await;
    let acme = h.supplier("Acme", 4).await;
    h.drop_ship_item(&acme, "SKU-D", true, true)
        .await
        .expect("offer");
    let (first, second) = (new_id_string(), new_id_string());
    let a = h.drop_ship_demand(&first, "SKU-D", 1).await;
    let other = "9 Quay Street, Cork";
    let b = call(
        h.api
            .add_demand(drop_ship_request(&second, "SKU-D", 2, other)),
    )
    .await
    .expect("demand")
    .demand
    .expect("demand");
    assert_ne!(a.purchase_order_id, b.purchase_order_id);
    let pos = drop_ship_pos(&h, &acme, DRAFT).await;
    assert_eq!(pos.len(), 2);
    let po_b = h.po(&b.purchase_order_id).await;
    assert_eq!(
        (po_b.order_id.as_str(), po_b.ship_to_address.as_str()),
        (second.as_str(), other)
    );
    assert_eq!(line(&po_b, "SKU-D").ordered_quantity, 2);
    assert_eq!(
        line(&h.po(&a.purchase_order_id).await, "SKU-D").ordered_quantity,
        1
    );

    // Once the first order's purchase order is submitted, more of its
    // demand opens a new drop-ship draft for it.
    h.submit(&a.purchase_order_id).await.expect("submit");
    let later = h.drop_ship_demand(&first, "SKU-D", 4).await;
    assert_ne!(later.purchase_order_id, a.purchase_order_id);
    assert_eq!(h.po(&later.purchase_order_id).await.order_id, first);
}

#[tokio::test]
async fn a_bad_address_is_refused_by_name_and_writes_nothing() {
    let h = harness().await;
    let acme = h.supplier("Acme", 4).await;
    h.drop_ship_item(&acme, "SKU-D", true, true)
        .await
        .expect("offer");
    let order_id = new_id_string();
    let too_long = "x".repeat(501);
    let longest = format!("  {}  ", "y".repeat(500));
    for (drop_ship, address) in [
        (true, ""),
        (true, "   "),
        (true, too_long.as_str()),
        (false, ADDRESS),
    ] {
        let request = pb::AddDemandRequest {
            drop_ship,
            ship_to_address: address.to_owned(),
            ..demand_request(&order_id, "SKU-D", 3)
        };
        let refused = call(h.api.add_demand(request)).await;
        let error = refused.expect_err("refused");
        assert!(!error.to_string().contains("Harbour"), "{error}");
        match error {
            ServiceError::InvalidArgument(v) => {
                let fields: Vec<&str> = v.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(fields, ["ship_to_address"], "{drop_ship} {address:?}");
            }
            other => panic!("expected invalid argument, got {other:?}"),
        }
    }
    assert!(h.demands_of(&order_id).await.is_empty());
    assert!(h.purchase_orders(&acme, 0).await.is_empty());
    assert!(h.etas().await.is_empty());

    let at_limit = call(
        h.api
            .add_demand(drop_ship_request(&order_id, "SKU-D", 3, &longest)),
    )
    .await
    .expect("500 characters once trimmed")
    .demand
    .expect("demand");
    let po = h.po(&at_limit.purchase_order_id).await;
    assert_eq!(po.ship_to_address, longest.trim());
}

#[tokio::test]
async fn drop_ship_demand_waits_for_a_preferred_supplier_then_gets_a_drop_ship_draft() {
    let h = harness().await;
    let order_id = new_id_string();
    let waiting = h.drop_ship_demand(&order_id, "SKU-D", 3).await;
    let restock = h.demand("SKU-D", 2).await;
    assert!(waiting.drop_ship && !restock.drop_ship);
    assert!(waiting.purchase_order_id.is_empty() && waiting.eta.is_none());
    assert!(restock.purchase_order_id.is_empty());
    assert!(
        stored(&h, &waiting.id).await.ship_to_address.is_some(),
        "kept while waiting"
    );

    // A cheaper offer that is not preferred takes the stock demand only:
    // nobody agreed to ship this SKU to customers yet.
    let cheap = h.supplier("Cheap", 1).await;
    h.item(&cheap, "SKU-D", 1, 1, 1, false)
        .await
        .expect("offer");
    let listed = h.demands_of(&order_id).await;
    assert!(listed[0].purchase_order_id.is_empty(), "still waiting");
    let stock = &h.purchase_orders(&cheap, DRAFT).await[0];
    assert_eq!(line(stock, "SKU-D").demand_quantity, 2);
    assert!(!stock.drop_ship);
    assert!(h.etas().await.is_empty(), "no ETA sent for stock demand");

    let acme = h.supplier("Acme", 4).await;
    h.drop_ship_item(&acme, "SKU-D", true, true)
        .await
        .expect("offer");
    let placed = &h.demands_of(&order_id).await[0];
    let po = h.po(&placed.purchase_order_id).await;
    assert!(po.drop_ship);
    assert_eq!(po.supplier_id, acme);
    assert_eq!(
        (po.order_id.as_str(), po.ship_to_address.as_str()),
        (order_id.as_str(), ADDRESS)
    );
    assert_eq!(line(&po, "SKU-D").ordered_quantity, 3);
    assert!(
        h.purchase_orders(&acme, DRAFT)
            .await
            .iter()
            .all(|p| p.drop_ship)
    );
    let etas = h.etas().await;
    assert_eq!(etas.len(), 1, "the drop-ship line's ETA");
    assert_eq!(etas[0].line_id, waiting.line_id);
    assert_eq!(etas[0].purchase_order_id, po.id);
    assert_eq!(etas[0].eta, placed.eta);
    assert_eq!(
        stored(&h, &waiting.id).await.ship_to_address,
        None,
        "the purchase order holds it"
    );
}

#[tokio::test]
async fn releasing_drop_ship_demand_orders_exactly_what_remains() {
    let h = harness().await;
    let acme = h.supplier("Acme", 4).await;
    h.drop_ship_item(&acme, "SKU-D", true, true)
        .await
        .expect("offer");
    let order_id = new_id_string();
    let a = h.drop_ship_demand(&order_id, "SKU-D", 3).await;
    h.drop_ship_demand(&order_id, "SKU-D", 4).await;
    assert!(h.release(&a.id).await.expect("release").released);
    let l = line(&h.po(&a.purchase_order_id).await, "SKU-D").clone();
    assert_eq!((l.demand_quantity, l.ordered_quantity), (4, 4));

    // A waiting drop-ship demand that is released forgets its address.
    let waiting = h.drop_ship_demand(&new_id_string(), "SKU-W", 1).await;
    h.release(&waiting.id).await.expect("release");
    assert_eq!(stored(&h, &waiting.id).await.ship_to_address, None);
}
