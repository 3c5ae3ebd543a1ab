//! The backorder KPIs as exported gauges, over all time: the numbers
//! GetBackorderStats gives with no window, read by a worker every
//! `metrics.interval_seconds`.

use backorder_platform::ServiceResult;
use backorder_platform::metrics::sampled;
use backorder_platform::service::ServiceContext;
use sea_orm::DatabaseConnection;

use crate::domain::lost_sales::lost_sale_rate_percent;
use crate::domain::stats::{self, Measures};
use crate::store::queries;

/// One reading of the KPIs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Kpis {
    /// Backorder and fill rates.
    pub measures: Measures,
    /// Orders refused (removed as a lost sale).
    pub orders_refused: i64,
    /// Units on the refused orders.
    pub units_lost: i64,
    /// Refused per 100 orders asked for.
    pub lost_sale_rate_percent: f64,
}

/// Reads the KPIs, with the queries of GetBackorderStats.
pub async fn read(db: DatabaseConnection) -> ServiceResult<Kpis> {
    let counts = queries::backorder_counts(&db, None, None).await?;
    let (orders_refused, units_lost) = queries::refused_totals(&db, None, None).await?;
    let measures = stats::measures(&counts);
    Ok(Kpis {
        measures,
        orders_refused,
        units_lost,
        lost_sale_rate_percent: lost_sale_rate_percent(orders_refused, measures.orders_placed),
    })
}

/// Registers the gauges and their worker when metrics are exported.
pub fn register(context: &ServiceContext) {
    let Some(gauges) = sampled(context, "backorder KPI gauges", read) else {
        return;
    };
    gauges
        .f64(
            "backorder.orders.backorder_rate_percent",
            "Orders with a line backordered at placement, per 100 placed",
            "%",
            |k: &Kpis| k.measures.backorder_rate_percent,
        )
        .f64(
            "backorder.lines.fill_rate_percent",
            "Lines wholly reserved from stock at placement, per 100 placed",
            "%",
            |k| k.measures.line_fill_rate_percent,
        )
        .f64(
            "backorder.units.fill_rate_percent",
            "Units reserved from stock at placement, per 100 ordered",
            "%",
            |k| k.measures.unit_fill_rate_percent,
        )
        .i64(
            "backorder.orders.refused",
            "Orders refused for want of stock (lost sales)",
            "{order}",
            |k| k.orders_refused,
        )
        .i64(
            "backorder.units.lost",
            "Units on the refused orders",
            "{unit}",
            |k| k.units_lost,
        )
        .f64(
            "backorder.lost_sale_rate_percent",
            "Refused orders per 100 asked for (placed plus refused)",
            "%",
            |k| k.lost_sale_rate_percent,
        );
}
