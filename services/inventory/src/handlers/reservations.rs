//! ReserveOrder and ReleaseReservation: stock promised to order lines, and
//! given back when a line is cancelled.

use std::collections::{BTreeMap, BTreeSet};

use backorder_platform::ids::new_id;
use backorder_platform::telemetry::current_traceparent;
use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1 as pb;
use backorder_proto::procurement::v1::{AddDemandRequest, ReleaseDemandRequest};

use super::allocation::allocate_waiting;
use super::{InventoryApi, lock_line};
use crate::convert::{Cancellation, OrderReservation};
use crate::domain::{
    BackorderPolicy, LineOutcome, Reservation, ReservationState, ReserveError, StockPosition,
};
use crate::store::queries::{self, Movement};
use crate::store::stock_movement::MovementKind;
use crate::wording;

/// A SKU of an order, locked: its policy and its stock before and after.
struct LockedSku {
    policy: BackorderPolicy,
    before: StockPosition,
    after: StockPosition,
}

impl InventoryApi {
    /// The `ReserveOrder` RPC: every line reserved or backordered, or none.
    pub async fn reserve_order(
        &self,
        req: pb::ReserveOrderRequest,
    ) -> ServiceResult<pb::ReserveOrderResponse> {
        let order = OrderReservation::try_from(&req)?;
        self.context
            .execute(&req, move |work| Box::pin(reserve(work, order)))
            .await
    }

    /// The `ReleaseReservation` RPC.
    pub async fn release_reservation(
        &self,
        req: pb::ReleaseReservationRequest,
    ) -> ServiceResult<pb::ReleaseReservationResponse> {
        let cancellation = Cancellation::try_from(&req)?;
        self.context
            .execute(&req, move |work| Box::pin(release(work, cancellation)))
            .await
    }
}

async fn reserve(work: &Work, order: OrderReservation) -> ServiceResult<pb::ReserveOrderResponse> {
    work.set_resource(order.order_id.to_string());
    let mut skus = lock_skus(work, &order).await?;
    let outcomes = decide(&order, &mut skus)?;
    let lines = write_lines(work, &order, outcomes).await?;
    let changes: Vec<_> = skus
        .iter()
        .map(|(sku, locked)| (sku.as_str(), locked.before, locked.after))
        .collect();
    queries::save_stocks(work.db(), &changes).await?;
    Ok(pb::ReserveOrderResponse {
        order_id: order.order_id.to_string(),
        lines,
    })
}

/// Gives back what a cancelled line holds: its reserved units go to waiting
/// lines first, its waiting units leave the queue and their demand closes.
async fn release(
    work: &Work,
    Cancellation { order_id, line_id }: Cancellation,
) -> ServiceResult<pb::ReleaseReservationResponse> {
    let order = order_id.to_string();
    work.set_resource(order.clone());
    let (before, line) = lock_line(work.db(), order_id, line_id).await?;
    match line.state {
        ReservationState::Issued => return Err(wording::line_shipped(line_id)),
        ReservationState::Released => {
            return Ok(pb::ReleaseReservationResponse::default());
        }
        ReservationState::Waiting | ReservationState::Allocated => {}
    }
    let mut stock = before;
    stock
        .release(line.reserved, line.waiting)
        .map_err(|limit| wording::quantity_limit(&line.sku, limit))?;
    let released = line.moved_to(ReservationState::Released);
    queries::update_reservation(work.db(), &line, &released).await?;
    queries::record_movement(
        work.db(),
        Movement {
            sku: &line.sku,
            kind: MovementKind::Release,
            on_hand_delta: 0,
            reserved_delta: line.reserved.saturating_neg(),
            reference: &order,
            reason: wording::LEDGER_CANCELLED,
        },
    )
    .await?;
    if line.waiting > 0 {
        work.send(ReleaseDemandRequest {
            demand_id: line.id.to_string(),
            ..Default::default()
        })
        .await?;
    }
    if line.reserved > 0 {
        allocate_waiting(work, &line.sku, &mut stock, &order).await?;
    }
    queries::save_stock(work.db(), &line.sku, before, stock).await?;
    Ok(pb::ReleaseReservationResponse {
        released_reserved: line.reserved,
        released_waiting: line.waiting,
    })
}

/// Locks every SKU of the order in SKU order (so two orders never
/// deadlock) and reads its policy under the lock.
async fn lock_skus(
    work: &Work,
    order: &OrderReservation,
) -> ServiceResult<BTreeMap<String, LockedSku>> {
    let skus: Vec<&str> = order
        .lines
        .iter()
        .map(|l| l.sku.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Two statements whatever the order's size: the stock rows locked in
    // SKU order, then the products' policies (fixed once created).
    let mut stocks = queries::lock_stocks(work.db(), &skus).await?;
    let mut products = queries::find_products(work.db(), &skus).await?;
    let mut locked = BTreeMap::new();
    for sku in skus {
        let (Some(stock), Some(product)) = (stocks.remove(sku), products.remove(sku)) else {
            return Err(wording::product_not_found(sku));
        };
        locked.insert(
            sku.to_owned(),
            LockedSku {
                policy: product.policy,
                before: stock,
                after: stock,
            },
        );
    }
    Ok(locked)
}

/// How each line is served, in request order; a stockout on any line
/// refuses the whole order (every short line named).
fn decide(
    order: &OrderReservation,
    skus: &mut BTreeMap<String, LockedSku>,
) -> ServiceResult<Vec<LineOutcome>> {
    let mut outcomes = Vec::with_capacity(order.lines.len());
    let mut stockouts = Vec::new();
    for (i, line) in order.lines.iter().enumerate() {
        let locked = skus
            .get_mut(&line.sku)
            .ok_or_else(|| wording::product_not_found(&line.sku))?;
        match locked
            .after
            .reserve_line(line.quantity, locked.policy, order.accept_backorders)
        {
            Ok(outcome) => outcomes.push(outcome),
            Err(ReserveError::Stockout(refusal)) => {
                stockouts.push(wording::stockout(i, &line.sku, refusal));
            }
            Err(ReserveError::Limit(limit)) => {
                return Err(wording::quantity_limit(&line.sku, limit));
            }
        }
    }
    if stockouts.is_empty() {
        Ok(outcomes)
    } else {
        Err(wording::order_refused(stockouts))
    }
}

/// Stores one reservation per line, books what was reserved and raises
/// demand for what waits.
async fn write_lines(
    work: &Work,
    order: &OrderReservation,
    outcomes: Vec<LineOutcome>,
) -> Result<Vec<pb::LineReservation>, ServiceError> {
    let now = now_ms();
    let trace_context = current_traceparent();
    let order_id = order.order_id.to_string();
    let mut lines = Vec::with_capacity(order.lines.len());
    let mut reservations = Vec::with_capacity(order.lines.len());
    let mut movements = Vec::new();
    for (line, outcome) in order.lines.iter().zip(outcomes) {
        let reservation = Reservation {
            id: new_id(),
            order_id: order.order_id,
            line_id: line.line_id,
            sku: line.sku.clone(),
            quantity: line.quantity,
            reserved: outcome.reserved,
            waiting: outcome.backordered,
            state: ReservationState::open(outcome.backordered),
            priority: 0,
            priority_reason: String::new(),
            trace_context: trace_context.clone(),
            created_at: now,
            updated_at: now,
        };
        if outcome.reserved > 0 {
            movements.push(Movement {
                sku: &line.sku,
                kind: MovementKind::Reserve,
                on_hand_delta: 0,
                reserved_delta: outcome.reserved,
                reference: &order_id,
                reason: wording::LEDGER_ORDER_PLACED,
            });
        }
        if outcome.backordered > 0 {
            work.send(AddDemandRequest {
                demand_id: reservation.id.to_string(),
                sku: line.sku.clone(),
                quantity: outcome.backordered,
                order_id: order_id.clone(),
                line_id: line.line_id.to_string(),
                ..Default::default()
            })
            .await?;
        }
        lines.push(pb::LineReservation {
            line_id: line.line_id.to_string(),
            sku: line.sku.clone(),
            reserved_quantity: outcome.reserved,
            backordered_quantity: outcome.backordered,
            reservation_id: reservation.id.to_string(),
        });
        reservations.push(reservation);
    }
    queries::insert_reservations(work.db(), &reservations).await?;
    queries::record_movements(work.db(), movements).await?;
    Ok(lines)
}
