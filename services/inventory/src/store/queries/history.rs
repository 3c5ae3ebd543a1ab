//! Units ordered per SKU and UTC day, summed by the database over the
//! `reservation_sku_arrival` index.

use backorder_platform::ServiceResult;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::domain::DAY_MS;
use crate::store::reservation::{self, Column};

/// (SKU, day number, units) for every day since `since_ms` with orders.
pub async fn daily_demand<C: ConnectionTrait>(
    conn: &C,
    skus: &[String],
    since_ms: i64,
) -> ServiceResult<Vec<(String, i64, i64)>> {
    let day = format!("created_at / {DAY_MS}");
    Ok(reservation::Entity::find()
        .select_only()
        .column(Column::Sku)
        .column_as(Expr::cust(day.clone()), "day")
        .column_as(Expr::cust("CAST(SUM(quantity) AS BIGINT)"), "units")
        .filter(Column::Sku.is_in(skus.iter().cloned()))
        .filter(Column::CreatedAt.gte(since_ms))
        .group_by(Column::Sku)
        .group_by(Expr::cust(day))
        .into_tuple()
        .all(conn)
        .await?)
}
