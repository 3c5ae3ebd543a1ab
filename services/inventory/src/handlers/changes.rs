//! ChangeReservation: a waiting line reduced to fewer units of its SKU, or
//! given another SKU in its place. One transaction either way, under the
//! locks of every SKU it touches.

use std::collections::{BTreeMap, BTreeSet};

use backorder_platform::ids::new_id;
use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::warehouse::WarehouseCode;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1 as pb;
use backorder_proto::procurement::v1::{
    AddDemandRequest, ReduceDemandRequest, ReleaseDemandRequest,
};

use super::InventoryApi;
use super::allocation::allocate_waiting;
use super::promises::queue_changed;
use super::reservations::give_back;
use crate::convert::{self, LineChange};
use crate::domain::{
    self, Part, Product, Promise, Reservation, ReservationState, ReserveError, SkuStock, Take,
};
use crate::store::queries::{self, Movement};
use crate::store::stock_movement::MovementKind;
use crate::wording;

impl InventoryApi {
    /// The `ChangeReservation` RPC.
    pub async fn change_reservation(
        &self,
        req: pb::ChangeReservationRequest,
    ) -> ServiceResult<pb::ChangeReservationResponse> {
        let change = LineChange::try_from(&req)?;
        self.context
            .execute(&req, move |work| Box::pin(change_line(work, change)))
            .await
    }
}

async fn change_line(
    work: &Work,
    change: LineChange,
) -> ServiceResult<pb::ChangeReservationResponse> {
    let (order_id, line_id) = (change.order_id, change.line_id);
    work.set_resource(order_id.to_string());
    let not_found = || wording::reservation_not_found(order_id, line_id);
    let found = queries::find_reservation(work.db(), order_id, line_id)
        .await?
        .ok_or_else(not_found)?;
    // Both SKUs locked by one statement in SKU order, so a change never
    // deadlocks with a placement or another change holding one of them.
    let skus: Vec<&str> = BTreeSet::from([found.sku.as_str(), change.sku.as_str()])
        .into_iter()
        .collect();
    let mut products = queries::lock_products(work.db(), &skus).await?;
    let line = queries::find_reservation(work.db(), order_id, line_id)
        .await?
        .ok_or_else(not_found)?;
    if line.sku != found.sku {
        return Err(wording::line_changed_meanwhile(line_id));
    }
    let product = products
        .remove(&change.sku)
        .ok_or_else(|| wording::product_not_found(&change.sku))?;
    let mut stocks = queries::find_stocks(work.db(), &skus).await?;
    let mut stock_of = |sku: &str| {
        stocks
            .remove(sku)
            .ok_or_else(|| wording::product_not_found(sku))
    };
    let reply = if change.sku == line.sku {
        reduce_line(work, &line, &product, stock_of(&line.sku)?, change.quantity).await?
    } else {
        let old_stock = stock_of(&line.sku)?;
        let new_stock = stock_of(&change.sku)?;
        substitute(work, &line, old_stock, &product, new_stock, &change).await?
    };
    Ok(pb::ChangeReservationResponse { line: Some(reply) })
}

/// Fewer units of the line's own SKU: waiting units leave the backlog
/// first, then reserved ones go back to their shelves, where they may fill
/// other waiting lines of the SKU in queue order. The demand shrinks to
/// what still waits, or is released when nothing does.
async fn reduce_line(
    work: &Work,
    line: &Reservation,
    product: &Product,
    before: SkuStock,
    quantity: i64,
) -> ServiceResult<pb::LineReservation> {
    let parts = queries::parts_of(work.db(), &[line.id])
        .await?
        .remove(&line.id)
        .unwrap_or_default();
    let reduction = domain::reduce(line, &parts, quantity)
        .map_err(|limit| wording::quantity_limit(&line.sku, limit))?
        .map_err(|refusal| wording::change_refused(line.line_id, quantity, refusal))?;
    let reduced = &reduction.line;
    let stops_waiting = reduced.waiting == 0;
    let mut stock = before.clone();
    stock
        .shrink_line(&reduction.given_back, reduction.waiting_cut, stops_waiting)
        .map_err(|limit| wording::quantity_limit(&line.sku, limit))?;
    queries::resize_reservation(work.db(), line, reduced).await?;
    for (warehouse, _) in &reduction.given_back {
        let left = units_in(&reduction.kept, warehouse);
        queries::set_part(work.db(), line.id, warehouse, left).await?;
    }
    let order = line.order_id.to_string();
    let reason = wording::ledger_reduced(line.line_id, line.quantity, quantity);
    let home = WarehouseCode::default_warehouse();
    let mut movements = given_back_movements(&line.sku, &reduction.given_back, &order, &reason);
    movements.push(backlog_movement(&line.sku, &home, &order, &reason));
    queries::record_movements(work.db(), movements).await?;
    if stops_waiting {
        work.send(ReleaseDemandRequest {
            demand_id: line.id.to_string(),
            ..Default::default()
        })
        .await?;
    } else {
        work.send(ReduceDemandRequest {
            demand_id: line.id.to_string(),
            quantity: reduced.waiting,
            ..Default::default()
        })
        .await?;
    }
    // The line itself waits for nothing once reserved units are given
    // back, so the queue these units go to never includes it.
    for (warehouse, _) in &reduction.given_back {
        allocate_waiting(work, &line.sku, &mut stock, warehouse, &order).await?;
    }
    queries::save_stock(work.db(), &line.sku, &before, &stock).await?;
    // The line keeps its place with fewer units: its date and those of
    // the lines behind it may move; the order service hears of each.
    queue_changed(work, &line.sku).await?;
    Ok(line_reply(reduced, &reduction.kept, product, None))
}

/// Another SKU in the line's place: decided first (a short substitute
/// whose policy or customer refuses waiting changes nothing), then the old
/// reservation is released as a cancellation releases it, and the new SKU
/// is reserved for the same line as a placement reserves it, under a new
/// reservation (so a new demand id: procurement keeps the old one
/// released).
async fn substitute(
    work: &Work,
    line: &Reservation,
    old_stock: SkuStock,
    product: &Product,
    before: SkuStock,
    change: &LineChange,
) -> ServiceResult<pb::LineReservation> {
    domain::check_substitutable(line)
        .map_err(|refusal| wording::change_refused(line.line_id, change.quantity, refusal))?;
    let sku = change.sku.as_str();
    let mut total = before.total();
    let outcome =
        match total.reserve_line(change.quantity, product.policy, change.accept_backorders) {
            Ok(outcome) => outcome,
            Err(ReserveError::Stockout(refusal)) => {
                return Err(wording::substitute_refused(sku, refusal));
            }
            Err(ReserveError::Limit(limit)) => return Err(wording::quantity_limit(sku, limit)),
        };
    let order = line.order_id.to_string();
    let reason = wording::ledger_substituted(line.line_id, &line.sku, sku);
    give_back(work, &old_stock, line, &order, &reason).await?;
    let parts = place(work, sku, &before, outcome.reserved).await?;
    let mut after = before.clone();
    after
        .reserve_parts(&parts)
        .map_err(|limit| wording::quantity_limit(sku, limit))?;
    after.set_backlog(total);
    let now = now_ms();
    let reservation = Reservation {
        id: new_id(),
        order_id: line.order_id,
        line_id: line.line_id,
        sku: sku.to_owned(),
        quantity: change.quantity,
        reserved: outcome.reserved,
        waiting: outcome.backordered,
        state: ReservationState::open(outcome.backordered),
        priority: 0,
        priority_reason: String::new(),
        trace_context: line.trace_context.clone(),
        // The line joins the new SKU's queue now, behind those already in it.
        created_at: now,
        updated_at: now,
    };
    // It joins the tail of the new SKU's queue: its last waiting unit is
    // the backlog's last, which decides its promise (as at a placement).
    let promise = if outcome.backordered > 0 {
        product.supply.promise(total.backordered, now)
    } else {
        None
    };
    queries::insert_reservations(work.db(), std::slice::from_ref(&reservation)).await?;
    if let Some(promise) = &promise {
        queries::set_promise(work.db(), reservation.id, Some(promise)).await?;
    }
    queries::insert_parts(work.db(), &[(reservation.id, parts.as_slice())]).await?;
    let mut movements: Vec<Movement> = parts
        .iter()
        .map(|(warehouse, units)| Movement {
            sku,
            warehouse,
            kind: MovementKind::Reserve,
            on_hand_delta: 0,
            reserved_delta: *units,
            reference: &order,
            reason: &reason,
        })
        .collect();
    let home = WarehouseCode::default_warehouse();
    movements.push(backlog_movement(&line.sku, &home, &order, &reason));
    movements.push(backlog_movement(sku, &home, &order, &reason));
    queries::record_movements(work.db(), movements).await?;
    if outcome.backordered > 0 {
        work.send(AddDemandRequest {
            demand_id: reservation.id.to_string(),
            sku: sku.to_owned(),
            quantity: outcome.backordered,
            order_id: order.clone(),
            line_id: line.line_id.to_string(),
            ..Default::default()
        })
        .await?;
    }
    queries::save_stock(work.db(), sku, &before, &after).await?;
    Ok(line_reply(&reservation, &parts, product, promise.as_ref()))
}

/// Where `units` of `sku` are taken from, by the placement rule of
/// [`crate::domain::place`]; ranks are read only when the SKU is on more
/// than one shelf.
async fn place(work: &Work, sku: &str, stock: &SkuStock, units: i64) -> ServiceResult<Vec<Part>> {
    let ranks = if stock.shelves().len() > 1 {
        queries::warehouse_ranks(work.db()).await?
    } else {
        BTreeMap::new()
    };
    let stocks = BTreeMap::from([(sku.to_owned(), stock.clone())]);
    let parts = domain::place(&[Take { sku, units }], &stocks, &ranks)
        .pop()
        .unwrap_or_default();
    let placed: i64 = parts.iter().map(|(_, u)| *u).sum();
    if placed != units {
        return Err(ServiceError::Internal(format!(
            "{sku}: {placed} of {units} reserved units found a shelf"
        )));
    }
    Ok(parts)
}

fn units_in(parts: &[Part], warehouse: &WarehouseCode) -> i64 {
    parts
        .iter()
        .find(|(w, _)| w == warehouse)
        .map_or(0, |(_, u)| *u)
}

fn given_back_movements<'a>(
    sku: &'a str,
    given_back: &'a [Part],
    order: &'a str,
    reason: &'a str,
) -> Vec<Movement<'a>> {
    given_back
        .iter()
        .map(|(warehouse, units)| Movement {
            sku,
            warehouse,
            kind: MovementKind::Release,
            on_hand_delta: 0,
            reserved_delta: units.saturating_neg(),
            reference: order,
            reason,
        })
        .collect()
}

/// The ledger's record of a change to the SKU's backlog: no stock moves,
/// so it is filed with the backlog, on the default warehouse.
fn backlog_movement<'a>(
    sku: &'a str,
    home: &'a WarehouseCode,
    order: &'a str,
    reason: &'a str,
) -> Movement<'a> {
    Movement {
        sku,
        warehouse: home,
        kind: MovementKind::Change,
        on_hand_delta: 0,
        reserved_delta: 0,
        reference: order,
        reason,
    }
}

/// The line as answered, with the promise made for it, if any (a reduced
/// line's moved promise reaches the order service as any re-promise does).
fn line_reply(
    line: &Reservation,
    parts: &[Part],
    product: &Product,
    promise: Option<&Promise>,
) -> pb::LineReservation {
    let (promised_from, promised_to) = convert::promise_dates(promise);
    pb::LineReservation {
        line_id: line.line_id.to_string(),
        sku: line.sku.clone(),
        reserved_quantity: line.reserved,
        backordered_quantity: line.waiting,
        reservation_id: line.id.to_string(),
        reserved_from: convert::warehouse_units(parts),
        drop_ship_quantity: 0,
        promised_from,
        promised_to,
        unit_price_minor: product.price_minor,
    }
}
