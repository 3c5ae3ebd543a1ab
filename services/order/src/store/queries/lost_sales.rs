//! Lost sales: written when a refused order is removed, summed for the
//! measures.

use backorder_platform::ServiceResult;
use backorder_platform::db::sum_i64;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::domain::lost_sales::{LostLine, LostSaleReason};
use crate::store::lost_sales::{lost_sale, refused_order};

/// Records a refused order (its units over every line) and its short lines.
pub async fn record_lost_sale<C: ConnectionTrait>(
    conn: &C,
    order_id: Uuid,
    units: i64,
    lines: &[LostLine],
    at: i64,
) -> ServiceResult<()> {
    refused_order::Entity::insert(refused_order::ActiveModel {
        order_id: Set(order_id.to_string()),
        units: Set(units),
        refused_at: Set(at),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(conn)
    .await?;
    if lines.is_empty() {
        return Ok(());
    }
    let rows = lines.iter().map(|line| lost_sale::ActiveModel {
        order_id: Set(order_id.to_string()),
        line_index: Set(i32::try_from(line.index).unwrap_or(i32::MAX)),
        sku: Set(line.sku.clone()),
        reason: Set(line.reason.code()),
        units: Set(line.units),
        refused_at: Set(at),
    });
    lost_sale::Entity::insert_many(rows)
        .on_conflict_do_nothing()
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// `column` within `[start, end)`, each bound when given.
fn window(column: impl ColumnTrait, start_ms: Option<i64>, end_ms: Option<i64>) -> Condition {
    let mut condition = Condition::all();
    if let Some(start) = start_ms {
        condition = condition.add(column.gte(start));
    }
    if let Some(end) = end_ms {
        condition = condition.add(column.lt(end));
    }
    condition
}

/// Lost sales of one SKU for one reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostSalesRow {
    /// SKU.
    pub sku: String,
    /// Why.
    pub reason: LostSaleReason,
    /// Refused orders.
    pub orders: i64,
    /// Units on those lines.
    pub units: i64,
}

/// Refused orders and their units in `[start, end)`.
pub async fn refused_totals<C: ConnectionTrait>(
    conn: &C,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
) -> ServiceResult<(i64, i64)> {
    let totals: Option<(i64, Option<i64>)> = refused_order::Entity::find()
        .select_only()
        .column_as(refused_order::Column::OrderId.count(), "orders")
        .column_as(sum_i64("units"), "units")
        .filter(window(refused_order::Column::RefusedAt, start_ms, end_ms))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(totals.map_or((0, 0), |(o, u)| (o, u.unwrap_or(0))))
}

/// Refused orders and their units in `[start, end)`, and the lost sales per
/// SKU and reason, by SKU then reason. Rows of a reason code this version
/// does not know are left out.
pub async fn lost_sales<C: ConnectionTrait>(
    conn: &C,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
) -> ServiceResult<(i64, i64, Vec<LostSalesRow>)> {
    let (orders, units) = refused_totals(conn, start_ms, end_ms).await?;
    let rows: Vec<(String, i32, i64, Option<i64>)> = lost_sale::Entity::find()
        .select_only()
        .column(lost_sale::Column::Sku)
        .column(lost_sale::Column::Reason)
        .column_as(lost_sale::Column::OrderId.count(), "orders")
        .column_as(sum_i64("units"), "units")
        .filter(window(lost_sale::Column::RefusedAt, start_ms, end_ms))
        .group_by(lost_sale::Column::Sku)
        .group_by(lost_sale::Column::Reason)
        .order_by_asc(lost_sale::Column::Sku)
        .order_by_asc(lost_sale::Column::Reason)
        .into_tuple()
        .all(conn)
        .await?;
    let per_sku = rows
        .into_iter()
        .filter_map(|(sku, code, orders, units)| {
            Some(LostSalesRow {
                sku,
                reason: LostSaleReason::from_code(code)?,
                orders,
                units: units.unwrap_or(0),
            })
        })
        .collect();
    Ok((orders, units, per_sku))
}
