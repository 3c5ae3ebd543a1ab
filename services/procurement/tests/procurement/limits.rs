//! Quantities at and past their bounds: refused at the API with the field
//! named, and stored totals refused (QUANTITY_LIMIT) instead of saturated or
//! wrapped.

use backorder_platform::ids::new_id_string;
use backorder_proto::procurement::v1 as pb;
use procurement::domain::{MAX_LINE_QUANTITY, MAX_QUANTITY};
use procurement::store::purchase_order_line;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::*;

/// Stores `units` as the demand (and ordered quantity) of `sku`'s line on
/// `po`, as if many demands had accumulated there.
async fn fill_line(h: &Harness, po: &str, sku: &str, units: i64) {
    purchase_order_line::Entity::update_many()
        .col_expr(
            purchase_order_line::Column::DemandQuantity,
            Expr::value(units),
        )
        .col_expr(
            purchase_order_line::Column::OrderedQuantity,
            Expr::value(units),
        )
        .filter(purchase_order_line::Column::PurchaseOrderId.eq(po))
        .filter(purchase_order_line::Column::Sku.eq(sku))
        .exec(&h.db)
        .await
        .expect("fill line");
}

#[tokio::test]
async fn demand_quantities_are_accepted_up_to_the_maximum_only() {
    let h = harness().await;
    let acme = h.supplier("Acme", 1).await;
    h.item(&acme, "SKU-1", 1, 1, 1, true).await.expect("item");

    let at_limit = h.demand("SKU-1", MAX_QUANTITY).await;
    assert_eq!(at_limit.quantity, MAX_QUANTITY);
    let po = h.po(&at_limit.purchase_order_id).await;
    assert_eq!(line(&po, "SKU-1").ordered_quantity, MAX_QUANTITY);

    let sent = h.outbox().await.len();
    let order_id = new_id_string();
    let past = call(
        h.api
            .add_demand(demand_request(&order_id, "SKU-1", MAX_QUANTITY + 1)),
    )
    .await;
    assert_eq!(invalid_fields(past), ["quantity"]);
    let overflowing = call(
        h.api
            .add_demand(demand_request(&order_id, "SKU-1", i64::MAX)),
    )
    .await;
    assert_eq!(invalid_fields(overflowing), ["quantity"]);
    assert!(h.demands_of(&order_id).await.is_empty());
    assert_eq!(h.outbox().await.len(), sent, "refused demand sends nothing");
}

#[tokio::test]
async fn offer_receipt_and_lead_time_bounds_are_enforced() {
    let h = harness().await;
    let acme = h.supplier("Acme", 1).await;
    h.item(&acme, "SKU-1", 1, MAX_QUANTITY, MAX_QUANTITY, true)
        .await
        .expect("terms at the limit");
    let past = h
        .item(&acme, "SKU-1", 1, MAX_QUANTITY + 1, MAX_QUANTITY + 1, true)
        .await;
    assert_eq!(
        invalid_fields(past),
        ["minimum_order_quantity", "case_pack"]
    );

    let late = call(h.api.create_supplier(pb::CreateSupplierRequest {
        request_id: new_id_string(),
        name: "Slow".to_owned(),
        lead_time_days: 3_651,
    }))
    .await;
    assert_eq!(invalid_fields(late), ["lead_time_days"]);
    h.supplier("Patient", 3_650).await;

    let d = h.demand("SKU-1", 1).await;
    let po_id = d.purchase_order_id;
    h.submit(&po_id).await.expect("submit");
    h.acknowledge(&po_id, backorder_platform::time::now_ms())
        .await
        .expect("acknowledge");
    let too_many = h.receive(&po_id, &[("SKU-1", MAX_QUANTITY + 1)]).await;
    assert_eq!(invalid_fields(too_many), ["lines[0].quantity"]);
    let received = h
        .receive(&po_id, &[("SKU-1", MAX_QUANTITY)])
        .await
        .expect("a full case at the limit");
    assert_eq!(received.status, RECEIVED);
}

#[tokio::test]
async fn a_line_full_to_its_limit_refuses_more_demand_and_writes_nothing() {
    let h = harness().await;
    let acme = h.supplier("Acme", 1).await;
    h.item(&acme, "SKU-1", 1, 1, 1, true).await.expect("item");
    let first = h.demand("SKU-1", 5).await;
    let po_id = first.purchase_order_id.clone();
    fill_line(&h, &po_id, "SKU-1", MAX_LINE_QUANTITY - 5).await;

    let filling = h.demand("SKU-1", 5).await;
    assert_eq!(filling.purchase_order_id, po_id);
    let full = line(&h.po(&po_id).await, "SKU-1").clone();
    assert_eq!(full.demand_quantity, MAX_LINE_QUANTITY);

    let sent = h.outbox().await.len();
    let order_id = new_id_string();
    let refused = call(h.api.add_demand(demand_request(&order_id, "SKU-1", 1))).await;
    assert_eq!(reason(refused), "QUANTITY_LIMIT");
    assert_eq!(line(&h.po(&po_id).await, "SKU-1"), &full, "line unchanged");
    assert!(h.demands_of(&order_id).await.is_empty(), "demand not kept");
    assert_eq!(
        h.outbox().await.len(),
        sent,
        "nothing sent for the refused demand"
    );
}

#[tokio::test]
async fn rounding_that_would_overflow_is_refused_not_saturated() {
    let h = harness().await;
    let acme = h.supplier("Acme", 1).await;
    h.item(&acme, "SKU-1", 1, 1, 1, true).await.expect("item");
    let d = h.demand("SKU-1", 1).await;
    fill_line(&h, &d.purchase_order_id, "SKU-1", i64::MAX - 10).await;

    let rerounded = h.item(&acme, "SKU-1", 1, 1, MAX_QUANTITY, true).await;
    assert_eq!(reason(rerounded), "QUANTITY_LIMIT");
    let l = line(&h.po(&d.purchase_order_id).await, "SKU-1").clone();
    assert_eq!(l.ordered_quantity, i64::MAX - 10, "nothing written");

    let adding = call(
        h.api
            .add_demand(demand_request(&new_id_string(), "SKU-1", 20)),
    )
    .await;
    assert_eq!(reason(adding), "QUANTITY_LIMIT", "no wrap-around");
}
