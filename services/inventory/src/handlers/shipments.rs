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
    for line_id in &shipment.line_ids {
        let line = lines
            .get(line_id)
            .ok_or_else(|| wording::reservation_not_found(order_id, *line_id))?;
        match line.state {
            ReservationState::Allocated => {}
            ReservationState::Issued => continue,
            ReservationState::Waiting => {
                return Err(wording::line_not_allocated(*line_id, line.waiting));
            }
            ReservationState::Released => {
                return Err(wording::line_released(*line_id));
            }
        }
        let (_, stock) = stocks
            .get_mut(&line.sku)
            .ok_or_else(|| wording::product_not_found(&line.sku))?;
        stock
            .issue(line.reserved)
            .map_err(|limit| wording::quantity_limit(&line.sku, limit))?;
        let issued = line.moved_to(ReservationState::Issued);
        queries::update_reservation(db, line, &issued).await?;
        queries::record_movement(
            db,
            Movement {
                sku: &line.sku,
                kind: MovementKind::Issue,
                on_hand_delta: line.reserved.saturating_neg(),
                reserved_delta: line.reserved.saturating_neg(),
                reference: &shipment.shipment_id.to_string(),
                reason: wording::LEDGER_SHIPPED,
            },
        )
        .await?;
        issued_quantity = issued_quantity.checked_add(line.reserved).ok_or_else(|| {
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

fn lines_by_id(lines: Vec<Reservation>) -> HashMap<Uuid, Reservation> {
    lines.into_iter().map(|l| (l.line_id, l)).collect()
}
