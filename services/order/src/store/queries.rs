//! Queries over order's tables; callers own transaction boundaries.

use backorder_platform::db::sum_i64;
use backorder_platform::ids::new_id_string;
use backorder_platform::time::now_ms;
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{customer_order, order_event, order_line, shipment};

/// An order by id.
pub async fn find_order<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<Option<customer_order::Model>, DbErr> {
    customer_order::Entity::find_by_id(id.to_owned())
        .one(conn)
        .await
}

/// An order by id, locked for the rest of the transaction (PostgreSQL);
/// every change to an order's lines takes this lock first.
pub async fn lock_order<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<Option<customer_order::Model>, DbErr> {
    customer_order::Entity::find_by_id(id.to_owned())
        .lock(LockType::Update)
        .one(conn)
        .await
}

/// The order created by a PlaceOrder `request_id`.
pub async fn find_order_by_request<C: ConnectionTrait>(
    conn: &C,
    request_id: &str,
) -> Result<Option<customer_order::Model>, DbErr> {
    customer_order::Entity::find()
        .filter(customer_order::Column::RequestId.eq(request_id))
        .one(conn)
        .await
}

/// Orders still pending (reservation unanswered) created before `before`.
pub async fn stale_pending_orders<C: ConnectionTrait>(
    conn: &C,
    pending_code: i32,
    before: i64,
    limit: u64,
) -> Result<Vec<customer_order::Model>, DbErr> {
    customer_order::Entity::find()
        .filter(customer_order::Column::Status.eq(pending_code))
        .filter(customer_order::Column::CreatedAt.lt(before))
        .order_by_asc(customer_order::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Orders newest first, optionally filtered, before cursor `before`.
pub async fn list_orders<C: ConnectionTrait>(
    conn: &C,
    customer_id: Option<&str>,
    status: Option<i32>,
    before: Option<&str>,
    limit: u64,
) -> Result<Vec<customer_order::Model>, DbErr> {
    let mut query = customer_order::Entity::find()
        .order_by_desc(customer_order::Column::Id)
        .limit(limit);
    if let Some(customer_id) = customer_id {
        query = query.filter(customer_order::Column::CustomerId.eq(customer_id));
    }
    if let Some(status) = status {
        query = query.filter(customer_order::Column::Status.eq(status));
    }
    if let Some(before) = before {
        query = query.filter(customer_order::Column::Id.lt(before));
    }
    query.all(conn).await
}

/// Inserts an order.
pub async fn insert_order<C: ConnectionTrait>(
    conn: &C,
    order: customer_order::Model,
) -> Result<(), DbErr> {
    customer_order::ActiveModel::from(order)
        .insert(conn)
        .await?;
    Ok(())
}

/// Sets an order's status.
pub async fn set_order_status<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    status: i32,
) -> Result<(), DbErr> {
    customer_order::Entity::update_many()
        .col_expr(customer_order::Column::Status, Expr::value(status))
        .col_expr(customer_order::Column::UpdatedAt, Expr::value(now_ms()))
        .filter(customer_order::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes an order that was refused, with its lines and events.
pub async fn delete_order<C: ConnectionTrait>(conn: &C, id: &str) -> Result<(), DbErr> {
    order_event::Entity::delete_many()
        .filter(order_event::Column::OrderId.eq(id))
        .exec(conn)
        .await?;
    order_line::Entity::delete_many()
        .filter(order_line::Column::OrderId.eq(id))
        .exec(conn)
        .await?;
    customer_order::Entity::delete_by_id(id.to_owned())
        .exec(conn)
        .await?;
    Ok(())
}

/// An order's lines in order.
pub async fn lines_of<C: ConnectionTrait>(
    conn: &C,
    order_id: &str,
) -> Result<Vec<order_line::Model>, DbErr> {
    order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order_id))
        .order_by_asc(order_line::Column::LineNo)
        .all(conn)
        .await
}

/// Lines of several orders.
pub async fn lines_of_orders<C: ConnectionTrait>(
    conn: &C,
    order_ids: Vec<String>,
) -> Result<Vec<order_line::Model>, DbErr> {
    order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(order_ids))
        .order_by_asc(order_line::Column::LineNo)
        .all(conn)
        .await
}

/// Inserts a line.
pub async fn insert_line<C: ConnectionTrait>(
    conn: &C,
    line: order_line::Model,
) -> Result<(), DbErr> {
    order_line::ActiveModel::from(line).insert(conn).await?;
    Ok(())
}

/// Writes a line's mutable fields.
pub async fn update_line<C: ConnectionTrait>(
    conn: &C,
    line: &order_line::Model,
) -> Result<(), DbErr> {
    use order_line::Column;
    order_line::Entity::update_many()
        .col_expr(
            Column::ReservedQuantity,
            Expr::value(line.reserved_quantity),
        )
        .col_expr(
            Column::BackorderedQuantity,
            Expr::value(line.backordered_quantity),
        )
        .col_expr(Column::Status, Expr::value(line.status))
        .col_expr(Column::Eta, Expr::value(line.eta))
        .col_expr(
            Column::PurchaseOrderId,
            Expr::value(line.purchase_order_id.clone()),
        )
        .col_expr(Column::ShipmentId, Expr::value(line.shipment_id.clone()))
        .col_expr(Column::UpdatedAt, Expr::value(now_ms()))
        .filter(Column::Id.eq(line.id.clone()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Shipments of several orders, oldest first.
pub async fn shipments_of_orders<C: ConnectionTrait>(
    conn: &C,
    order_ids: Vec<String>,
) -> Result<Vec<shipment::Model>, DbErr> {
    shipment::Entity::find()
        .filter(shipment::Column::OrderId.is_in(order_ids))
        .order_by_asc(shipment::Column::Id)
        .all(conn)
        .await
}

/// A shipment by id.
pub async fn find_shipment<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<Option<shipment::Model>, DbErr> {
    shipment::Entity::find_by_id(id.to_owned()).one(conn).await
}

/// Inserts a shipment.
pub async fn insert_shipment<C: ConnectionTrait>(
    conn: &C,
    model: shipment::Model,
) -> Result<(), DbErr> {
    shipment::ActiveModel::from(model).insert(conn).await?;
    Ok(())
}

/// Marks a shipment delivered.
pub async fn set_shipment_delivered<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    at: i64,
) -> Result<(), DbErr> {
    shipment::Entity::update_many()
        .col_expr(shipment::Column::Status, Expr::value(2))
        .col_expr(shipment::Column::DeliveredAt, Expr::value(at))
        .filter(shipment::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Appends to the order's timeline.
pub async fn record_event<C: ConnectionTrait>(
    conn: &C,
    order_id: &str,
    line_id: &str,
    event: &str,
    detail: String,
) -> Result<(), DbErr> {
    order_event::ActiveModel {
        id: Set(new_id_string()),
        order_id: Set(order_id.to_owned()),
        line_id: Set(line_id.to_owned()),
        event: Set(event.to_owned()),
        detail: Set(detail),
        created_at: Set(now_ms()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The order's own timeline, oldest first.
pub async fn events_of<C: ConnectionTrait>(
    conn: &C,
    order_id: &str,
) -> Result<Vec<order_event::Model>, DbErr> {
    order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(order_id))
        .order_by_asc(order_event::Column::Id)
        .all(conn)
        .await
}

/// Counts behind the backorder measures of orders placed in a window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackorderCounts {
    /// Orders placed (answered by inventory).
    pub orders_placed: i64,
    /// Orders with a line backordered at placement.
    pub orders_backordered: i64,
    /// Lines placed.
    pub lines_placed: i64,
    /// Lines wholly reserved at placement.
    pub lines_from_stock: i64,
    /// Units ordered.
    pub units_ordered: i64,
    /// Units reserved at placement.
    pub units_from_stock: i64,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct LineCounts {
    orders_backordered: i64,
    lines_placed: i64,
    lines_from_stock: Option<i64>,
    units_ordered: Option<i64>,
    units_from_stock: Option<i64>,
}

/// Counts over orders placed in `[start_ms, end_ms)`; pending orders (still
/// being placed) are left out.
pub async fn backorder_counts<C: ConnectionTrait>(
    conn: &C,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
) -> Result<BackorderCounts, DbErr> {
    use sea_orm::PaginatorTrait;
    use sea_orm::sea_query::Query;
    let placed = || {
        let mut condition = sea_orm::Condition::all()
            .add(customer_order::Column::Status.ne(crate::domain::OrderStatus::Pending.code()));
        if let Some(start) = start_ms {
            condition = condition.add(customer_order::Column::CreatedAt.gte(start));
        }
        if let Some(end) = end_ms {
            condition = condition.add(customer_order::Column::CreatedAt.lt(end));
        }
        condition
    };
    let orders_placed = customer_order::Entity::find()
        .filter(placed())
        .count(conn)
        .await?;
    let placed_ids = Query::select()
        .column(customer_order::Column::Id)
        .from(customer_order::Entity)
        .cond_where(placed())
        .to_owned();
    let lines = order_line::Entity::find()
        .select_only()
        .column_as(
            Expr::cust("COUNT(DISTINCT CASE WHEN backordered_quantity > 0 THEN order_id END)"),
            "orders_backordered",
        )
        .column_as(order_line::Column::Id.count(), "lines_placed")
        .column_as(
            sum_i64("CASE WHEN backordered_quantity = 0 THEN 1 ELSE 0 END"),
            "lines_from_stock",
        )
        .column_as(sum_i64("quantity"), "units_ordered")
        .column_as(sum_i64("reserved_quantity"), "units_from_stock")
        .filter(order_line::Column::OrderId.in_subquery(placed_ids))
        .into_model::<LineCounts>()
        .one(conn)
        .await?;
    let lines = lines.unwrap_or(LineCounts {
        orders_backordered: 0,
        lines_placed: 0,
        lines_from_stock: None,
        units_ordered: None,
        units_from_stock: None,
    });
    Ok(BackorderCounts {
        orders_placed: i64::try_from(orders_placed).unwrap_or(i64::MAX),
        orders_backordered: lines.orders_backordered,
        lines_placed: lines.lines_placed,
        lines_from_stock: lines.lines_from_stock.unwrap_or(0),
        units_ordered: lines.units_ordered.unwrap_or(0),
        units_from_stock: lines.units_from_stock.unwrap_or(0),
    })
}
