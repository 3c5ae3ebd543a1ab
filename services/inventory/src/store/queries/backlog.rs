//! The backlog: waiting lines summed per SKU, and over every SKU from the
//! counts the stock rows keep.
//!
//! Units are summed in two halves, the high and the low 32 bits of each
//! line's waiting quantity, and put together here with saturation. Each
//! half sum fits a BIGINT for billions of rows, so the query itself can
//! never overflow: a single SUM over the quantities would fail (PostgreSQL
//! "bigint out of range", SQLite "integer overflow") once rows stored before
//! quantities were bounded add up past 2^63, and ListBacklog would then fail
//! for every caller.

use backorder_platform::ServiceResult;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::domain::ReservationState;
use crate::store::m20261201_000102_index_queue_in_allocation_order::WAITING;
use crate::store::reservation::{self, Column};
use crate::store::stock_level;

/// 2^32: where a quantity is split for summing.
const HALF: i64 = 1 << 32;

/// Order lines waiting for one SKU's stock, summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacklogRow {
    /// SKU.
    pub sku: String,
    /// Waiting lines.
    pub waiting_lines: i64,
    /// Units they wait for (`i64::MAX` if more).
    pub waiting_units: i64,
    /// When the oldest of them joined the queue (Unix ms).
    pub oldest_waiting_since: i64,
}

/// The whole backlog, summed over every SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacklogTotals {
    /// Waiting lines.
    pub waiting_lines: i64,
    /// Units they wait for (`i64::MAX` if more; 0 when nothing waits).
    pub waiting_units: i64,
    /// When the oldest of them joined its queue; `None` when nothing waits.
    pub oldest_waiting_since: Option<i64>,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct SplitRow {
    sku: String,
    waiting_lines: i64,
    units_high: i64,
    units_low: i64,
    oldest_waiting_since: i64,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct StockTotals {
    waiting_lines: Option<i64>,
    units_high: Option<i64>,
    units_low: Option<i64>,
}

/// `high * 2^32 + low`, saturated to the i64 range.
fn combine(high: i64, low: i64) -> i64 {
    let total = i128::from(high) * i128::from(HALF) + i128::from(low);
    i64::try_from(total).unwrap_or(if total > 0 { i64::MAX } else { i64::MIN })
}

fn high_half(column: &str) -> Expr {
    Expr::cust(format!("CAST(SUM({column} / {HALF}) AS BIGINT)"))
}

fn low_half(column: &str) -> Expr {
    Expr::cust(format!("CAST(SUM({column} % {HALF}) AS BIGINT)"))
}

/// Waiting lines, written as the literal of the waiting queue's partial
/// index: a bound parameter would keep a prepared statement's generic plan
/// off that index.
fn waiting() -> Expr {
    debug_assert_eq!(ReservationState::Waiting.code(), WAITING);
    Expr::cust(format!("state = {WAITING}"))
}

/// SKUs with waiting lines after `after`, by SKU.
pub async fn backlog<C: ConnectionTrait>(
    conn: &C,
    after: Option<&str>,
    limit: u64,
) -> ServiceResult<Vec<BacklogRow>> {
    let rows = backlog_query(after, limit)
        .into_model::<SplitRow>()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| BacklogRow {
            sku: r.sku,
            waiting_lines: r.waiting_lines,
            waiting_units: combine(r.units_high, r.units_low),
            oldest_waiting_since: r.oldest_waiting_since,
        })
        .collect())
}

/// The statement [`backlog`] runs (public, as the two of
/// [`backlog_totals`], so the bench can explain them).
pub fn backlog_query(after: Option<&str>, limit: u64) -> Select<reservation::Entity> {
    let mut query = reservation::Entity::find()
        .select_only()
        .column(Column::Sku)
        .column_as(Column::Id.count(), "waiting_lines")
        .column_as(high_half("waiting_quantity"), "units_high")
        .column_as(low_half("waiting_quantity"), "units_low")
        .column_as(Column::CreatedAt.min(), "oldest_waiting_since")
        .filter(waiting())
        .group_by(Column::Sku)
        .order_by_asc(Column::Sku)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(Column::Sku.gt(after));
    }
    query
}

/// [`backlog_totals`], first statement: the counts the stock rows keep.
pub fn stock_totals_query() -> Select<stock_level::Entity> {
    stock_level::Entity::find()
        .select_only()
        .column_as(
            Expr::cust("CAST(SUM(waiting_lines) AS BIGINT)"),
            "waiting_lines",
        )
        .column_as(high_half("backordered"), "units_high")
        .column_as(low_half("backordered"), "units_low")
}

/// [`backlog_totals`], second statement: the oldest waiting line.
pub fn oldest_waiting_query() -> Select<reservation::Entity> {
    reservation::Entity::find()
        .select_only()
        .column_as(Column::CreatedAt.min(), "oldest_waiting_since")
        .filter(waiting())
}

/// What every waiting unit is worth at its product's price: the SKUs with
/// a backlog and their prices, multiplied and summed here exactly (a
/// database sum of the products could overflow and fail the call).
pub async fn backlog_value<C: ConnectionTrait>(conn: &C) -> ServiceResult<i64> {
    let rows: Vec<(i64, i64)> = stock_level::Entity::find()
        .select_only()
        .column(stock_level::Column::Backordered)
        .column_as(
            Expr::cust(
                "COALESCE((SELECT p.price_minor FROM product p WHERE p.sku = stock_level.sku), 0)",
            ),
            "price_minor",
        )
        .filter(stock_level::Column::Backordered.gt(0))
        .into_tuple()
        .all(conn)
        .await?;
    let total: i128 = rows
        .iter()
        .map(|(units, price)| i128::from(*units) * i128::from(*price))
        .sum();
    Ok(i64::try_from(total).unwrap_or(i64::MAX))
}

/// The backlog's totals over every SKU: lines and units summed over the
/// stock rows (one per SKU and warehouse, which keep them), and the oldest
/// waiting line read from the `reservation_waiting_since` index; no read
/// grows with the number of lines.
pub async fn backlog_totals<C: ConnectionTrait>(conn: &C) -> ServiceResult<BacklogTotals> {
    let counts = stock_totals_query()
        .into_model::<StockTotals>()
        .one(conn)
        .await?;
    let oldest: Option<Option<i64>> = oldest_waiting_query().into_tuple().one(conn).await?;
    let counts = counts.unwrap_or(StockTotals {
        waiting_lines: None,
        units_high: None,
        units_low: None,
    });
    Ok(BacklogTotals {
        waiting_lines: counts.waiting_lines.unwrap_or(0),
        waiting_units: combine(
            counts.units_high.unwrap_or(0),
            counts.units_low.unwrap_or(0),
        ),
        oldest_waiting_since: oldest.flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_put_together_exactly_and_saturate_past_the_range() {
        for value in [0, 1, HALF - 1, HALF, HALF + 7, i64::MAX, -5, i64::MIN] {
            assert_eq!(combine(value / HALF, value % HALF), value, "{value}");
        }
        let two_maxes = (2 * (i64::MAX / HALF), 2 * (i64::MAX % HALF));
        assert_eq!(combine(two_maxes.0, two_maxes.1), i64::MAX);
        assert_eq!(combine(-two_maxes.0, -two_maxes.1), i64::MIN);
    }
}
