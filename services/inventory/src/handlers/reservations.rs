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
use super::promises::queue_changed;
use super::{InventoryApi, lock_line};
use crate::convert::{self, Cancellation, OrderReservation};
use crate::domain::{
    BackorderPolicy, LineOutcome, Part, Product, Refusal, Reservation, ReservationState,
    ReserveError, SkuStock, StockPosition, Take,
};
use crate::store::queries::{self, Movement};
use crate::store::stock_movement::MovementKind;
use crate::wording;

/// How one line is served: from stock (reserved now, the rest waiting),
/// or whole by the supplier.
#[derive(Clone, Copy, Debug)]
enum Served {
    /// From stock; `queue_end` is the place of the line's last waiting unit
    /// in the SKU's queue (it joins at the tail), which decides its promise.
    Stock {
        outcome: LineOutcome,
        queue_end: i64,
    },
    DropShip,
}

impl Served {
    fn reserved(self) -> i64 {
        match self {
            Self::Stock { outcome, .. } => outcome.reserved,
            Self::DropShip => 0,
        }
    }
}

/// A SKU of an order, locked: its policy, its stock before and after, and
/// its total over every warehouse, which decides how each line is served.
struct LockedSku {
    product: Product,
    before: SkuStock,
    after: SkuStock,
    total: StockPosition,
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
    let parts = take_from_shelves(work, &order, &outcomes, &mut skus).await?;
    let lines = write_lines(work, &order, outcomes, &parts, &skus).await?;
    let changes: Vec<_> = skus
        .iter()
        .map(|(sku, locked)| (sku.as_str(), &locked.before, &locked.after))
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
        ReservationState::DropShip => return release_drop_ship(work, &line).await,
        ReservationState::Waiting | ReservationState::Allocated => {}
    }
    give_back(work, &before, &line, &order, wording::LEDGER_CANCELLED).await?;
    Ok(pb::ReleaseReservationResponse {
        released_reserved: line.reserved,
        released_waiting: line.waiting,
    })
}

/// Releases open `line`, whose SKU's stock (`before`) this unit holds
/// locked: its reserved units go back to their shelves and to waiting
/// lines first, its waiting units leave the backlog and their demand is
/// released; the ledger says `reason`.
pub(super) async fn give_back(
    work: &Work,
    before: &SkuStock,
    line: &Reservation,
    order: &str,
    reason: &str,
) -> ServiceResult<()> {
    let parts = queries::parts_of(work.db(), &[line.id])
        .await?
        .remove(&line.id)
        .unwrap_or_default();
    let mut stock = before.clone();
    stock
        .release(&parts, line.waiting)
        .map_err(|limit| wording::quantity_limit(&line.sku, limit))?;
    let released = line.moved_to(ReservationState::Released);
    queries::update_reservation(work.db(), line, &released).await?;
    queries::clear_parts(work.db(), line.id).await?;
    let movements = parts
        .iter()
        .map(|(warehouse, units)| Movement {
            sku: &line.sku,
            warehouse,
            kind: MovementKind::Release,
            on_hand_delta: 0,
            reserved_delta: units.saturating_neg(),
            reference: order,
            reason,
        })
        .collect();
    queries::record_movements(work.db(), movements).await?;
    if line.waiting > 0 {
        work.send(ReleaseDemandRequest {
            demand_id: line.id.to_string(),
            ..Default::default()
        })
        .await?;
    }
    for (warehouse, _) in &parts {
        allocate_waiting(work, &line.sku, &mut stock, warehouse, order).await?;
    }
    queries::save_stock(work.db(), &line.sku, before, &stock).await?;
    if line.waiting > 0 {
        // The lines behind it move up the queue: their dates may too.
        queue_changed(work, &line.sku).await?;
    }
    Ok(())
}

/// Releases a drop-shipped line: no stock to give back, only its demand on
/// the supplier's drop-ship purchase order.
async fn release_drop_ship(
    work: &Work,
    line: &Reservation,
) -> ServiceResult<pb::ReleaseReservationResponse> {
    let released = line.moved_to(ReservationState::Released);
    queries::update_reservation(work.db(), line, &released).await?;
    work.send(ReleaseDemandRequest {
        demand_id: line.id.to_string(),
        ..Default::default()
    })
    .await?;
    Ok(pb::ReleaseReservationResponse::default())
}

/// Locks every SKU of the order in SKU order (so two orders never
/// deadlock), with its policy, then reads its shelves under the lock.
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
    // Two statements whatever the order's size: the product rows locked
    // in SKU order (with their policies), then every shelf of them.
    let mut products = queries::lock_products(work.db(), &skus).await?;
    let mut stocks = queries::find_stocks(work.db(), &skus).await?;
    let mut locked = BTreeMap::new();
    for sku in skus {
        let (Some(stock), Some(product)) = (stocks.remove(sku), products.remove(sku)) else {
            return Err(wording::product_not_found(sku));
        };
        locked.insert(
            sku.to_owned(),
            LockedSku {
                product,
                total: stock.total(),
                after: stock.clone(),
                before: stock,
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
) -> ServiceResult<Vec<Served>> {
    let mut outcomes = Vec::with_capacity(order.lines.len());
    let mut stockouts = Vec::new();
    let mut earliest_date = None;
    let has_address = !order.ship_to_address.is_empty();
    for (i, line) in order.lines.iter().enumerate() {
        let locked = skus
            .get_mut(&line.sku)
            .ok_or_else(|| wording::product_not_found(&line.sku))?;
        if locked.product.drop_ships(
            line.quantity,
            locked.total.available(),
            has_address,
            order.accept_backorders,
        ) {
            outcomes.push(Served::DropShip);
            continue;
        }
        let backlog = locked.total.backordered;
        let supply = &locked.product.supply;
        let policy = locked.product.policy.with_inbound(supply.units());
        match locked
            .total
            .reserve_line(line.quantity, policy, order.accept_backorders)
        {
            Ok(outcome) => outcomes.push(Served::Stock {
                outcome,
                queue_end: backlog.saturating_add(outcome.backordered),
            }),
            Err(ReserveError::Stockout(refusal)) => {
                let mut stockout = wording::stockout(i, &line.sku, refusal);
                if let (BackorderPolicy::Inbound { .. }, Refusal::CapReached { short, .. }) =
                    (locked.product.policy, refusal)
                {
                    let earliest = supply.earliest_date(backlog, short, now_ms());
                    if earliest_date.is_none() {
                        earliest_date = earliest;
                    }
                    stockout.description = wording::beyond_inbound(&line.sku, short, earliest);
                }
                stockouts.push(stockout);
            }
            Err(ReserveError::Limit(limit)) => {
                return Err(wording::quantity_limit(&line.sku, limit));
            }
        }
    }
    if stockouts.is_empty() {
        Ok(outcomes)
    } else {
        Err(wording::order_refused(stockouts, earliest_date))
    }
}

/// Decides which warehouses the reserved units come from (see
/// [`crate::domain::place`]) and takes them off those shelves. Ranks are
/// read only when some SKU is on more than one shelf.
async fn take_from_shelves(
    work: &Work,
    order: &OrderReservation,
    outcomes: &[Served],
    skus: &mut BTreeMap<String, LockedSku>,
) -> ServiceResult<Vec<Vec<Part>>> {
    let takes: Vec<Take> = order
        .lines
        .iter()
        .zip(outcomes)
        .map(|(line, served)| Take {
            sku: &line.sku,
            units: served.reserved(),
        })
        .collect();
    let stocks: BTreeMap<String, SkuStock> = skus
        .iter()
        .map(|(sku, locked)| (sku.clone(), locked.before.clone()))
        .collect();
    let ranks = if stocks.values().any(|s| s.shelves().len() > 1) {
        queries::warehouse_ranks(work.db()).await?
    } else {
        BTreeMap::new()
    };
    let parts = crate::domain::place(&takes, &stocks, &ranks);
    for ((take, line_parts), line) in takes.iter().zip(&parts).zip(&order.lines) {
        let placed: i64 = line_parts.iter().map(|(_, units)| *units).sum();
        if placed != take.units {
            return Err(ServiceError::Internal(format!(
                "line {}: {placed} of {} reserved units found a shelf",
                line.line_id, take.units
            )));
        }
        let locked = skus
            .get_mut(take.sku)
            .ok_or_else(|| wording::product_not_found(take.sku))?;
        locked
            .after
            .reserve_parts(line_parts)
            .map_err(|limit| wording::quantity_limit(take.sku, limit))?;
    }
    for locked in skus.values_mut() {
        locked.after.set_backlog(locked.total);
    }
    Ok(parts)
}

/// Stores one reservation per line with its parts and, for a line that
/// waits, its promise; books what was reserved and raises demand for what
/// waits or is drop-shipped.
async fn write_lines(
    work: &Work,
    order: &OrderReservation,
    outcomes: Vec<Served>,
    parts: &[Vec<Part>],
    skus: &BTreeMap<String, LockedSku>,
) -> Result<Vec<pb::LineReservation>, ServiceError> {
    let now = now_ms();
    let trace_context = current_traceparent();
    let order_id = order.order_id.to_string();
    let mut lines = Vec::with_capacity(order.lines.len());
    let mut reservations = Vec::with_capacity(order.lines.len());
    let mut movements = Vec::new();
    for ((line, served), line_parts) in order.lines.iter().zip(outcomes).zip(parts) {
        let product = skus.get(&line.sku).map(|locked| &locked.product);
        let promise = match (served, product) {
            (Served::Stock { outcome, queue_end }, Some(product)) if outcome.backordered > 0 => {
                product.supply.promise(queue_end, now)
            }
            _ => None,
        };
        let (promised_from, promised_to) = convert::promise_dates(promise.as_ref());
        let (outcome, state, drop_shipped) = match served {
            Served::Stock { outcome, .. } => {
                (outcome, ReservationState::open(outcome.backordered), 0)
            }
            Served::DropShip => (
                LineOutcome {
                    reserved: 0,
                    backordered: 0,
                },
                ReservationState::DropShip,
                line.quantity,
            ),
        };
        let reservation = Reservation {
            id: new_id(),
            order_id: order.order_id,
            line_id: line.line_id,
            sku: line.sku.clone(),
            quantity: line.quantity,
            reserved: outcome.reserved,
            waiting: outcome.backordered,
            state,
            priority: 0,
            priority_reason: String::new(),
            trace_context: trace_context.clone(),
            created_at: now,
            updated_at: now,
        };
        for (warehouse, units) in line_parts {
            movements.push(Movement {
                sku: &line.sku,
                warehouse,
                kind: MovementKind::Reserve,
                on_hand_delta: 0,
                reserved_delta: *units,
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
        if drop_shipped > 0 {
            // The supplier ships it to the customer: the address travels
            // with the demand and is kept nowhere here.
            work.send(AddDemandRequest {
                demand_id: reservation.id.to_string(),
                sku: line.sku.clone(),
                quantity: drop_shipped,
                order_id: order_id.clone(),
                line_id: line.line_id.to_string(),
                drop_ship: true,
                ship_to_address: order.ship_to_address.clone(),
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
            reserved_from: convert::warehouse_units(line_parts),
            drop_ship_quantity: drop_shipped,
            promised_from,
            promised_to,
            unit_price_minor: product.map_or(0, |p| p.price_minor),
        });
        reservations.push((reservation, promise));
    }
    queries::insert_promised(work.db(), &reservations).await?;
    let line_parts: Vec<(uuid::Uuid, &[Part])> = reservations
        .iter()
        .zip(parts)
        .map(|((r, _), p)| (r.id, p.as_slice()))
        .collect();
    queries::insert_parts(work.db(), &line_parts).await?;
    queries::record_movements(work.db(), movements).await?;
    Ok(lines)
}
