//! A stored purchase order status that is no known code is an error to
//! everyone who reads it, never silently some status.

use backorder_proto::procurement::v1 as pb;
use procurement::store::purchase_order;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn a_corrupt_stored_status_is_refused_by_reads_and_writes() {
    let h = harness().await;
    let acme = h.supplier("Acme", 1).await;
    h.item(&acme, "SKU-1", 1, 1, 1, true).await.expect("item");
    let d = h.demand("SKU-1", 2).await;
    purchase_order::Entity::update_many()
        .col_expr(purchase_order::Column::Status, Expr::value(42))
        .filter(purchase_order::Column::Id.eq(d.purchase_order_id.clone()))
        .exec(&h.db)
        .await
        .expect("corrupt the status");

    let read = call(h.api.get_purchase_order(pb::GetPurchaseOrderRequest {
        purchase_order_id: d.purchase_order_id.clone(),
    }))
    .await;
    assert_eq!(code(read), Code::Internal);
    let listed = call(h.api.list_purchase_orders(pb::ListPurchaseOrdersRequest {
        supplier_id: acme.clone(),
        status: 0,
        page_size: 0,
        page_token: String::new(),
    }))
    .await;
    assert_eq!(code(listed), Code::Internal);
    assert_eq!(code(h.submit(&d.purchase_order_id).await), Code::Internal);
    assert_eq!(code(h.cancel(&d.purchase_order_id).await), Code::Internal);
    assert_eq!(code(h.release(&d.id).await), Code::Internal);
}
