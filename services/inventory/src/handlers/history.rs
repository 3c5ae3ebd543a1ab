//! GetDemandHistory: what replenishment planning reads of a SKU's demand
//! and position.

use std::collections::BTreeMap;

use backorder_platform::ServiceResult;
use backorder_platform::time::now_ms;
use backorder_proto::inventory::v1 as pb;

use super::InventoryApi;
use crate::convert::HistoryQuery;
use crate::domain::{DAY_MS, daily_series, day_of};
use crate::store::queries;

impl InventoryApi {
    /// The `GetDemandHistory` RPC.
    pub async fn get_demand_history(
        &self,
        req: pb::GetDemandHistoryRequest,
    ) -> ServiceResult<pb::GetDemandHistoryResponse> {
        let query = HistoryQuery::try_from(&req)?;
        let db = &self.context.db;
        let today = day_of(now_ms());
        let first_day = today - (query.days as i64 - 1);
        let sums = queries::daily_demand(db, &query.skus, first_day * DAY_MS).await?;
        let mut by_sku: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
        for (sku, day, units) in sums {
            by_sku.entry(sku).or_default().push((day, units));
        }
        let skus: Vec<&str> = query.skus.iter().map(String::as_str).collect();
        let stocks = queries::find_stocks(db, &skus).await?;
        Ok(pb::GetDemandHistoryResponse {
            skus: stocks
                .iter()
                .map(|(sku, stock)| {
                    let total = stock.total();
                    let sums = by_sku.get(sku).map_or(&[][..], Vec::as_slice);
                    pb::SkuDemandHistory {
                        sku: sku.clone(),
                        daily_units: daily_series(sums, today, query.days),
                        available: total.available(),
                        backlog_units: total.backordered,
                    }
                })
                .collect(),
        })
    }
}
