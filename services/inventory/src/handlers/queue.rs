//! SetBackorderPriority and ListReservations: a SKU's waiting queue and
//! an order's lines.

use backorder_platform::paging::PageRequest;
use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1 as pb;

use super::promises::queue_changed;
use super::{InventoryApi, lock_line};
use crate::convert::{self, PriorityChange, ReservationQuery};
use crate::domain::{Reservation, ReservationState};
use crate::store::queries::{self, Movement, QueueKey};
use crate::store::stock_movement::MovementKind;
use crate::wording;

impl InventoryApi {
    /// The `SetBackorderPriority` RPC.
    pub async fn set_backorder_priority(
        &self,
        req: pb::SetBackorderPriorityRequest,
    ) -> ServiceResult<pb::SetBackorderPriorityResponse> {
        let change = PriorityChange::try_from(&req)?;
        self.context
            .execute(&req, move |work| Box::pin(reprioritise(work, change)))
            .await
    }

    /// The `ListReservations` RPC.
    pub async fn list_reservations(
        &self,
        req: pb::ListReservationsRequest,
    ) -> ServiceResult<pb::ListReservationsResponse> {
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let db = &self.context.db;
        let (reservations, next_page_token) = match ReservationQuery::try_from(&req)? {
            ReservationQuery::Order(order_id) => {
                let rows = queries::reservations_of_order(
                    db,
                    order_id,
                    page.after.as_deref(),
                    page.fetch_limit(),
                )
                .await?;
                page.finish(rows, |r| r.id.to_string())
            }
            ReservationQuery::Queue(sku) => {
                let after = match &page.after {
                    Some(text) => Some(QueueKey::decode(text).ok_or_else(|| {
                        ServiceError::invalid("page_token", wording::QUEUE_TOKEN)
                    })?),
                    None => None,
                };
                let rows =
                    queries::waiting_queue(db, &sku, after.as_ref(), page.fetch_limit()).await?;
                page.finish(rows, |r| QueueKey::of(r).encode())
            }
        };
        let ids: Vec<_> = reservations.iter().map(|r| r.id).collect();
        let parts = queries::parts_of(db, &ids).await?;
        let promises = queries::promises_of(db, &ids).await?;
        Ok(pb::ListReservationsResponse {
            reservations: reservations
                .iter()
                .map(|r| {
                    convert::reservation(
                        r,
                        parts.get(&r.id).map_or(&[], Vec::as_slice),
                        promises.get(&r.id),
                    )
                })
                .collect(),
            next_page_token,
        })
    }
}

/// Moves a waiting line in its SKU's queue, with the reason on record.
async fn reprioritise(
    work: &Work,
    change: PriorityChange,
) -> ServiceResult<pb::SetBackorderPriorityResponse> {
    let (order_id, line_id) = (change.order_id, change.line_id);
    work.set_resource(order_id.to_string());
    // The SKU's stock lock orders this against allocations of the queue.
    let (_, line) = lock_line(work.db(), order_id, line_id).await?;
    if line.state != ReservationState::Waiting {
        return Err(wording::line_not_waiting(line_id));
    }
    let moved = Reservation {
        priority: change.priority,
        priority_reason: change.reason,
        updated_at: now_ms(),
        ..line.clone()
    };
    queries::update_reservation_priority(work.db(), &line, &moved).await?;
    queries::record_movement(
        work.db(),
        Movement {
            sku: &line.sku,
            // A queue change moves no stock; the ledger files it with
            // the SKU's backlog, on the default warehouse.
            warehouse: &backorder_platform::warehouse::WarehouseCode::default_warehouse(),
            kind: MovementKind::Priority,
            on_hand_delta: 0,
            reserved_delta: 0,
            reference: &order_id.to_string(),
            reason: &wording::ledger_priority(
                line_id,
                line.priority,
                moved.priority,
                &moved.priority_reason,
            ),
        },
    )
    .await?;
    // Lines it passed (or that passed it) may take other lots now.
    queue_changed(work, &line.sku).await?;
    let parts = queries::parts_of(work.db(), &[moved.id]).await?;
    let promises = queries::promises_of(work.db(), &[moved.id]).await?;
    Ok(pb::SetBackorderPriorityResponse {
        reservation: Some(convert::reservation(
            &moved,
            parts.get(&moved.id).map_or(&[], Vec::as_slice),
            promises.get(&moved.id),
        )),
    })
}
