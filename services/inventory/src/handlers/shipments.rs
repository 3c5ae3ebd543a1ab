//! IssueStock: shipped lines take their reserved stock off the shelf.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use backorder_platform::ServiceResult;
use backorder_platform::unit_of_work::Work;
use backorder_proto::inventory::v1 as pb;
use uuid::Uuid;

use super::{InventoryApi, lock_stock};
use crate::convert::Shipment;
use crate::domain::{QuantityLimit, Reservation, ReservationState, StockPosition, Total};
use crate::store::queries::{self, Movement};
use crate::store::stock_movement::MovementKind;
use crate::wording;

impl InventoryApi {
    /// The `IssueStock` RPC. The stock rows are locked before the lines are
    /// read for the change, so a cancellation or another shipment of the
    /// same line that committed meanwhile is seen, never overwritten.
    pub async fn issue_stock(
        &self,
        req: pb::IssueStockRequest,
    ) -> ServiceResult<pb::IssueStockResponse> {
        let shipment = Shipment::try_from(&req)?;
        self.context
            .execute(&req, move |work| Box::pin(issue(work, shipment)))
            .await
    }
}

async fn issue(work: &Work, shipment: Shipment) -> ServiceResult<pb::IssueStockResponse> {
    let db = work.db();
    let order_id = shipment.order_id;
    work.set_resource(order_id.to_string());
    // A line's SKU never changes, so this unlocked read is good for
    // knowing which rows to lock, and for nothing else.
    let unlocked = lines_by_id(queries::find_reservations(db, order_id, &shipment.line_ids).await?);
    if let Some(missing) = shipment
        .line_ids
        .iter()
        .find(|id| !unlocked.contains_key(id))
    {
        return Err(wording::reservation_not_found(order_id, *missing));
    }
    let skus: BTreeSet<&str> = unlocked.values().map(|l| l.sku.as_str()).collect();
    let mut stocks: BTreeMap<String, (StockPosition, StockPosition)> = BTreeMap::new();
    for sku in skus {
        let stock = lock_stock(db, sku).await?;
        stocks.insert(sku.to_owned(), (stock, stock));
    }
    // Under the locks: the lines as they are now.
    let lines = lines_by_id(queries::find_reservations(db, order_id, &shipment.line_ids).await?);
    let mut issued_quantity: i64 = 0;
    for (i, line_id) in shipment.line_ids.iter().enumerate() {
        let line = lines
            .get(line_id)
            .ok_or_else(|| wording::reservation_not_found(order_id, *line_id))?;
        let asked = shipment.quantities.as_ref().and_then(|q| q.get(i).copied());
        let Some((units, issued)) = issue_line(line, asked)? else {
            continue;
        };
        let (_, stock) = stocks
            .get_mut(&line.sku)
            .ok_or_else(|| wording::product_not_found(&line.sku))?;
        stock
            .issue(units)
            .map_err(|limit| wording::quantity_limit(&line.sku, limit))?;
        queries::update_reservation(db, line, &issued).await?;
        queries::record_movement(
            db,
            Movement {
                sku: &line.sku,
                kind: MovementKind::Issue,
                on_hand_delta: units.saturating_neg(),
                reserved_delta: units.saturating_neg(),
                reference: &shipment.shipment_id.to_string(),
                reason: wording::LEDGER_SHIPPED,
            },
        )
        .await?;
        issued_quantity = issued_quantity.checked_add(units).ok_or_else(|| {
            wording::quantity_limit(
                &format!("shipment {}", shipment.shipment_id),
                QuantityLimit {
                    total: Total::Issued,
                },
            )
        })?;
    }
    for (sku, (before, after)) in &stocks {
        queries::save_stock(db, sku, *before, *after).await?;
    }
    Ok(pb::IssueStockResponse { issued_quantity })
}

/// What shipping `asked` units of `line` (the whole line when `None`)
/// takes off the shelf, and the line afterwards; `None` when a whole line
/// was issued before (a repeat counts 0).
fn issue_line(line: &Reservation, asked: Option<i64>) -> ServiceResult<Option<(i64, Reservation)>> {
    match (line.state, asked) {
        (ReservationState::Released, _) => Err(wording::line_released(line.line_id)),
        (ReservationState::Issued, None) => Ok(None),
        (ReservationState::Waiting, None) => {
            Err(wording::line_not_allocated(line.line_id, line.waiting))
        }
        (ReservationState::Allocated, None) => Ok(Some((
            line.reserved,
            line.moved_to(ReservationState::Issued),
        ))),
        (_, Some(units)) => {
            let rest = line
                .reserved
                .checked_sub(units)
                .filter(|rest| *rest >= 0 && line.state != ReservationState::Issued)
                .ok_or_else(|| wording::not_enough_reserved(line.line_id, line.reserved, units))?;
            let issued = if rest == 0 && line.state == ReservationState::Allocated {
                // Everything the line holds has left: it is issued, and
                // keeps its last reserved count as it always did.
                line.moved_to(ReservationState::Issued)
            } else {
                // Part of the line left; a waiting line keeps waiting.
                Reservation {
                    reserved: rest,
                    ..line.clone()
                }
            };
            Ok(Some((units, issued)))
        }
    }
}

fn lines_by_id(lines: Vec<Reservation>) -> HashMap<Uuid, Reservation> {
    lines.into_iter().map(|l| (l.line_id, l)).collect()
}
