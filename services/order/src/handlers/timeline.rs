//! GetOrderTimeline: the order's own events merged with what inventory,
//! procurement and notification recorded about it; a peer that cannot be
//! asked is named instead of failing the whole timeline.

use backorder_platform::ServiceResult;
use backorder_proto::order::v1 as pb;

use super::{OrderApi, load_order};
use crate::convert::{requests, timeline as convert, views};
use crate::domain::timeline;
use crate::store::queries;

impl OrderApi {
    /// The `GetOrderTimeline` RPC.
    pub async fn get_order_timeline(
        &self,
        req: pb::GetOrderTimelineRequest,
    ) -> ServiceResult<pb::GetOrderTimelineResponse> {
        let order_id = requests::order_id(&req.order_id)?;
        let db = &self.context.db;
        let (order, _) = load_order(db, order_id, false).await?;
        let mut entries: Vec<timeline::Entry> =
            convert::from_order_events(queries::events_of(db, order.id).await?).collect();
        let id = order.id.to_string();
        let (reservations, demands, notifications) = tokio::join!(
            self.peers.reservations_of(&id),
            self.peers.demands_of(&id),
            self.peers.notifications_of(&id),
        );
        let mut unavailable = Vec::new();
        match reservations {
            Ok(list) => entries.extend(convert::from_reservations(list)),
            Err(_) => unavailable.push("inventory".to_owned()),
        }
        match demands {
            Ok(list) => entries.extend(convert::from_demands(list)),
            Err(_) => unavailable.push("procurement".to_owned()),
        }
        match notifications {
            Ok(list) => entries.extend(convert::from_notifications(list)),
            Err(_) => unavailable.push("notification".to_owned()),
        }
        Ok(pb::GetOrderTimelineResponse {
            order_id: id,
            trace_id: views::trace_id(&order),
            events: timeline::merge(entries)
                .into_iter()
                .map(convert::entry_to_proto)
                .collect(),
            unavailable_services: unavailable,
        })
    }
}
