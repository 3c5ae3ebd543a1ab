//! Queries over procurement's tables. Each takes a connection or
//! transaction; callers own transaction boundaries.

use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{demand, purchase_order, purchase_order_line, supplier, supplier_item};
use crate::domain::PoStatus;

/// Inserts a supplier.
pub async fn insert_supplier<C: ConnectionTrait>(
    conn: &C,
    model: supplier::Model,
) -> Result<(), DbErr> {
    supplier::ActiveModel::from(model).insert(conn).await?;
    Ok(())
}

/// A supplier by id.
pub async fn find_supplier<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<Option<supplier::Model>, DbErr> {
    supplier::Entity::find_by_id(id.to_owned()).one(conn).await
}

/// Suppliers with id after `after`, by id (creation order).
pub async fn list_suppliers<C: ConnectionTrait>(
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
pub async fn items_of_suppliers<C: ConnectionTrait>(
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
    supplier_id: &str,
    sku: &str,
) -> Result<Option<supplier_item::Model>, DbErr> {
    supplier_item::Entity::find_by_id((supplier_id.to_owned(), sku.to_owned()))
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
    keep: &str,
    now: i64,
) -> Result<(), DbErr> {
    supplier_item::Entity::update_many()
        .col_expr(supplier_item::Column::Preferred, Expr::value(false))
        .col_expr(supplier_item::Column::UpdatedAt, Expr::value(now))
        .filter(supplier_item::Column::Sku.eq(sku))
        .filter(supplier_item::Column::SupplierId.ne(keep))
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

/// A supplier's open draft, locked for the rest of the transaction
/// (PostgreSQL `FOR UPDATE`; SQLite has a single writer).
pub async fn lock_draft<C: ConnectionTrait>(
    conn: &C,
    supplier_id: &str,
) -> Result<Option<purchase_order::Model>, DbErr> {
    purchase_order::Entity::find()
        .filter(purchase_order::Column::SupplierId.eq(supplier_id))
        .filter(purchase_order::Column::Status.eq(PoStatus::Draft.code()))
        .lock(LockType::Update)
        .one(conn)
        .await
}

/// Inserts a purchase order.
pub async fn insert_purchase_order<C: ConnectionTrait>(
    conn: &C,
    model: purchase_order::Model,
) -> Result<(), DbErr> {
    purchase_order::ActiveModel::from(model)
        .insert(conn)
        .await?;
    Ok(())
}

/// A purchase order by id.
pub async fn find_purchase_order<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<Option<purchase_order::Model>, DbErr> {
    purchase_order::Entity::find_by_id(id.to_owned())
        .one(conn)
        .await
}

/// A purchase order by id, locked for the rest of the transaction.
pub async fn lock_purchase_order<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<Option<purchase_order::Model>, DbErr> {
    purchase_order::Entity::find_by_id(id.to_owned())
        .lock(LockType::Update)
        .one(conn)
        .await
}

/// Writes a purchase order's status, dates and update time.
pub async fn update_purchase_order<C: ConnectionTrait>(
    conn: &C,
    model: &purchase_order::Model,
) -> Result<(), DbErr> {
    use purchase_order::Column;
    purchase_order::Entity::update_many()
        .col_expr(Column::Status, Expr::value(model.status))
        .col_expr(Column::PromisedAt, Expr::value(model.promised_at))
        .col_expr(Column::SubmittedAt, Expr::value(model.submitted_at))
        .col_expr(Column::ReceivedAt, Expr::value(model.received_at))
        .col_expr(Column::UpdatedAt, Expr::value(model.updated_at))
        .filter(Column::Id.eq(model.id.clone()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Marks a purchase order as changed at `now`.
pub async fn touch_purchase_order<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    now: i64,
) -> Result<(), DbErr> {
    purchase_order::Entity::update_many()
        .col_expr(purchase_order::Column::UpdatedAt, Expr::value(now))
        .filter(purchase_order::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Purchase orders newest first (id descending), optionally of one supplier
/// or status, with id before `before`.
pub async fn list_purchase_orders<C: ConnectionTrait>(
    conn: &C,
    supplier_id: Option<&str>,
    status: Option<PoStatus>,
    before: Option<&str>,
    limit: u64,
) -> Result<Vec<purchase_order::Model>, DbErr> {
    use purchase_order::Column;
    let mut query = purchase_order::Entity::find()
        .order_by_desc(Column::Id)
        .limit(limit);
    if let Some(supplier_id) = supplier_id {
        query = query.filter(Column::SupplierId.eq(supplier_id));
    }
    if let Some(status) = status {
        query = query.filter(Column::Status.eq(status.code()));
    }
    if let Some(before) = before {
        query = query.filter(Column::Id.lt(before));
    }
    query.all(conn).await
}

/// A purchase order's lines, by SKU.
pub async fn lines_of<C: ConnectionTrait>(
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
pub async fn lines_of_many<C: ConnectionTrait>(
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
pub async fn find_line<C: ConnectionTrait>(
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
pub async fn insert_line<C: ConnectionTrait>(
    conn: &C,
    model: purchase_order_line::Model,
) -> Result<(), DbErr> {
    purchase_order_line::ActiveModel::from(model)
        .insert(conn)
        .await?;
    Ok(())
}

/// Writes a line's quantities and cost.
pub async fn update_line<C: ConnectionTrait>(
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

/// A demand by id.
pub async fn find_demand<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<Option<demand::Model>, DbErr> {
    demand::Entity::find_by_id(id.to_owned()).one(conn).await
}

/// Inserts a demand.
pub async fn insert_demand<C: ConnectionTrait>(
    conn: &C,
    model: demand::Model,
) -> Result<(), DbErr> {
    demand::ActiveModel::from(model).insert(conn).await?;
    Ok(())
}

/// Writes a demand's purchase order, ETA and release.
pub async fn update_demand<C: ConnectionTrait>(
    conn: &C,
    model: &demand::Model,
) -> Result<(), DbErr> {
    use demand::Column;
    demand::Entity::update_many()
        .col_expr(
            Column::PurchaseOrderId,
            Expr::value(model.purchase_order_id.clone()),
        )
        .col_expr(Column::Eta, Expr::value(model.eta))
        .col_expr(Column::Released, Expr::value(model.released))
        .filter(Column::Id.eq(model.id.clone()))
        .exec(conn)
        .await?;
    Ok(())
}

/// An order's demand, oldest first.
pub async fn demands_of_order<C: ConnectionTrait>(
    conn: &C,
    order_id: &str,
) -> Result<Vec<demand::Model>, DbErr> {
    demand::Entity::find()
        .filter(demand::Column::OrderId.eq(order_id))
        .order_by_asc(demand::Column::CreatedAt)
        .order_by_asc(demand::Column::Id)
        .all(conn)
        .await
}

/// The open (not released) demand a purchase order carries, oldest first.
pub async fn open_demands_of_purchase_order<C: ConnectionTrait>(
    conn: &C,
    purchase_order_id: &str,
) -> Result<Vec<demand::Model>, DbErr> {
    demand::Entity::find()
        .filter(demand::Column::PurchaseOrderId.eq(purchase_order_id))
        .filter(demand::Column::Released.eq(false))
        .order_by_asc(demand::Column::CreatedAt)
        .order_by_asc(demand::Column::Id)
        .all(conn)
        .await
}

/// The open demand of a SKU that no purchase order carries, oldest first.
pub async fn open_unsourced_demands<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
) -> Result<Vec<demand::Model>, DbErr> {
    demand::Entity::find()
        .filter(demand::Column::Sku.eq(sku))
        .filter(demand::Column::PurchaseOrderId.is_null())
        .filter(demand::Column::Released.eq(false))
        .order_by_asc(demand::Column::CreatedAt)
        .order_by_asc(demand::Column::Id)
        .all(conn)
        .await
}

/// Purchase orders of a supplier that were fully received.
pub async fn received_purchase_orders<C: ConnectionTrait>(
    conn: &C,
    supplier_id: &str,
) -> Result<Vec<purchase_order::Model>, DbErr> {
    use purchase_order::Column;
    purchase_order::Entity::find()
        .filter(Column::SupplierId.eq(supplier_id))
        .filter(Column::ReceivedAt.is_not_null())
        .all(conn)
        .await
}
