//! AdjustStock and ReceiveStock: stock arrives or leaves by hand or by
//! supplier, and what arrives goes to waiting lines first.

use backorder_platform::ServiceResult;
use backorder_platform::unit_of_work::Work;
use backorder_proto::inventory::v1 as pb;

use super::allocation::allocate_waiting;
use super::{InventoryApi, lock_stock_in, product_after_move};
use crate::convert::{Adjustment, Receipt};
use crate::domain::StockRefusal;
use crate::store::queries::{self, Movement};
use crate::store::stock_movement::MovementKind;
use crate::wording;

impl InventoryApi {
    /// The `AdjustStock` RPC.
    pub async fn adjust_stock(
        &self,
        req: pb::AdjustStockRequest,
    ) -> ServiceResult<pb::AdjustStockResponse> {
        let adjustment = Adjustment::try_from(&req)?;
        self.context
            .execute(&req, move |work| Box::pin(adjust(work, adjustment)))
            .await
    }

    /// The `ReceiveStock` RPC.
    pub async fn receive_stock(
        &self,
        req: pb::ReceiveStockRequest,
    ) -> ServiceResult<pb::ReceiveStockResponse> {
        let receipt = Receipt::try_from(&req)?;
        self.context
            .execute(&req, move |work| Box::pin(receive(work, receipt)))
            .await
    }
}

async fn adjust(work: &Work, adjustment: Adjustment) -> ServiceResult<pb::AdjustStockResponse> {
    let sku = adjustment.sku.as_str();
    let warehouse = &adjustment.warehouse;
    work.set_resource(sku);
    let before = lock_stock_in(work.db(), sku, warehouse).await?;
    let mut stock = before.clone();
    let mut shelf = stock.at(warehouse);
    shelf
        .adjust(adjustment.delta)
        .map_err(|refusal| match refusal {
            StockRefusal::BelowReserved {
                on_hand_after,
                reserved,
            } => {
                wording::below_reserved(adjustment.delta.saturating_neg(), on_hand_after, reserved)
            }
            StockRefusal::Limit(limit) => wording::quantity_limit(sku, limit),
        })?;
    stock.put(warehouse, shelf);
    queries::record_movement(
        work.db(),
        Movement {
            sku,
            warehouse,
            kind: MovementKind::Adjust,
            on_hand_delta: adjustment.delta,
            reserved_delta: 0,
            reference: work.request_id(),
            reason: &adjustment.reason,
        },
    )
    .await?;
    let allocations = if adjustment.delta > 0 {
        allocate_waiting(work, sku, &mut stock, warehouse, work.request_id()).await?
    } else {
        Vec::new()
    };
    queries::save_stock(work.db(), sku, &before, &stock).await?;
    Ok(pb::AdjustStockResponse {
        product: Some(product_after_move(work.db(), sku, &stock).await?),
        allocations: allocations.iter().map(Into::into).collect(),
    })
}

async fn receive(work: &Work, receipt: Receipt) -> ServiceResult<pb::ReceiveStockResponse> {
    let sku = receipt.sku.as_str();
    let warehouse = &receipt.warehouse;
    work.set_resource(sku);
    let before = lock_stock_in(work.db(), sku, warehouse).await?;
    let mut stock = before.clone();
    let mut shelf = stock.at(warehouse);
    shelf
        .receive(receipt.quantity)
        .map_err(|limit| wording::quantity_limit(sku, limit))?;
    stock.put(warehouse, shelf);
    let reference = match receipt.purchase_order_id {
        Some(id) => id.to_string(),
        None => work.request_id().to_owned(),
    };
    queries::record_movement(
        work.db(),
        Movement {
            sku,
            warehouse,
            kind: MovementKind::Receive,
            on_hand_delta: receipt.quantity,
            reserved_delta: 0,
            reference: &reference,
            reason: wording::LEDGER_RECEIVED,
        },
    )
    .await?;
    let allocations = allocate_waiting(work, sku, &mut stock, warehouse, &reference).await?;
    queries::save_stock(work.db(), sku, &before, &stock).await?;
    Ok(pb::ReceiveStockResponse {
        product: Some(product_after_move(work.db(), sku, &stock).await?),
        allocations: allocations.iter().map(Into::into).collect(),
    })
}
