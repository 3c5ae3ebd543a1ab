//! Purchase orders. At most one stock draft per supplier, and one
//! drop-ship draft per supplier and customer order (partial unique indexes,
//! see the drop-ship migration).

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TryInsertResult,
};
use uuid::Uuid;

use crate::domain::{PoStatus, PurchaseOrderFilter};
use crate::store::m20261204_000202_drop_ship::{DROP_SHIP_DRAFT, STOCK_DRAFT};
use crate::store::m20261205_000204_delays::MAY_BE_LATE;
use crate::store::purchase_order::{self, Column};

/// A supplier's open stock draft, locked for the rest of the transaction
/// (PostgreSQL `FOR UPDATE`; SQLite has a single writer). A draft submitted
/// or cancelled while this waited is not returned.
pub async fn lock_stock_draft<C: ConnectionTrait>(
    conn: &C,
    supplier_id: Uuid,
) -> Result<Option<purchase_order::Model>, DbErr> {
    purchase_order::Entity::find()
        .filter(Column::SupplierId.eq(supplier_id.to_string()))
        .filter(Column::Status.eq(PoStatus::Draft.code()))
        .filter(Column::DropShip.eq(false))
        .lock_exclusive()
        .one(conn)
        .await
}

/// A supplier's open drop-ship draft for customer order `order_id`, locked
/// like [`lock_stock_draft`].
pub async fn lock_drop_ship_draft<C: ConnectionTrait>(
    conn: &C,
    supplier_id: Uuid,
    order_id: Uuid,
) -> Result<Option<purchase_order::Model>, DbErr> {
    purchase_order::Entity::find()
        .filter(Column::SupplierId.eq(supplier_id.to_string()))
        .filter(Column::OrderId.eq(order_id.to_string()))
        .filter(Column::Status.eq(PoStatus::Draft.code()))
        .filter(Column::DropShip.eq(true))
        .lock_exclusive()
        .one(conn)
        .await
}

/// Inserts `draft` unless the draft it would duplicate exists (its
/// supplier's stock draft, or for a drop-ship draft the supplier's one for
/// the same customer order); `false` when one does. On PostgreSQL an insert
/// racing another transaction's uncommitted draft waits for it, so the
/// loser learns of the winner's draft instead of failing on the unique
/// index.
pub async fn insert_draft_if_absent<C: ConnectionTrait>(
    conn: &C,
    draft: purchase_order::Model,
) -> Result<bool, DbErr> {
    // Written as the index's own predicate, literally: SQLite matches a
    // partial index's conflict target only by its exact terms.
    let target = if draft.drop_ship {
        OnConflict::columns([Column::SupplierId, Column::OrderId])
            .target_and_where(Expr::cust(DROP_SHIP_DRAFT))
            .do_nothing()
            .to_owned()
    } else {
        OnConflict::column(Column::SupplierId)
            .target_and_where(Expr::cust(STOCK_DRAFT))
            .do_nothing()
            .to_owned()
    };
    let inserted = purchase_order::Entity::insert(purchase_order::ActiveModel::from(draft))
        .on_conflict(target)
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

/// Writes a purchase order's status, dates, shipment and update time; the
/// caller read it under its lock.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    model: &purchase_order::Model,
) -> Result<(), DbErr> {
    purchase_order::Entity::update_many()
        .col_expr(Column::Status, Expr::value(model.status))
        .col_expr(Column::Carrier, Expr::value(model.carrier.clone()))
        .col_expr(
            Column::TrackingNumber,
            Expr::value(model.tracking_number.clone()),
        )
        .col_expr(Column::PromisedAt, Expr::value(model.promised_at))
        .col_expr(Column::SubmittedAt, Expr::value(model.submitted_at))
        .col_expr(Column::ReceivedAt, Expr::value(model.received_at))
        .col_expr(Column::DelayedUntil, Expr::value(model.delayed_until))
        .col_expr(Column::UpdatedAt, Expr::value(model.updated_at))
        .filter(Column::Id.eq(model.id.clone()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Writes a purchase order like [`update`], only if its status is still
/// `expected`: the guard that lets two units racing for one transition
/// apply it once. Rows changed (0: the other one won).
pub async fn update_from<C: ConnectionTrait>(
    conn: &C,
    model: &purchase_order::Model,
    expected: PoStatus,
) -> Result<u64, DbErr> {
    let result = purchase_order::Entity::update_many()
        .col_expr(Column::Status, Expr::value(model.status))
        .col_expr(Column::PromisedAt, Expr::value(model.promised_at))
        .col_expr(Column::SubmittedAt, Expr::value(model.submitted_at))
        .col_expr(Column::ReceivedAt, Expr::value(model.received_at))
        .col_expr(Column::UpdatedAt, Expr::value(model.updated_at))
        .filter(Column::Id.eq(model.id.clone()))
        .filter(Column::Status.eq(expected.code()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// A supplier's drafts (stock and drop-ship) created at or before
/// `cutoff`, oldest first.
pub async fn drafts_created_by<C: ConnectionTrait>(
    conn: &C,
    supplier_id: &str,
    cutoff: i64,
) -> Result<Vec<purchase_order::Model>, DbErr> {
    purchase_order::Entity::find()
        .filter(Column::SupplierId.eq(supplier_id))
        .filter(Column::Status.eq(PoStatus::Draft.code()))
        .filter(Column::CreatedAt.lte(cutoff))
        .order_by_asc(Column::Id)
        .all(conn)
        .await
}

/// Marks a purchase order as changed at `now`.
pub async fn touch<C: ConnectionTrait>(conn: &C, id: &str, now: i64) -> Result<(), DbErr> {
    purchase_order::Entity::update_many()
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
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

/// Purchase orders of a supplier that were fully received (never a
/// drop-ship one: nothing of it arrives).
pub async fn received_of_supplier<C: ConnectionTrait>(
    conn: &C,
    supplier_id: Uuid,
) -> Result<Vec<purchase_order::Model>, DbErr> {
    purchase_order::Entity::find()
        .filter(Column::SupplierId.eq(supplier_id.to_string()))
        .filter(Column::DropShip.eq(false))
        .filter(Column::ReceivedAt.is_not_null())
        .all(conn)
        .await
}

/// Open purchase orders (submitted, acknowledged or partially received)
/// whose expected date, and any delay, passed before `now`, by id after
/// `after`. The expected date is worked out as [`crate::domain::PoDates`]
/// does, so that a purchase order on time is not read on every pass; the
/// caller still applies that rule to what it reads.
pub async fn late<C: ConnectionTrait>(
    conn: &C,
    now: i64,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<purchase_order::Model>, DbErr> {
    // Lead time in whole UTC days of 86,400,000 ms, cast before multiplying
    // as PostgreSQL's integer would overflow past 24 days.
    let past_lead_time = Expr::cust(
        "(submitted_at + (SELECT CAST(CASE WHEN supplier.lead_time_days > 0 \
         THEN supplier.lead_time_days ELSE 0 END AS BIGINT) * 86400000 \
         FROM supplier WHERE supplier.id = purchase_order.supplier_id))",
    )
    .lt(now);
    let mut query = purchase_order::Entity::find()
        .filter(Expr::cust(MAY_BE_LATE))
        .filter(
            Condition::any()
                .add(Column::DelayedUntil.is_null())
                .add(Column::DelayedUntil.lt(now)),
        )
        .filter(
            Condition::any().add(Column::PromisedAt.lt(now)).add(
                Condition::all()
                    .add(Column::PromisedAt.is_null())
                    .add(past_lead_time),
            ),
        )
        .order_by_asc(Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(Column::Id.gt(after));
    }
    query.all(conn).await
}

/// Marks purchase order `read` delayed until `until`, only if it is still
/// open with the promised date and delay it was read with: of two units
/// acting on one read, one changes it, and a new promise made meanwhile is
/// not overridden. Rows changed (0: it changed since it was read).
pub async fn mark_delayed<C: ConnectionTrait>(
    conn: &C,
    read: &purchase_order::Model,
    until: i64,
    now: i64,
) -> Result<u64, DbErr> {
    let result = purchase_order::Entity::update_many()
        .col_expr(Column::DelayedUntil, Expr::value(until))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(read.id.clone()))
        .filter(Expr::cust(MAY_BE_LATE))
        .filter(same(Column::DelayedUntil, read.delayed_until))
        .filter(same(Column::PromisedAt, read.promised_at))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// `column` holds `value` (unset: is null).
fn same(column: Column, value: Option<i64>) -> Condition {
    match value {
        Some(value) => Condition::all().add(column.eq(value)),
        None => Condition::all().add(column.is_null()),
    }
}
