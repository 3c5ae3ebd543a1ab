//! Demand. Every write names the state it expects (open, on a given
//! purchase order) and reports the rows it changed, so a write based on a
//! stale read changes nothing instead of undoing a concurrent release.
//! Open demand is neither released, shipped nor (replenishment demand)
//! received.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TryInsertResult,
};
use uuid::Uuid;

use crate::store::Address;
use crate::store::demand::{self, Column};

/// A demand (or tombstone) by id.
pub async fn find<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<demand::Model>, DbErr> {
    demand::Entity::find_by_id(id.to_string()).one(conn).await
}

/// A demand (or tombstone) by id, locked for the rest of the transaction.
pub async fn lock<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<demand::Model>, DbErr> {
    demand::Entity::find_by_id(id.to_string())
        .lock_exclusive()
        .one(conn)
        .await
}

/// Inserts `model` unless a row with its id exists (a demand, or the
/// tombstone of an earlier release); `false` when one does. On PostgreSQL
/// an insert racing another transaction's uncommitted row waits for it.
pub async fn insert_if_absent<C: ConnectionTrait>(
    conn: &C,
    model: demand::Model,
) -> Result<bool, DbErr> {
    let inserted = demand::Entity::insert(demand::ActiveModel::from(model))
        .on_conflict_do_nothing()
        .exec_without_returning(conn)
        .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(n) if n > 0))
}

/// Records the release of a demand that has not arrived; `false` when a row
/// with its id exists after all.
pub async fn insert_tombstone<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: i64,
) -> Result<bool, DbErr> {
    insert_if_absent(
        conn,
        demand::Model {
            id: id.to_string(),
            sku: String::new(),
            quantity: 0,
            order_id: String::new(),
            line_id: String::new(),
            purchase_order_id: None,
            eta: None,
            released: true,
            drop_ship: false,
            ship_to_address: None,
            shipped_at: None,
            trace_context: None,
            replenishment: false,
            received_at: None,
            created_at: now,
        },
    )
    .await
}

/// Fills in a tombstone with the demand that arrived after its release; it
/// stays released and on no purchase order, and keeps no address. Rows
/// changed (0 when `model`'s row is no tombstone).
pub async fn fill_tombstone<C: ConnectionTrait>(
    conn: &C,
    model: &demand::Model,
) -> Result<u64, DbErr> {
    let result = demand::Entity::update_many()
        .col_expr(Column::Sku, Expr::value(model.sku.clone()))
        .col_expr(Column::Quantity, Expr::value(model.quantity))
        .col_expr(Column::OrderId, Expr::value(model.order_id.clone()))
        .col_expr(Column::LineId, Expr::value(model.line_id.clone()))
        .col_expr(Column::DropShip, Expr::value(model.drop_ship))
        .col_expr(
            Column::TraceContext,
            Expr::value(model.trace_context.clone()),
        )
        .filter(Column::Id.eq(model.id.clone()))
        .filter(Column::OrderId.eq(""))
        .filter(Column::Replenishment.eq(false))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// Moves an open demand from purchase order `from` (`None`: unsourced) to
/// purchase order `to` with its new ETA; an address it kept while waiting
/// is dropped, as `to` holds it now. Rows changed: 0 when it was released
/// or moved meanwhile.
pub async fn place<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    from: Option<&str>,
    to: &str,
    eta: i64,
) -> Result<u64, DbErr> {
    let result = demand::Entity::update_many()
        .col_expr(Column::PurchaseOrderId, Expr::value(to))
        .col_expr(Column::Eta, Expr::value(eta))
        .col_expr(Column::ShipToAddress, Expr::value(None::<Address>))
        .filter(Column::Id.eq(id))
        .filter(open())
        .filter(on_purchase_order(from))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// Takes an open demand off purchase order `from` (`None`: unsourced) to
/// wait for a supplier, keeping `ship_to` (a drop-ship demand's address)
/// meanwhile. Rows changed: 0 when it was released or moved meanwhile.
pub async fn unsource<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    from: Option<&str>,
    ship_to: Option<Address>,
) -> Result<u64, DbErr> {
    let result = demand::Entity::update_many()
        .col_expr(Column::PurchaseOrderId, Expr::value(None::<String>))
        .col_expr(Column::Eta, Expr::value(None::<i64>))
        .col_expr(Column::ShipToAddress, Expr::value(ship_to))
        .filter(Column::Id.eq(id))
        .filter(open())
        .filter(on_purchase_order(from))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// Closes an open demand on drop-ship purchase order `purchase_order_id`:
/// the supplier shipped it at `now`. Rows changed.
pub async fn mark_shipped<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    purchase_order_id: &str,
    now: i64,
) -> Result<u64, DbErr> {
    let result = demand::Entity::update_many()
        .col_expr(Column::ShippedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(open())
        .filter(Column::PurchaseOrderId.eq(purchase_order_id))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// Sets the ETA of an open demand on purchase order `purchase_order_id`.
/// Rows changed.
pub async fn set_eta<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    purchase_order_id: &str,
    eta: i64,
) -> Result<u64, DbErr> {
    let result = demand::Entity::update_many()
        .col_expr(Column::Eta, Expr::value(eta))
        .filter(Column::Id.eq(id))
        .filter(open())
        .filter(Column::PurchaseOrderId.eq(purchase_order_id))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// Releases an open demand that is on purchase order `on` (`None`:
/// unsourced); an address it kept while waiting is no longer needed and is
/// dropped. Rows changed: 0 when it was released, shipped or moved
/// meanwhile.
pub async fn release<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    on: Option<&str>,
) -> Result<u64, DbErr> {
    let result = demand::Entity::update_many()
        .col_expr(Column::Released, Expr::value(true))
        .col_expr(Column::ShipToAddress, Expr::value(None::<Address>))
        .filter(Column::Id.eq(id))
        .filter(open())
        .filter(on_purchase_order(on))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// Lowers open demand `id` from `from` to `to` units, provided it still
/// has `from` and is still on purchase order `on` (`None`: unsourced);
/// returns the rows changed (0 or 1).
pub async fn reduce<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    from: i64,
    to: i64,
    on: Option<&str>,
) -> Result<u64, DbErr> {
    let result = demand::Entity::update_many()
        .col_expr(Column::Quantity, Expr::value(to))
        .filter(Column::Id.eq(id))
        .filter(Column::Quantity.eq(from))
        .filter(open())
        .filter(on_purchase_order(on))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// Neither released, shipped nor received.
pub(super) fn open() -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(Column::Released.eq(false))
        .add(Column::ShippedAt.is_null())
        .add(Column::ReceivedAt.is_null())
}

fn on_purchase_order(purchase_order_id: Option<&str>) -> sea_orm::Condition {
    let condition = sea_orm::Condition::all();
    match purchase_order_id {
        Some(id) => condition.add(Column::PurchaseOrderId.eq(id)),
        None => condition.add(Column::PurchaseOrderId.is_null()),
    }
}

/// An order's demand, oldest first.
pub async fn of_order<C: ConnectionTrait>(
    conn: &C,
    order_id: Uuid,
) -> Result<Vec<demand::Model>, DbErr> {
    demand::Entity::find()
        .filter(Column::OrderId.eq(order_id.to_string()))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .all(conn)
        .await
}

/// The open demand a purchase order carries, by id (a read for spans and
/// planning; writers lock with [`lock_open_of_purchase_order`]).
pub async fn open_of_purchase_order<C: ConnectionTrait>(
    conn: &C,
    purchase_order_id: &str,
) -> Result<Vec<demand::Model>, DbErr> {
    open_on(purchase_order_id).all(conn).await
}

/// The open demand a purchase order carries, locked by id. Callers hold
/// the purchase order's lock already.
pub async fn lock_open_of_purchase_order<C: ConnectionTrait>(
    conn: &C,
    purchase_order_id: &str,
) -> Result<Vec<demand::Model>, DbErr> {
    open_on(purchase_order_id).lock_exclusive().all(conn).await
}

fn open_on(purchase_order_id: &str) -> sea_orm::Select<demand::Entity> {
    demand::Entity::find()
        .filter(Column::PurchaseOrderId.eq(purchase_order_id))
        .filter(open())
        .order_by_asc(Column::Id)
}

/// The open demand of a SKU that waits for a supplier, by id (a read to
/// plan which drafts to lock; writers lock with [`lock_open_unsourced`]).
pub async fn open_unsourced<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
) -> Result<Vec<demand::Model>, DbErr> {
    unsourced(sku).all(conn).await
}

/// The open demand of a SKU that no purchase order carries, locked by id.
/// On PostgreSQL a row released or sourced while this waited drops out.
pub async fn lock_open_unsourced<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
) -> Result<Vec<demand::Model>, DbErr> {
    unsourced(sku).lock_exclusive().all(conn).await
}

fn unsourced(sku: &str) -> sea_orm::Select<demand::Entity> {
    demand::Entity::find()
        .filter(Column::Sku.eq(sku))
        .filter(Column::PurchaseOrderId.is_null())
        .filter(open())
        .order_by_asc(Column::Id)
}
