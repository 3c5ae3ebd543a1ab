//! Queries over inventory's tables. Each takes a connection or transaction;
//! callers own transaction boundaries.

use backorder_platform::db::sum_i64;
use backorder_platform::ids::new_id_string;
use backorder_platform::time::now_ms;
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::{product, reservation, stock_level, stock_movement};
use crate::domain::{ReservationState, StockPosition};

/// The one warehouse served today.
pub const DEFAULT_WAREHOUSE: &str = "default";

/// A product by SKU.
pub async fn find_product<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
) -> Result<Option<product::Model>, DbErr> {
    product::Entity::find_by_id(sku.to_owned()).one(conn).await
}

/// Products with SKU after `after`, by SKU.
pub async fn list_products<C: ConnectionTrait>(
    conn: &C,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<product::Model>, DbErr> {
    let mut query = product::Entity::find()
        .order_by_asc(product::Column::Sku)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(product::Column::Sku.gt(after));
    }
    query.all(conn).await
}

/// A product's stock level in the default warehouse.
pub async fn find_stock<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
) -> Result<Option<stock_level::Model>, DbErr> {
    stock_level::Entity::find_by_id((sku.to_owned(), DEFAULT_WAREHOUSE.to_owned()))
        .one(conn)
        .await
}

/// Stock levels of several SKUs.
pub async fn find_stocks<C: ConnectionTrait>(
    conn: &C,
    skus: Vec<String>,
) -> Result<Vec<stock_level::Model>, DbErr> {
    stock_level::Entity::find()
        .filter(stock_level::Column::Sku.is_in(skus))
        .filter(stock_level::Column::Warehouse.eq(DEFAULT_WAREHOUSE))
        .all(conn)
        .await
}

/// Locks a SKU's stock row for the rest of the transaction (PostgreSQL
/// `FOR UPDATE`; SQLite has a single writer). Lock several SKUs in SKU
/// order so concurrent transactions never deadlock.
pub async fn lock_stock<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
) -> Result<Option<stock_level::Model>, DbErr> {
    stock_level::Entity::find_by_id((sku.to_owned(), DEFAULT_WAREHOUSE.to_owned()))
        .lock(LockType::Update)
        .one(conn)
        .await
}

/// Writes a stock position.
pub async fn save_stock<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    position: StockPosition,
) -> Result<(), DbErr> {
    stock_level::Entity::update_many()
        .col_expr(stock_level::Column::OnHand, Expr::value(position.on_hand))
        .col_expr(
            stock_level::Column::Reserved,
            Expr::value(position.reserved),
        )
        .col_expr(
            stock_level::Column::Backordered,
            Expr::value(position.backordered),
        )
        .col_expr(stock_level::Column::UpdatedAt, Expr::value(now_ms()))
        .filter(stock_level::Column::Sku.eq(sku))
        .filter(stock_level::Column::Warehouse.eq(DEFAULT_WAREHOUSE))
        .exec(conn)
        .await?;
    Ok(())
}

/// Inserts a product with an empty stock level.
pub async fn insert_product<C: ConnectionTrait>(
    conn: &C,
    product: product::Model,
) -> Result<stock_level::Model, DbErr> {
    let sku = product.sku.clone();
    let now = product.created_at;
    product::ActiveModel::from(product).insert(conn).await?;
    stock_level::ActiveModel {
        sku: Set(sku),
        warehouse: Set(DEFAULT_WAREHOUSE.to_owned()),
        on_hand: Set(0),
        reserved: Set(0),
        backordered: Set(0),
        updated_at: Set(now),
    }
    .insert(conn)
    .await
}

/// Inserts a reservation.
pub async fn insert_reservation<C: ConnectionTrait>(
    conn: &C,
    model: reservation::Model,
) -> Result<(), DbErr> {
    reservation::ActiveModel::from(model).insert(conn).await?;
    Ok(())
}

/// Writes a reservation's place in its SKU's queue (priority, reason, time).
pub async fn update_reservation_priority<C: ConnectionTrait>(
    conn: &C,
    model: &reservation::Model,
) -> Result<(), DbErr> {
    reservation::Entity::update_many()
        .col_expr(reservation::Column::Priority, Expr::value(model.priority))
        .col_expr(
            reservation::Column::PriorityReason,
            Expr::value(model.priority_reason.clone()),
        )
        .col_expr(
            reservation::Column::UpdatedAt,
            Expr::value(model.updated_at),
        )
        .filter(reservation::Column::Id.eq(model.id.clone()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Writes a reservation's quantities and state.
pub async fn update_reservation<C: ConnectionTrait>(
    conn: &C,
    model: &reservation::Model,
) -> Result<(), DbErr> {
    reservation::Entity::update_many()
        .col_expr(
            reservation::Column::ReservedQuantity,
            Expr::value(model.reserved_quantity),
        )
        .col_expr(
            reservation::Column::WaitingQuantity,
            Expr::value(model.waiting_quantity),
        )
        .col_expr(reservation::Column::State, Expr::value(model.state))
        .col_expr(reservation::Column::UpdatedAt, Expr::value(now_ms()))
        .filter(reservation::Column::Id.eq(model.id.clone()))
        .exec(conn)
        .await?;
    Ok(())
}

/// The reservation of one order line.
pub async fn find_reservation<C: ConnectionTrait>(
    conn: &C,
    order_id: &str,
    line_id: &str,
) -> Result<Option<reservation::Model>, DbErr> {
    reservation::Entity::find()
        .filter(reservation::Column::OrderId.eq(order_id))
        .filter(reservation::Column::LineId.eq(line_id))
        .one(conn)
        .await
}

/// An order's reservations by id (arrival), after `after`.
pub async fn reservations_of_order<C: ConnectionTrait>(
    conn: &C,
    order_id: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<reservation::Model>, DbErr> {
    let mut query = reservation::Entity::find()
        .filter(reservation::Column::OrderId.eq(order_id))
        .order_by_asc(reservation::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(reservation::Column::Id.gt(after));
    }
    query.all(conn).await
}

/// Position of a reservation in its SKU's queue: what orders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueKey {
    /// Priority (higher first).
    pub priority: i32,
    /// Arrival (earlier first).
    pub created_at: i64,
    /// Tie-break.
    pub id: String,
}

impl QueueKey {
    /// The key of a reservation.
    pub fn of(model: &reservation::Model) -> Self {
        Self {
            priority: model.priority,
            created_at: model.created_at,
            id: model.id.clone(),
        }
    }

    /// As a page cursor.
    pub fn encode(&self) -> String {
        format!("{}|{}|{}", self.priority, self.created_at, self.id)
    }

    /// From a page cursor.
    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '|');
        Some(Self {
            priority: parts.next()?.parse().ok()?,
            created_at: parts.next()?.parse().ok()?,
            id: parts.next()?.to_owned(),
        })
    }
}

/// Waiting lines of a SKU in allocation order (priority, then arrival),
/// starting after `after`. Served by the `reservation_queue` index.
pub async fn waiting_queue<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    after: Option<&QueueKey>,
    limit: u64,
) -> Result<Vec<reservation::Model>, DbErr> {
    use reservation::Column;
    let mut query = reservation::Entity::find()
        .filter(Column::Sku.eq(sku))
        .filter(Column::State.eq(ReservationState::Waiting.code()))
        .order_by_desc(Column::Priority)
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .limit(limit);
    if let Some(key) = after {
        query = query.filter(
            Condition::any().add(Column::Priority.lt(key.priority)).add(
                Condition::all().add(Column::Priority.eq(key.priority)).add(
                    Condition::any()
                        .add(Column::CreatedAt.gt(key.created_at))
                        .add(
                            Condition::all()
                                .add(Column::CreatedAt.eq(key.created_at))
                                .add(Column::Id.gt(key.id.clone())),
                        ),
                ),
            ),
        );
    }
    query.all(conn).await
}

/// Appends to the stock ledger.
pub async fn record_movement<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    kind: &str,
    on_hand_delta: i64,
    reserved_delta: i64,
    reference: &str,
    reason: &str,
) -> Result<(), DbErr> {
    stock_movement::ActiveModel {
        id: Set(new_id_string()),
        sku: Set(sku.to_owned()),
        warehouse: Set(DEFAULT_WAREHOUSE.to_owned()),
        kind: Set(kind.to_owned()),
        on_hand_delta: Set(on_hand_delta),
        reserved_delta: Set(reserved_delta),
        reference: Set(reference.to_owned()),
        reason: Set(reason.to_owned()),
        created_at: Set(now_ms()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Order lines waiting for one SKU's stock, summed.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct BacklogRow {
    /// SKU.
    pub sku: String,
    /// Waiting lines.
    pub waiting_lines: i64,
    /// Units they wait for.
    pub waiting_units: i64,
    /// When the oldest of them joined the queue (Unix ms).
    pub oldest_waiting_since: i64,
}

/// The whole backlog, summed over every SKU.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct BacklogTotals {
    /// Waiting lines.
    pub waiting_lines: i64,
    /// Units they wait for; `None` when nothing waits.
    pub waiting_units: Option<i64>,
    /// When the oldest of them joined its queue; `None` when nothing waits.
    pub oldest_waiting_since: Option<i64>,
}

/// SKUs with waiting lines after `after`, by SKU.
pub async fn backlog<C: ConnectionTrait>(
    conn: &C,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<BacklogRow>, DbErr> {
    use reservation::Column;
    let mut query = reservation::Entity::find()
        .select_only()
        .column(Column::Sku)
        .column_as(Column::Id.count(), "waiting_lines")
        .column_as(sum_i64("waiting_quantity"), "waiting_units")
        .column_as(Column::CreatedAt.min(), "oldest_waiting_since")
        .filter(Column::State.eq(ReservationState::Waiting.code()))
        .group_by(Column::Sku)
        .order_by_asc(Column::Sku)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(Column::Sku.gt(after));
    }
    query.into_model::<BacklogRow>().all(conn).await
}

/// The backlog's totals over every SKU.
pub async fn backlog_totals<C: ConnectionTrait>(conn: &C) -> Result<BacklogTotals, DbErr> {
    use reservation::Column;
    let totals = reservation::Entity::find()
        .select_only()
        .column_as(Column::Id.count(), "waiting_lines")
        .column_as(sum_i64("waiting_quantity"), "waiting_units")
        .column_as(Column::CreatedAt.min(), "oldest_waiting_since")
        .filter(Column::State.eq(ReservationState::Waiting.code()))
        .into_model::<BacklogTotals>()
        .one(conn)
        .await?;
    Ok(totals.unwrap_or(BacklogTotals {
        waiting_lines: 0,
        waiting_units: None,
        oldest_waiting_since: None,
    }))
}
