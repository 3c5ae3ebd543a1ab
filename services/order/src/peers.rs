//! The services order calls synchronously, as typed clients built once at
//! start: inventory (the reservation a placement or a line change waits
//! for) and, for the timeline, inventory, procurement and notification.
//! Everything else goes through the outbox.

use std::future::Future;
use std::time::Duration;

use backorder_platform::ServiceResult;
use backorder_platform::grpc::PeerChannel;
use backorder_platform::service::ServiceContext;
use backorder_proto::Peer;
use backorder_proto::inventory::v1 as inventory_pb;
use backorder_proto::inventory::v1::inventory_service_client::InventoryServiceClient;
use backorder_proto::notification::v1 as notification_pb;
use backorder_proto::notification::v1::notification_service_client::NotificationServiceClient;
use backorder_proto::procurement::v1 as procurement_pb;
use backorder_proto::procurement::v1::procurement_service_client::ProcurementServiceClient;
use tonic::Status;

/// Deadline of a reservation: the caller of PlaceOrder waits for it.
const RESERVE_ORDER_TIMEOUT: Duration = Duration::from_secs(5);
/// Deadline of a line change: the caller of ChangeOrderLine waits for it,
/// and the order stays locked meanwhile.
const CHANGE_RESERVATION_TIMEOUT: Duration = Duration::from_secs(5);
/// Deadline of each timeline call: a slow peer is reported as unavailable
/// rather than holding up the whole timeline.
const TIMELINE_CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// Records asked for per timeline page.
const TIMELINE_PAGE_SIZE: i32 = 500;

/// Typed clients of the peers order calls.
#[derive(Clone)]
pub struct Peers {
    inventory: InventoryServiceClient<PeerChannel>,
    procurement: ProcurementServiceClient<PeerChannel>,
    notification: NotificationServiceClient<PeerChannel>,
}

/// Every call order makes to a peer may be repeated: reads, and
/// reservations that carry the order's `request_id` (inventory answers a
/// repeat with the first answer). So each is marked idempotent, and the
/// channel retries it on a transient failure within its deadline and the
/// retry budget.
fn with_deadline<T>(message: T, timeout: Duration) -> tonic::Request<T> {
    backorder_platform::retry::idempotent(message, timeout)
}

impl Peers {
    /// Clients over the context's channels; fails when a peer has no
    /// configured address.
    pub fn new(context: &ServiceContext) -> ServiceResult<Self> {
        let limit = context.max_message_bytes();
        Ok(Self {
            inventory: InventoryServiceClient::new(context.channel(Peer::Inventory)?)
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
            procurement: ProcurementServiceClient::new(context.channel(Peer::Procurement)?)
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
            notification: NotificationServiceClient::new(context.channel(Peer::Notification)?)
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
        })
    }

    /// Asks inventory to reserve an order.
    pub async fn reserve_order(
        &self,
        request: inventory_pb::ReserveOrderRequest,
    ) -> Result<inventory_pb::ReserveOrderResponse, Status> {
        let mut client = self.inventory.clone();
        client
            .reserve_order(with_deadline(request, RESERVE_ORDER_TIMEOUT))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Asks inventory to change a waiting line's reservation.
    pub async fn change_reservation(
        &self,
        request: inventory_pb::ChangeReservationRequest,
    ) -> Result<inventory_pb::ChangeReservationResponse, Status> {
        let mut client = self.inventory.clone();
        client
            .change_reservation(with_deadline(request, CHANGE_RESERVATION_TIMEOUT))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Every reservation inventory holds for an order.
    pub async fn reservations_of(
        &self,
        order_id: &str,
    ) -> Result<Vec<inventory_pb::Reservation>, Status> {
        all_pages(|page_token| {
            let mut client = self.inventory.clone();
            let request = inventory_pb::ListReservationsRequest {
                order_id: order_id.to_owned(),
                page_size: TIMELINE_PAGE_SIZE,
                page_token,
                ..Default::default()
            };
            async move {
                let page = client
                    .list_reservations(with_deadline(request, TIMELINE_CALL_TIMEOUT))
                    .await?
                    .into_inner();
                Ok((page.reservations, page.next_page_token))
            }
        })
        .await
    }

    /// Procurement's demand for an order's lines.
    pub async fn demands_of(&self, order_id: &str) -> Result<Vec<procurement_pb::Demand>, Status> {
        let mut client = self.procurement.clone();
        Ok(client
            .list_demands(with_deadline(
                procurement_pb::ListDemandsRequest {
                    order_id: order_id.to_owned(),
                },
                TIMELINE_CALL_TIMEOUT,
            ))
            .await?
            .into_inner()
            .demands)
    }

    /// Every notice sent about an order.
    pub async fn notifications_of(
        &self,
        order_id: &str,
    ) -> Result<Vec<notification_pb::Notification>, Status> {
        all_pages(|page_token| {
            let mut client = self.notification.clone();
            let request = notification_pb::ListNotificationsRequest {
                order_id: order_id.to_owned(),
                page_size: TIMELINE_PAGE_SIZE,
                page_token,
                ..Default::default()
            };
            async move {
                let page = client
                    .list_notifications(with_deadline(request, TIMELINE_CALL_TIMEOUT))
                    .await?
                    .into_inner();
                Ok((page.notifications, page.next_page_token))
            }
        })
        .await
    }
}

/// Every item of a paged list: `page` fetches the page after a token (empty
/// for the first) and returns its items and the next token (empty on the
/// last page).
async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, Status>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, String), Status>>,
{
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let (items, next) = page(token).await?;
        all.extend(items);
        if next.is_empty() {
            return Ok(all);
        }
        token = next;
    }
}
