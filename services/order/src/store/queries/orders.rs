//! Orders: lookups, the pending order a placement starts with, its guarded
//! deletion, and the sweeper's per-order schedule.

use backorder_platform::ServiceResult;
use sea_orm::sea_query::{Expr, ExprTrait, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TryInsertResult,
};
use uuid::Uuid;

use super::super::customer_order::{self, Column};
use super::super::rows::read_all;
use super::super::{order_event, order_line};
use crate::domain::{Line, Order, OrderStatus};

/// An order with the fingerprint of the PlaceOrder that created it.
#[derive(Clone, Debug)]
pub struct Placed {
    /// The order.
    pub order: Order,
    /// Hex SHA-256 of the request; `None` for orders stored before
    /// fingerprints were kept.
    pub request_hash: Option<String>,
}

/// A pending order as the sweeper sees it.
#[derive(Clone, Debug)]
pub struct PendingOrder {
    /// The order.
    pub order: Order,
    /// Attempts made so far.
    pub attempts: i32,
    /// When it became due (Unix ms).
    pub next_attempt_at: i64,
}

/// An order by id.
pub async fn find_order<C: ConnectionTrait>(conn: &C, id: Uuid) -> ServiceResult<Option<Order>> {
    let row = customer_order::Entity::find_by_id(id.to_string())
        .one(conn)
        .await?;
    Ok(row.map(Order::try_from).transpose()?)
}

/// An order by id, locked for the rest of the transaction (PostgreSQL);
/// every change to an order or its lines takes this lock first.
pub async fn lock_order<C: ConnectionTrait>(conn: &C, id: Uuid) -> ServiceResult<Option<Order>> {
    let row = customer_order::Entity::find_by_id(id.to_string())
        .lock(LockType::Update)
        .one(conn)
        .await?;
    Ok(row.map(Order::try_from).transpose()?)
}

/// The order created by a PlaceOrder `request_id`.
pub async fn find_order_by_request<C: ConnectionTrait>(
    conn: &C,
    request_id: Uuid,
) -> ServiceResult<Option<Placed>> {
    let row = customer_order::Entity::find()
        .filter(Column::RequestId.eq(request_id.to_string()))
        .one(conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let request_hash = row.request_hash.clone();
    Ok(Some(Placed {
        order: Order::try_from(row)?,
        request_hash,
    }))
}

/// Stores a pending order and its lines, unless an order with the same
/// `request_id` exists (then `false`, and nothing is written). On
/// PostgreSQL a concurrent twin's insert waits for this one to commit.
pub async fn insert_pending_order<C: ConnectionTrait>(
    conn: &C,
    order: &Order,
    lines: &[Line],
    request_hash: &str,
    first_sweep_at: i64,
) -> ServiceResult<bool> {
    let row = customer_order::Model {
        id: order.id.to_string(),
        request_id: order.request_id.to_string(),
        customer_id: order.customer_id.to_string(),
        status: OrderStatus::Pending.code(),
        accept_backorders: order.accept_backorders,
        ship_policy: order.ship_policy.code(),
        max_shipments: order.ship_policy.max_shipments(),
        ship_to_address: order.ship_to_address.clone(),
        trace_context: order.trace_context.clone(),
        created_at: order.created_at,
        updated_at: order.updated_at,
        request_hash: Some(request_hash.to_owned()),
        attempts: 0,
        next_attempt_at: first_sweep_at,
    };
    let inserted = customer_order::Entity::insert(customer_order::ActiveModel::from(row))
        .on_conflict_do_nothing_on([Column::RequestId])
        .exec_without_returning(conn)
        .await?;
    // A conflict inserts nothing: sea-orm reports it as `Inserted(0)`.
    if !matches!(inserted, TryInsertResult::Inserted(rows) if rows > 0) {
        return Ok(false);
    }
    let rows = lines.iter().map(|line| {
        order_line::ActiveModel::from(order_line::Model {
            id: line.id.to_string(),
            order_id: line.order_id.to_string(),
            line_no: line.line_no,
            sku: line.sku.clone(),
            quantity: line.quantity,
            reserved_quantity: line.reserved_quantity,
            backordered_quantity: line.backordered_quantity,
            status: line.status.code(),
            eta: line.eta,
            eta_latest: line.eta_latest,
            purchase_order_id: line.purchase_order_id.map(|id| id.to_string()),
            shipment_id: line.shipment_id.map(|id| id.to_string()),
            shipped_quantity: line.shipped_quantity,
            ready_quantity: line.ready_quantity,
            drop_ship: line.drop_ship,
            // Known once inventory reserves the line.
            unit_price_minor: 0,
            charge_at: None,
            payment_state: None,
            payment_amount_minor: None,
            payment_reference: None,
            payment_updated_at: None,
            updated_at: order.updated_at,
        })
    });
    order_line::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(true)
}

/// What [`delete_pending_order`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deletion {
    /// The order was pending and is gone now, with its lines and events.
    Deleted,
    /// The order left PENDING meanwhile (a twin call completed it): kept.
    NotPending,
    /// No such order (a twin call deleted it already).
    Gone,
}

/// Deletes a refused order, only while it is still pending: the row is
/// locked, and the delete itself is conditional on PENDING, so an order a
/// twin call completed in the meantime is never deleted.
pub async fn delete_pending_order<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> ServiceResult<Deletion> {
    let Some(order) = lock_order(conn, id).await? else {
        return Ok(Deletion::Gone);
    };
    if order.status != OrderStatus::Pending {
        return Ok(Deletion::NotPending);
    }
    let deleted = customer_order::Entity::delete_many()
        .filter(Column::Id.eq(id.to_string()))
        .filter(Column::Status.eq(OrderStatus::Pending.code()))
        .exec(conn)
        .await?;
    if deleted.rows_affected != 1 {
        return Ok(Deletion::NotPending);
    }
    order_event::Entity::delete_many()
        .filter(order_event::Column::OrderId.eq(id.to_string()))
        .exec(conn)
        .await?;
    order_line::Entity::delete_many()
        .filter(order_line::Column::OrderId.eq(id.to_string()))
        .exec(conn)
        .await?;
    Ok(Deletion::Deleted)
}

/// Sets an order's status, changed at `at` (Unix ms).
pub async fn set_order_status<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    status: OrderStatus,
    at: i64,
) -> ServiceResult<()> {
    customer_order::Entity::update_many()
        .col_expr(Column::Status, Expr::value(status.code()))
        .col_expr(Column::UpdatedAt, Expr::value(at))
        .filter(Column::Id.eq(id.to_string()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Orders newest first, optionally filtered, before cursor `before`.
pub async fn list_orders<C: ConnectionTrait>(
    conn: &C,
    customer_id: Option<Uuid>,
    status: Option<OrderStatus>,
    before: Option<&str>,
    limit: u64,
) -> ServiceResult<Vec<Order>> {
    let mut query = customer_order::Entity::find()
        .order_by_desc(Column::Id)
        .limit(limit);
    if let Some(customer_id) = customer_id {
        query = query.filter(Column::CustomerId.eq(customer_id.to_string()));
    }
    if let Some(status) = status {
        query = query.filter(Column::Status.eq(status.code()));
    }
    if let Some(before) = before {
        query = query.filter(Column::Id.lt(before));
    }
    Ok(read_all(query.all(conn).await?)?)
}

/// Pending orders due for another attempt at `now`, soonest due first.
/// Each order's own next-attempt time decides, so orders that keep failing
/// back off behind the others instead of filling every batch.
pub async fn due_pending_orders<C: ConnectionTrait>(
    conn: &C,
    now: i64,
    limit: u64,
) -> ServiceResult<Vec<PendingOrder>> {
    let rows = customer_order::Entity::find()
        .filter(Column::Status.eq(OrderStatus::Pending.code()))
        .filter(Column::NextAttemptAt.lte(now))
        .order_by_asc(Column::NextAttemptAt)
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|row| {
            let (attempts, next_attempt_at) = (row.attempts, row.next_attempt_at);
            Ok(PendingOrder {
                order: Order::try_from(row)?,
                attempts,
                next_attempt_at,
            })
        })
        .collect()
}

/// Books the next attempt of a pending order, due at `due_at`, before it
/// is made: `true` when this caller booked it, `false` when the order left
/// PENDING or another sweeper booked it first (its due time moved).
pub async fn claim_attempt<C: ConnectionTrait>(
    conn: &C,
    order_id: Uuid,
    due_at: i64,
    next_attempt_at: i64,
) -> ServiceResult<bool> {
    let updated = customer_order::Entity::update_many()
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::NextAttemptAt, Expr::value(next_attempt_at))
        .filter(Column::Id.eq(order_id.to_string()))
        .filter(Column::Status.eq(OrderStatus::Pending.code()))
        .filter(Column::NextAttemptAt.eq(due_at))
        .exec(conn)
        .await?;
    Ok(updated.rows_affected == 1)
}
