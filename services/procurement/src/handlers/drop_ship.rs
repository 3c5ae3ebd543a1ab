//! Drop shipments: ConfirmDropShipment, the supplier's word that it shipped
//! a drop-ship purchase order to the customer. The order service is told
//! which lines left; no stock moves.

use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::order::v1::{RecordDropShipmentRequest, ShipmentItem};
use backorder_proto::procurement::v1 as pb;
use tracing::Instrument;

use super::purchase_orders::lock;
use super::spans::{Batch, traceparent};
use super::{ProcurementApi, concurrent_update, refused};
use crate::convert;
use crate::domain::{self, DropShipment};
use crate::store::queries::{demands, lines, purchase_orders};

impl ProcurementApi {
    /// The `ConfirmDropShipment` RPC.
    pub async fn confirm_drop_shipment(
        &self,
        req: pb::ConfirmDropShipmentRequest,
    ) -> ServiceResult<pb::ConfirmDropShipmentResponse> {
        let command = DropShipment::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let purchase_order = confirm(work, command, now_ms()).await?;
                    Ok(pb::ConfirmDropShipmentResponse {
                        purchase_order: Some(purchase_order),
                    })
                })
            })
            .await
    }
}

/// Marks the purchase order drop-shipped with its carrier and tracking
/// number, closes the demand it still serves, and tells the order service
/// those lines shipped, in the trace of the sale that ordered them.
async fn confirm(work: &Work, command: DropShipment, now: i64) -> ServiceResult<pb::PurchaseOrder> {
    let db = work.db();
    let mut po = lock(db, command.purchase_order_id).await?;
    work.set_resource(po.id.clone());
    let open = demands::lock_open_of_purchase_order(db, &po.id).await?;
    let next = domain::ship(convert::status(&po)?, po.drop_ship, open.len()).map_err(refused)?;
    let order_id = po.order_id.clone().ok_or_else(|| {
        ServiceError::Internal(format!(
            "drop-ship purchase order {} names no customer order",
            po.id
        ))
    })?;
    po.status = next.code();
    po.carrier = Some(command.carrier.clone());
    po.tracking_number = Some(command.tracking_number.clone());
    po.updated_at = now;
    purchase_orders::update(db, &po).await?;

    let Some(first) = open.first() else {
        return Err(refused(domain::PoRefusal::NothingToShip));
    };
    let span = Batch::current().order_span(first, &po.id, "drop shipment confirmed");
    let trace = traceparent(&span);
    async {
        let mut items = Vec::with_capacity(open.len());
        for demand in &open {
            if demands::mark_shipped(db, &demand.id, &po.id, now).await? != 1 {
                return Err(concurrent_update(format!(
                    "demand {} changed under its purchase order's lock; retry",
                    demand.id
                )));
            }
            // One item per line, should a line's units have come as two
            // demands: the order service wants distinct lines.
            match items
                .iter_mut()
                .find(|item: &&mut ShipmentItem| item.line_id == demand.line_id)
            {
                Some(item) => item.quantity += demand.quantity,
                None => items.push(ShipmentItem {
                    line_id: demand.line_id.clone(),
                    quantity: demand.quantity,
                }),
            }
        }
        tracing::debug!(lines = items.len(), "drop shipment recorded");
        work.send_in_trace(
            RecordDropShipmentRequest {
                order_id,
                purchase_order_id: po.id.clone(),
                carrier: command.carrier,
                tracking_number: command.tracking_number,
                items,
                ..Default::default()
            },
            trace,
        )
        .await
    }
    .instrument(span)
    .await?;
    let lines = lines::of(db, &po.id).await?;
    convert::purchase_order(&po, &lines)
}
