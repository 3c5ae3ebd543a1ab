//! Purchase orders. At most one draft per supplier (the partial unique
//! index `purchase_order_one_draft`).

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TryInsertResult,
};
use uuid::Uuid;

use crate::domain::{PoStatus, PurchaseOrderFilter};
use crate::store::purchase_order;

/// A supplier's open draft, locked for the rest of the transaction
/// (PostgreSQL `FOR UPDATE`; SQLite has a single writer). A draft submitted
/// or cancelled while this waited is not returned.
pub async fn lock_draft<C: ConnectionTrait>(
    conn: &C,
    supplier_id: Uuid,
) -> Result<Option<purchase_order::Model>, DbErr> {
    purchase_order::Entity::find()
        .filter(purchase_order::Column::SupplierId.eq(supplier_id.to_string()))
        .filter(purchase_order::Column::Status.eq(PoStatus::Draft.code()))
        .lock_exclusive()
        .one(conn)
        .await
}

/// Inserts `draft` unless its supplier already has a draft; `false` when
/// one exists. On PostgreSQL an insert racing another transaction's
/// uncommitted draft waits for it, so the loser learns of the winner's
/// draft instead of failing on the unique index.
pub async fn insert_draft_if_absent<C: ConnectionTrait>(
    conn: &C,
    draft: purchase_order::Model,
) -> Result<bool, DbErr> {
    use purchase_order::Column;
    let inserted = purchase_order::Entity::insert(purchase_order::ActiveModel::from(draft))
        .on_conflict(
            // Written as the index's own predicate, literally: SQLite matches
            // a partial index's conflict target only by its exact terms.
            OnConflict::column(Column::SupplierId)
                .target_and_where(Expr::cust("status = 1"))
                .do_nothing()
                .to_owned(),
        )
        .try_insert()
        .exec_without_returning(conn)
        .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(n) if n > 0))
}

/// Inserts a purchase order.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    model: purchase_order::Model,
) -> Result<(), DbErr> {
    purchase_order::ActiveModel::from(model)
        .insert(conn)
        .await?;
    Ok(())
}

/// A purchase order by id.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<purchase_order::Model>, DbErr> {
    purchase_order::Entity::find_by_id(id.to_string())
        .one(conn)
        .await
}

/// A purchase order by id, locked for the rest of the transaction.
pub async fn lock<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<purchase_order::Model>, DbErr> {
    purchase_order::Entity::find_by_id(id.to_string())
        .lock_exclusive()
        .one(conn)
        .await
}

/// Writes a purchase order's status, dates and update time; the caller read
/// it under its lock.
pub async fn update<C: ConnectionTrait>(
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
pub async fn touch<C: ConnectionTrait>(conn: &C, id: &str, now: i64) -> Result<(), DbErr> {
    purchase_order::Entity::update_many()
        .col_expr(purchase_order::Column::UpdatedAt, Expr::value(now))
        .filter(purchase_order::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Purchase orders newest first (id descending), filtered, with id before
/// `before`.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: PurchaseOrderFilter,
    before: Option<&str>,
    limit: u64,
) -> Result<Vec<purchase_order::Model>, DbErr> {
    use purchase_order::Column;
    let mut query = purchase_order::Entity::find()
        .order_by_desc(Column::Id)
        .limit(limit);
    if let Some(supplier_id) = filter.supplier_id {
        query = query.filter(Column::SupplierId.eq(supplier_id.to_string()));
    }
    if let Some(status) = filter.status {
        query = query.filter(Column::Status.eq(status.code()));
    }
    if let Some(before) = before {
        query = query.filter(Column::Id.lt(before));
    }
    query.all(conn).await
}

/// Purchase orders of a supplier that were fully received.
pub async fn received_of_supplier<C: ConnectionTrait>(
    conn: &C,
    supplier_id: Uuid,
) -> Result<Vec<purchase_order::Model>, DbErr> {
    use purchase_order::Column;
    purchase_order::Entity::find()
        .filter(Column::SupplierId.eq(supplier_id.to_string()))
        .filter(Column::ReceivedAt.is_not_null())
        .all(conn)
        .await
}
