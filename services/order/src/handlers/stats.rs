//! GetBackorderStats: the backorder and fill rates over a window.

use backorder_platform::ServiceResult;
use backorder_proto::order::v1 as pb;

use super::OrderApi;
use crate::convert::views;
use crate::domain::commands::Window;
use crate::domain::stats;
use crate::store::queries;

impl OrderApi {
    /// The `GetBackorderStats` RPC.
    pub async fn get_backorder_stats(
        &self,
        req: pb::GetBackorderStatsRequest,
    ) -> ServiceResult<pb::GetBackorderStatsResponse> {
        let window = Window::try_from(&req)?;
        let db = &self.context.db;
        let counts = queries::backorder_counts(db, window.start_ms, window.end_ms).await?;
        let lost = queries::lost_sales(db, window.start_ms, window.end_ms).await?;
        Ok(views::stats_to_proto(&stats::measures(&counts), lost))
    }
}
