//! Receipts: ReceivePurchaseOrder, which books goods and tells inventory
//! (never against a drop-ship purchase order: its goods go to the customer)
//! and closes the replenishment demand of lines received in full.

use backorder_platform::error::PreconditionViolation;
use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1::ReceiveStockRequest;
use backorder_proto::procurement::v1 as pb;

use super::ProcurementApi;
use super::purchase_orders::lock;
use super::spans::Batch;
use crate::convert;
use crate::domain::{self, LineProgress, PoStatus, Receipt, refusal::receipt_refused};
use crate::store::purchase_order;
use crate::store::queries::{demands, lines, purchase_orders, replenishment};

impl ProcurementApi {
    /// The `ReceivePurchaseOrder` RPC.
    pub async fn receive_purchase_order(
        &self,
        req: pb::ReceivePurchaseOrderRequest,
    ) -> ServiceResult<pb::ReceivePurchaseOrderResponse> {
        let receipt = Receipt::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let purchase_order = receive(work, receipt, now_ms()).await?;
                    Ok(pb::ReceivePurchaseOrderResponse {
                        purchase_order: Some(purchase_order),
                    })
                })
            })
            .await
    }
}

/// Books every line of `receipt` or none, and tells inventory what arrived.
async fn receive(work: &Work, receipt: Receipt, now: i64) -> ServiceResult<pb::PurchaseOrder> {
    let db = work.db();
    let mut po = lock(db, receipt.purchase_order_id).await?;
    work.set_resource(po.id.clone());
    domain::check_receivable(convert::status(&po)?, po.drop_ship).map_err(super::refused)?;
    let mut lines = lines::of(db, &po.id).await?;
    let mut over = Vec::new();
    let mut changed = Vec::new();
    for (i, received) in receipt.lines.iter().enumerate() {
        let Some(index) = lines.iter().position(|l| l.sku == received.sku) else {
            return Err(line_not_found(&po, &received.sku));
        };
        let line = &mut lines[index];
        match domain::receive_line(
            line.ordered_quantity,
            line.received_quantity,
            received.quantity.get(),
        ) {
            Ok(after) => {
                line.received_quantity = after;
                changed.push(index);
            }
            Err(refusal) => over.push(PreconditionViolation {
                kind: refusal.reason().to_owned(),
                subject: format!("lines[{i}] sku:{}", received.sku),
                description: refusal.describe(),
            }),
        }
    }
    if !over.is_empty() {
        let summary: Vec<(String, String)> = over
            .iter()
            .map(|v| (v.subject.clone(), v.description.clone()))
            .collect();
        return Err(ServiceError::FailedPrecondition {
            reason: "OVER_RECEIPT",
            message: receipt_refused(&summary),
            violations: over,
        });
    }
    for index in changed {
        lines::update(db, &lines[index]).await?;
    }
    let progress: Vec<LineProgress> = lines
        .iter()
        .map(|l| LineProgress {
            ordered: l.ordered_quantity,
            received: l.received_quantity,
        })
        .collect();
    let status = domain::status_after_receipt(&progress);
    po.status = status.code();
    po.updated_at = now;
    if status == PoStatus::Received {
        po.received_at = Some(now);
    }
    purchase_orders::update(db, &po).await?;
    for received in &receipt.lines {
        work.send(ReceiveStockRequest {
            sku: received.sku.clone(),
            quantity: received.quantity.get(),
            purchase_order_id: po.id.clone(),
            warehouse: receipt.warehouse.to_string(),
            ..Default::default()
        })
        .await?;
    }
    let batch = Batch::current();
    for demand in demands::open_of_purchase_order(db, &po.id).await? {
        if receipt.lines.iter().any(|l| l.sku == demand.sku) {
            let span = batch.demand_span(&demand, "goods received for demand");
            span.in_scope(|| tracing::debug!("goods for the demand's SKU received"));
        }
    }
    super::inbound::announce(work, receipt.lines.iter().map(|l| l.sku.clone())).await?;
    // A line fully received closes the replenishment demand it carries, so
    // the SKU may be replenished again.
    for line in &lines {
        let received_now = receipt.lines.iter().any(|l| l.sku == line.sku);
        if received_now && line.received_quantity >= line.ordered_quantity {
            replenishment::close_received(db, &po.id, &line.sku, now).await?;
        }
    }
    convert::purchase_order(&po, &lines)
}

fn line_not_found(po: &purchase_order::Model, sku: &str) -> ServiceError {
    ServiceError::not_found("purchase order line", format!("{}/{}", po.id, sku))
}
