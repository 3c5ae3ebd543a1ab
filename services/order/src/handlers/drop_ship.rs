//! RecordDropShipment: a supplier shipped drop-ship lines straight to the
//! customer, told by procurement through its outbox once the supplier
//! confirmed. One shipment carries them, with the purchase order in place
//! of a warehouse; no stock of the merchant's moves, so inventory is told
//! nothing. The customer hears it like any parcel, carrier and tracking
//! number included, and it is delivered like any parcel.
//!
//! Repeats and races are answered, not refused: a purchase order that
//! already has its drop shipment gets that shipment back, unchanged, and
//! lines cancelled meanwhile are left out. When every line named was
//! cancelled, nothing is recorded and the answer is the order without a
//! shipment: the customer was told of the cancellation and inventory
//! released the demand, so a refusal would only park the sender's message
//! for an operator with nothing to do.

use backorder_platform::error::PreconditionViolation;
use backorder_platform::ids::new_id;
use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::order::v1 as pb;
use tracing::Instrument;
use uuid::Uuid;

use super::{
    OrderApi, line_index, load_order, move_line, notify, payments, save_status, span_in_sale_trace,
};
use crate::convert::views;
use crate::domain::commands::DropShipment;
use crate::domain::drop_ship::{DropRefusal, plan_drop_shipment};
use crate::domain::notices::Notice;
use crate::domain::timeline::Recorded;
use crate::domain::{Line, Order, Origin, Shipment, ShipmentStatus};
use crate::store::queries;

impl OrderApi {
    /// The `RecordDropShipment` RPC.
    pub async fn record_drop_shipment(
        &self,
        req: pb::RecordDropShipmentRequest,
    ) -> ServiceResult<pb::RecordDropShipmentResponse> {
        let command = DropShipment::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let (mut order, mut lines) =
                        load_order(work.db(), command.order_id, true).await?;
                    work.set_resource(order.id.to_string());
                    let purchase_order_id = command.purchase_order_id;
                    if let Some(shipment) =
                        queries::find_drop_shipment(work.db(), order.id, purchase_order_id).await?
                    {
                        return answer(work, Some(&shipment), &order, &lines).await;
                    }
                    let named = command
                        .items
                        .iter()
                        .map(|(line_id, units)| line_index(&lines, *line_id).map(|i| (i, *units)))
                        .collect::<ServiceResult<Vec<_>>>()?;
                    let plan = plan_drop_shipment(&lines, &named)
                        .map_err(|r| refusal(order.id, &lines, r))?;
                    if !plan.skipped.is_empty() {
                        tracing::info!(
                            order.id = %order.id,
                            purchase_order.id = %purchase_order_id,
                            lines = plan.skipped.len(),
                            "the supplier shipped lines cancelled meanwhile; they are left out"
                        );
                    }
                    if plan.items.is_empty() {
                        return answer(work, None, &order, &lines).await;
                    }
                    let span = span_in_sale_trace("record drop shipment", &order);
                    async {
                        let shipment =
                            record(work, &mut order, &mut lines, &command, &plan.items).await?;
                        answer(work, Some(&shipment), &order, &lines).await
                    }
                    .instrument(span)
                    .await
                })
            })
            .await
    }
}

/// The answer: the drop shipment, if there is one, and the order as it
/// stands with every shipment it has had.
async fn answer(
    work: &Work,
    shipment: Option<&Shipment>,
    order: &Order,
    lines: &[Line],
) -> ServiceResult<pb::RecordDropShipmentResponse> {
    Ok(pb::RecordDropShipmentResponse {
        shipment: shipment.map(views::shipment_to_proto),
        order: Some(super::view(work.db(), order, lines).await?),
    })
}

/// Records the supplier's shipment of `items` (line index, units) of a
/// locked order: the lines' shipped units, a line that shipped all it
/// ordered SHIPPED, the order's status, its timeline, and the customer's
/// shipped notice.
async fn record(
    work: &Work,
    order: &mut Order,
    lines: &mut [Line],
    command: &DropShipment,
    items: &[(usize, i64)],
) -> ServiceResult<Shipment> {
    let mut shipment = Shipment {
        id: new_id(),
        order_id: order.id,
        tracking_number: command.tracking_number.clone(),
        carrier: command.carrier.clone(),
        status: ShipmentStatus::Shipped,
        shipped_at: now_ms(),
        delivered_at: None,
        bundle_id: None,
        items: Vec::with_capacity(items.len()),
        origin: Origin::Supplier {
            purchase_order_id: command.purchase_order_id,
        },
    };
    let mut shipped = Vec::with_capacity(items.len());
    for &(i, units) in items {
        let Some(line) = lines.get_mut(i) else {
            continue;
        };
        let completed = line
            .drop_shipped(units)
            .map_err(|e| ServiceError::Internal(format!("line {}: {e}", line.id)))?;
        if let Some(event) = completed {
            move_line(line, event)?;
            line.shipment_id = Some(shipment.id);
        }
        // The purchase order is the one carrying the line's demand, even
        // when procurement never sent an ETA naming it.
        line.purchase_order_id
            .get_or_insert(command.purchase_order_id);
        shipment.items.push((line.id, units));
        shipped.push(line.clone());
    }
    queries::insert_shipment(work.db(), &shipment).await?;
    // Drop-ship lines hold no ready units: there are no parts to replace.
    queries::update_lines(work.db(), &shipped).await?;
    let events = shipped
        .iter()
        .zip(&shipment.items)
        .map(|(line, (_, units))| {
            (
                Some(line.id),
                Recorded::LineShipped {
                    line,
                    units: *units,
                    shipment: &shipment,
                },
            )
        })
        .collect();
    queries::record_all(work.db(), order.id, events).await?;
    save_status(work, order, lines).await?;
    notify(work, order, Notice::shipped(&shipment, &shipped)).await?;
    payments::follow(work, order, lines).await?;
    Ok(shipment)
}

/// The refusal of a drop shipment, named for the sender.
fn refusal(order_id: Uuid, lines: &[Line], refusal: DropRefusal) -> ServiceError {
    let line_id = |i: usize| lines.get(i).map(|l| l.id.to_string()).unwrap_or_default();
    match refusal {
        DropRefusal::NotPlacedYet => ServiceError::precondition(
            "ORDER_PENDING",
            format!("order {order_id} is still being placed; send the drop shipment again shortly"),
        ),
        DropRefusal::NotDropShip(named) => ServiceError::FailedPrecondition {
            reason: "NOT_DROP_SHIP",
            message: format!(
                "{} named line(s) of order {order_id} are not drop-shipped: they ship from the merchant's warehouses (CreateShipment); nothing was recorded",
                named.len()
            ),
            violations: named
                .into_iter()
                .map(|i| PreconditionViolation {
                    kind: "NOT_DROP_SHIP".to_owned(),
                    subject: format!("items:{}", line_id(i)),
                    description: "the line is not drop-shipped by a supplier".to_owned(),
                })
                .collect(),
        },
        DropRefusal::Exceeds(named) => ServiceError::FailedPrecondition {
            reason: "DROP_SHIPMENT_EXCEEDS_LINE",
            message: format!(
                "{} named line(s) of order {order_id} have fewer units left to ship than named; nothing was recorded",
                named.len()
            ),
            violations: named
                .into_iter()
                .map(|(i, units, left)| PreconditionViolation {
                    kind: "DROP_SHIPMENT_EXCEEDS_LINE".to_owned(),
                    subject: format!("items:{}", line_id(i)),
                    description: format!("{units} unit(s) named, {left} left to ship"),
                })
                .collect(),
        },
    }
}
