//! ListBacklog: every SKU with waiting lines, and the totals.

use backorder_platform::ServiceResult;
use backorder_platform::paging::PageRequest;
use backorder_platform::time::to_timestamp_opt;
use backorder_proto::inventory::v1 as pb;

use super::InventoryApi;
use crate::convert;
use crate::store::queries;

impl InventoryApi {
    /// The `ListBacklog` RPC.
    pub async fn list_backlog(
        &self,
        req: pb::ListBacklogRequest,
    ) -> ServiceResult<pb::ListBacklogResponse> {
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let db = &self.context.db;
        let rows = queries::backlog(db, page.after.as_deref(), page.fetch_limit()).await?;
        let (rows, next_page_token) = page.finish(rows, |r| r.sku.clone());
        let totals = queries::backlog_totals(db).await?;
        let skus: Vec<&str> = rows.iter().map(|r| r.sku.as_str()).collect();
        let prices = queries::find_products(db, &skus).await?;
        let total_waiting_value_minor = queries::backlog_value(db).await?;
        Ok(pb::ListBacklogResponse {
            entries: rows
                .into_iter()
                .map(|row| {
                    let price = prices.get(&row.sku).map_or(0, |p| p.price_minor);
                    convert::backlog_entry(row, price)
                })
                .collect(),
            total_waiting_value_minor,
            next_page_token,
            total_waiting_lines: totals.waiting_lines,
            total_waiting_units: totals.waiting_units,
            oldest_waiting_since: to_timestamp_opt(totals.oldest_waiting_since),
        })
    }
}
