//! Counts behind the backorder measures.

use backorder_platform::ServiceResult;
use backorder_platform::db::sum_i64;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use super::super::{customer_order, order_line};
use crate::domain::OrderStatus;
use crate::domain::stats::{Counts, SPLIT, SplitSum};

#[derive(Debug, sea_orm::FromQueryResult)]
struct LineCounts {
    orders_backordered: i64,
    lines_placed: i64,
    lines_from_stock: Option<i64>,
    ordered_high: Option<i64>,
    ordered_low: Option<i64>,
    from_stock_high: Option<i64>,
    from_stock_low: Option<i64>,
}

/// Counts over orders placed in `[start_ms, end_ms)`; pending orders (still
/// being placed) are left out. Unit totals are summed in two parts that
/// cannot overflow (see [`SplitSum`]), whatever was stored.
pub async fn backorder_counts<C: ConnectionTrait>(
    conn: &C,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
) -> ServiceResult<Counts> {
    let placed = || {
        let mut condition =
            Condition::all().add(customer_order::Column::Status.ne(OrderStatus::Pending.code()));
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
    let high = |column: &str| sum_i64(&format!("{column} / {SPLIT}"));
    let low = |column: &str| sum_i64(&format!("{column} % {SPLIT}"));
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
        .column_as(high("quantity"), "ordered_high")
        .column_as(low("quantity"), "ordered_low")
        .column_as(high("reserved_quantity"), "from_stock_high")
        .column_as(low("reserved_quantity"), "from_stock_low")
        .filter(order_line::Column::OrderId.in_subquery(placed_ids))
        .into_model::<LineCounts>()
        .one(conn)
        .await?;
    let Some(lines) = lines else {
        return Ok(Counts {
            orders_placed: i64::try_from(orders_placed).unwrap_or(i64::MAX),
            ..Counts::default()
        });
    };
    let split = |high: Option<i64>, low: Option<i64>| {
        SplitSum {
            high: high.unwrap_or(0),
            low: low.unwrap_or(0),
        }
        .total()
    };
    Ok(Counts {
        orders_placed: i64::try_from(orders_placed).unwrap_or(i64::MAX),
        orders_backordered: lines.orders_backordered,
        lines_placed: lines.lines_placed,
        lines_from_stock: lines.lines_from_stock.unwrap_or(0),
        units_ordered: split(lines.ordered_high, lines.ordered_low),
        units_from_stock: split(lines.from_stock_high, lines.from_stock_low),
    })
}
