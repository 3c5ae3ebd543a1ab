//! The backlog as exported gauges: the totals ListBacklog gives, read by a
//! worker every `metrics.interval_seconds`.

use backorder_platform::ServiceResult;
use backorder_platform::metrics::{age_seconds, sampled};
use backorder_platform::service::ServiceContext;
use sea_orm::DatabaseConnection;

use crate::store::queries::{self, BacklogTotals};

/// One reading of the backlog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backlog {
    /// Waiting lines and units, and when the oldest line joined its queue.
    pub totals: BacklogTotals,
    /// What the waiting units are worth, in minor currency units.
    pub value_minor: i64,
}

/// Reads the backlog, with the queries of ListBacklog.
pub async fn read(db: DatabaseConnection) -> ServiceResult<Backlog> {
    Ok(Backlog {
        totals: queries::backlog_totals(&db).await?,
        value_minor: queries::backlog_value(&db).await?,
    })
}

/// Registers the gauges and their worker when metrics are exported.
pub fn register(context: &ServiceContext) {
    let Some(gauges) = sampled(context, "backlog gauges", read) else {
        return;
    };
    gauges
        .i64(
            "backorder.backlog.units",
            "Units that backordered lines wait for",
            "{unit}",
            |b: &Backlog| b.totals.waiting_units,
        )
        .i64(
            "backorder.backlog.lines",
            "Backordered lines waiting for stock",
            "{line}",
            |b| b.totals.waiting_lines,
        )
        .i64(
            "backorder.backlog.value_minor",
            "What the waiting units are worth at their products' prices, in minor currency units",
            "{minor_unit}",
            |b| b.value_minor,
        )
        // The age is taken at export, from the reading's timestamp, so it
        // grows between readings as the line's wait does.
        .f64(
            "backorder.backlog.oldest_age_seconds",
            "How long the oldest waiting line has waited; 0 when none waits",
            "s",
            |b| age_seconds(b.totals.oldest_waiting_since),
        );
}
