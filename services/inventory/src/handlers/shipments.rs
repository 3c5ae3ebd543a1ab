//! IssueStock: shipped lines take their reserved stock off the shelves of
//! the warehouse the shipment left from.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use backorder_platform::ServiceResult;
use backorder_platform::unit_of_work::Work;
use backorder_proto::inventory::v1 as pb;
use uuid::Uuid;

use super::{InventoryApi, lock_stock};
use crate::convert::Shipment;
use crate::domain::{Part, QuantityLimit, Reservation, ReservationState, SkuStock, Total};
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
    let mut stocks: BTreeMap<String, (SkuStock, SkuStock)> = BTreeMap::new();
    for sku in skus {
        let stock = lock_stock(db, sku).await?;
        stocks.insert(sku.to_owned(), (stock.clone(), stock));
    }
    // Under the locks: the lines as they are now, and where their units are.
    let lines = lines_by_id(queries::find_reservations(db, order_id, &shipment.line_ids).await?);
    let ids: Vec<Uuid> = lines.values().map(|l| l.id).collect();
    let mut parts = queries::parts_of(db, &ids).await?;
    let mut issued_quantity: i64 = 0;
    for (i, line_id) in shipment.line_ids.iter().enumerate() {
        let line = lines
            .get(line_id)
            .ok_or_else(|| wording::reservation_not_found(order_id, *line_id))?;
        let asked = shipment.quantities.as_ref().and_then(|q| q.get(i).copied());
        let line_parts = parts.remove(&line.id).unwrap_or_default();
        let Some((units, issued, taken)) =
            issue_line(line, &line_parts, asked, &shipment.warehouse)?
        else {
            continue;
        };
        let (_, stock) = stocks
            .get_mut(&line.sku)
            .ok_or_else(|| wording::product_not_found(&line.sku))?;
        for (warehouse, part_units) in &taken {
            let mut shelf = stock.at(warehouse);
            shelf
                .issue(*part_units)
                .map_err(|limit| wording::quantity_limit(&line.sku, limit))?;
            stock.put(warehouse, shelf);
        }
        queries::update_reservation(db, line, &issued).await?;
        if asked.is_some() {
            let left = line_parts
                .iter()
                .find(|(w, _)| *w == shipment.warehouse)
                .map_or(0, |(_, u)| *u)
                - units;
            queries::set_part(db, line.id, &shipment.warehouse, left).await?;
        } else {
            queries::clear_parts(db, line.id).await?;
        }
        let shipment_ref = shipment.shipment_id.to_string();
        let movements = taken
            .iter()
            .map(|(warehouse, part_units)| Movement {
                sku: &line.sku,
                warehouse,
                kind: MovementKind::Issue,
                on_hand_delta: part_units.saturating_neg(),
                reserved_delta: part_units.saturating_neg(),
                reference: &shipment_ref,
                reason: wording::LEDGER_SHIPPED,
            })
            .collect();
        queries::record_movements(db, movements).await?;
        issued_quantity = issued_quantity.checked_add(units).ok_or_else(|| {
            wording::quantity_limit(
                &format!("shipment {}", shipment.shipment_id),
                QuantityLimit {
                    total: Total::Issued,
                },
            )
        })?;
    }
    let changes: Vec<_> = stocks
        .iter()
        .map(|(sku, (before, after))| (sku.as_str(), before, after))
        .collect();
    queries::save_stocks(db, &changes).await?;
    Ok(pb::IssueStockResponse { issued_quantity })
}

/// What shipping `asked` units of `line` from `warehouse` (the whole line,
/// from wherever it is held, when `None`) takes off the shelves: the units,
/// the line afterwards and the units per warehouse; `None` when a whole
/// line was issued before (a repeat counts 0).
fn issue_line(
    line: &Reservation,
    parts: &[Part],
    asked: Option<i64>,
    warehouse: &backorder_platform::warehouse::WarehouseCode,
) -> ServiceResult<Option<(i64, Reservation, Vec<Part>)>> {
    match (line.state, asked) {
        (ReservationState::Released, _) => Err(wording::line_released(line.line_id)),
        (ReservationState::DropShip, _) => Err(wording::line_drop_shipped(line.line_id)),
        (ReservationState::Issued, None) => Ok(None),
        (ReservationState::Waiting, None) => {
            Err(wording::line_not_allocated(line.line_id, line.waiting))
        }
        (ReservationState::Allocated, None) => Ok(Some((
            line.reserved,
            line.moved_to(ReservationState::Issued),
            parts.to_vec(),
        ))),
        (_, Some(units)) => {
            let here = parts
                .iter()
                .find(|(w, _)| w == warehouse)
                .map_or(0, |(_, u)| *u);
            let rest = line
                .reserved
                .checked_sub(units)
                .filter(|rest| {
                    *rest >= 0 && units <= here && line.state != ReservationState::Issued
                })
                .ok_or_else(|| {
                    wording::not_enough_reserved(line.line_id, warehouse, here, units)
                })?;
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
            Ok(Some((units, issued, vec![(warehouse.clone(), units)])))
        }
    }
}

fn lines_by_id(lines: Vec<Reservation>) -> HashMap<Uuid, Reservation> {
    lines.into_iter().map(|l| (l.line_id, l)).collect()
}
