//! Purchase order lines. Writers hold their purchase order's lock.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::store::purchase_order_line;

/// A purchase order's lines, by SKU.
pub async fn of<C: ConnectionTrait>(
    conn: &C,
    purchase_order_id: &str,
) -> Result<Vec<purchase_order_line::Model>, DbErr> {
    purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::PurchaseOrderId.eq(purchase_order_id))
        .order_by_asc(purchase_order_line::Column::Sku)
        .all(conn)
        .await
}

/// The lines of several purchase orders, by purchase order then SKU.
pub async fn of_many<C: ConnectionTrait>(
    conn: &C,
    purchase_order_ids: Vec<String>,
) -> Result<Vec<purchase_order_line::Model>, DbErr> {
    if purchase_order_ids.is_empty() {
        return Ok(Vec::new());
    }
    purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::PurchaseOrderId.is_in(purchase_order_ids))
        .order_by_asc(purchase_order_line::Column::PurchaseOrderId)
        .order_by_asc(purchase_order_line::Column::Sku)
        .all(conn)
        .await
}

/// The line of a SKU on a purchase order.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    purchase_order_id: &str,
    sku: &str,
) -> Result<Option<purchase_order_line::Model>, DbErr> {
    purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::PurchaseOrderId.eq(purchase_order_id))
        .filter(purchase_order_line::Column::Sku.eq(sku))
        .one(conn)
        .await
}

/// Inserts a purchase order line.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    model: purchase_order_line::Model,
) -> Result<(), DbErr> {
    purchase_order_line::ActiveModel::from(model)
        .insert(conn)
        .await?;
    Ok(())
}

/// Writes a line's quantities and cost; the caller read it under its
/// purchase order's lock.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    model: &purchase_order_line::Model,
) -> Result<(), DbErr> {
    use purchase_order_line::Column;
    purchase_order_line::Entity::update_many()
        .col_expr(Column::DemandQuantity, Expr::value(model.demand_quantity))
        .col_expr(Column::OrderedQuantity, Expr::value(model.ordered_quantity))
        .col_expr(
            Column::ReceivedQuantity,
            Expr::value(model.received_quantity),
        )
        .col_expr(Column::UnitCostMinor, Expr::value(model.unit_cost_minor))
        .filter(Column::Id.eq(model.id.clone()))
        .exec(conn)
        .await?;
    Ok(())
}
