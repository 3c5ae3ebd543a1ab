//! Suppliers and their offers.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::store::{supplier, supplier_item};

/// Inserts a supplier.
pub async fn insert<C: ConnectionTrait>(conn: &C, model: supplier::Model) -> Result<(), DbErr> {
    supplier::ActiveModel::from(model).insert(conn).await?;
    Ok(())
}

/// A supplier by id.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<supplier::Model>, DbErr> {
    supplier::Entity::find_by_id(id.to_string()).one(conn).await
}

/// Suppliers with id after `after`, by id (creation order).
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<supplier::Model>, DbErr> {
    let mut query = supplier::Entity::find()
        .order_by_asc(supplier::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(supplier::Column::Id.gt(after));
    }
    query.all(conn).await
}

/// The offers of several suppliers, by supplier then SKU.
pub async fn items_of<C: ConnectionTrait>(
    conn: &C,
    supplier_ids: Vec<String>,
) -> Result<Vec<supplier_item::Model>, DbErr> {
    if supplier_ids.is_empty() {
        return Ok(Vec::new());
    }
    supplier_item::Entity::find()
        .filter(supplier_item::Column::SupplierId.is_in(supplier_ids))
        .order_by_asc(supplier_item::Column::SupplierId)
        .order_by_asc(supplier_item::Column::Sku)
        .all(conn)
        .await
}

/// One supplier's offer for a SKU.
pub async fn find_item<C: ConnectionTrait>(
    conn: &C,
    supplier_id: Uuid,
    sku: &str,
) -> Result<Option<supplier_item::Model>, DbErr> {
    supplier_item::Entity::find_by_id((supplier_id.to_string(), sku.to_owned()))
        .one(conn)
        .await
}

/// Every offer for a SKU, by supplier.
pub async fn offers_for_sku<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
) -> Result<Vec<supplier_item::Model>, DbErr> {
    supplier_item::Entity::find()
        .filter(supplier_item::Column::Sku.eq(sku))
        .order_by_asc(supplier_item::Column::SupplierId)
        .all(conn)
        .await
}

/// Takes the preferred flag of a SKU from every supplier but `keep`.
pub async fn clear_preferred<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    keep: Uuid,
    now: i64,
) -> Result<(), DbErr> {
    supplier_item::Entity::update_many()
        .col_expr(supplier_item::Column::Preferred, Expr::value(false))
        .col_expr(supplier_item::Column::UpdatedAt, Expr::value(now))
        .filter(supplier_item::Column::Sku.eq(sku))
        .filter(supplier_item::Column::SupplierId.ne(keep.to_string()))
        .filter(supplier_item::Column::Preferred.eq(true))
        .exec(conn)
        .await?;
    Ok(())
}

/// Inserts an offer, or replaces the offer of the same supplier and SKU.
pub async fn upsert_item<C: ConnectionTrait>(
    conn: &C,
    model: supplier_item::Model,
) -> Result<(), DbErr> {
    use supplier_item::Column;
    let updated = supplier_item::Entity::update_many()
        .col_expr(Column::UnitCostMinor, Expr::value(model.unit_cost_minor))
        .col_expr(
            Column::MinimumOrderQuantity,
            Expr::value(model.minimum_order_quantity),
        )
        .col_expr(Column::CasePack, Expr::value(model.case_pack))
        .col_expr(Column::Preferred, Expr::value(model.preferred))
        .col_expr(Column::DropShip, Expr::value(model.drop_ship))
        .col_expr(Column::UpdatedAt, Expr::value(model.updated_at))
        .filter(Column::SupplierId.eq(model.supplier_id.clone()))
        .filter(Column::Sku.eq(model.sku.clone()))
        .exec(conn)
        .await?;
    if updated.rows_affected == 0 {
        supplier_item::ActiveModel::from(model).insert(conn).await?;
    }
    Ok(())
}

/// Sets a supplier's submission schedule. Rows changed (0: no such supplier).
pub async fn set_schedule<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    auto_submit_hours: i32,
) -> Result<u64, DbErr> {
    let result = supplier::Entity::update_many()
        .col_expr(
            supplier::Column::AutoSubmitHours,
            Expr::value(auto_submit_hours),
        )
        .filter(supplier::Column::Id.eq(id.to_string()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// Suppliers with a submission schedule and id after `after`, by id.
pub async fn scheduled<C: ConnectionTrait>(
    conn: &C,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<supplier::Model>, DbErr> {
    let mut query = supplier::Entity::find()
        .filter(supplier::Column::AutoSubmitHours.gt(0))
        .order_by_asc(supplier::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(supplier::Column::Id.gt(after));
    }
    query.all(conn).await
}
