//! GetOrder and ListOrders: reads, outside any unit of work.

use backorder_platform::ServiceResult;
use backorder_proto::order::v1 as pb;

use super::{OrderApi, load_order, view};
use crate::convert::{OrderQuery, delays, requests, views};
use crate::domain::{Line, Shipment};
use crate::store::queries;

impl OrderApi {
    /// The `GetOrder` RPC.
    pub async fn get_order(&self, req: pb::GetOrderRequest) -> ServiceResult<pb::GetOrderResponse> {
        let order_id = requests::order_id(&req.order_id)?;
        let db = &self.context.db;
        let (order, lines) = load_order(db, order_id, false).await?;
        Ok(pb::GetOrderResponse {
            order: Some(view(db, &order, &lines).await?),
        })
    }

    /// The `ListOrders` RPC.
    pub async fn list_orders(
        &self,
        req: pb::ListOrdersRequest,
    ) -> ServiceResult<pb::ListOrdersResponse> {
        let query = OrderQuery::try_from(&req)?;
        let db = &self.context.db;
        let rows = queries::list_orders(
            db,
            query.customer_id,
            query.status,
            query.page.after.as_deref(),
            query.page.fetch_limit(),
        )
        .await?;
        let (orders, next_page_token) = query.page.finish(rows, |o| o.id.to_string());
        let ids: Vec<_> = orders.iter().map(|o| o.id).collect();
        let lines = queries::lines_of_orders(db, &ids).await?;
        let shipments = queries::shipments_of_orders(db, &ids).await?;
        let offers = queries::offers_of_orders(db, &ids).await?;
        let orders = orders
            .iter()
            .map(|o| {
                let own_lines: Vec<Line> = lines
                    .iter()
                    .filter(|l| l.order_id == o.id)
                    .cloned()
                    .collect();
                let own_shipments: Vec<Shipment> = shipments
                    .iter()
                    .filter(|s| s.order_id == o.id)
                    .cloned()
                    .collect();
                let mut shown = views::order_to_proto(o, &own_lines, &own_shipments);
                delays::attach_offers(&mut shown, &own_lines, &offers);
                shown
            })
            .collect();
        Ok(pb::ListOrdersResponse {
            orders,
            next_page_token,
        })
    }
}
