//! CreateShipment and MarkDelivered: ready lines leave in a parcel (the
//! stock is issued in inventory), then arrive; the customer hears both.

use backorder_platform::error::PreconditionViolation;
use backorder_platform::ids::new_id;
use backorder_platform::time::now_ms;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::order::v1 as pb;
use tracing::Instrument;
use uuid::Uuid;

use super::{
    OrderApi, line_index, load_order, move_line, notify, save_status, span_in_sale_trace, view,
};
use crate::convert::{requests, views};
use crate::domain::commands::NewShipment;
use crate::domain::notices::Notice;
use crate::domain::timeline::Recorded;
use crate::domain::{
    Line, LineEvent, LineStatus, ShipRefusal, Shipment, ShipmentStatus, lifecycle,
};
use crate::store::queries;

/// The refusal of a shipment, named for the caller.
fn refusal(order_id: Uuid, lines: &[Line], refusal: ShipRefusal) -> ServiceError {
    match refusal {
        ShipRefusal::NothingReady => ServiceError::precondition(
            "NOTHING_TO_SHIP",
            format!("order {order_id} has no line ready to ship"),
        ),
        ShipRefusal::LineNotReady(i, status) => {
            let line_id = lines.get(i).map(|l| l.id.to_string()).unwrap_or_default();
            ServiceError::FailedPrecondition {
                reason: "LINE_NOT_READY",
                message: format!("line {line_id} is {}, not ready to ship", status.name()),
                violations: vec![PreconditionViolation {
                    kind: "LINE_NOT_READY".to_owned(),
                    subject: format!("line_ids:{line_id}"),
                    description: format!("the line is {}", status.name()),
                }],
            }
        }
        ShipRefusal::WaitingForCompletion => ServiceError::precondition(
            "SHIP_COMPLETE_WAITING",
            "the order ships complete and some lines still wait for stock",
        ),
    }
}

impl OrderApi {
    /// The `CreateShipment` RPC.
    pub async fn create_shipment(
        &self,
        req: pb::CreateShipmentRequest,
    ) -> ServiceResult<pb::CreateShipmentResponse> {
        let command = NewShipment::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let (mut order, mut lines) =
                        load_order(work.db(), command.order_id, true).await?;
                    let named = if command.line_ids.is_empty() {
                        None
                    } else {
                        let indices: ServiceResult<Vec<usize>> = command
                            .line_ids
                            .iter()
                            .map(|id| line_index(&lines, *id))
                            .collect();
                        Some(indices?)
                    };
                    let statuses: Vec<LineStatus> = lines.iter().map(|l| l.status).collect();
                    let chosen =
                        lifecycle::plan_shipment(order.ship_policy, &statuses, named.as_deref())
                            .map_err(|r| refusal(order.id, &lines, r))?;
                    let span = span_in_sale_trace("ship order lines", &order);
                    async {
                        let shipment = Shipment {
                            id: new_id(),
                            order_id: order.id,
                            tracking_number: command.tracking_number,
                            carrier: command.carrier,
                            status: ShipmentStatus::Shipped,
                            shipped_at: now_ms(),
                            delivered_at: None,
                        };
                        queries::insert_shipment(work.db(), &shipment).await?;
                        work.set_resource(shipment.id.to_string());
                        let mut shipped = Vec::with_capacity(chosen.len());
                        for &i in &chosen {
                            let Some(line) = lines.get_mut(i) else {
                                continue;
                            };
                            move_line(line, LineEvent::Shipped)?;
                            line.shipment_id = Some(shipment.id);
                            queries::update_line(work.db(), line).await?;
                            queries::record(
                                work.db(),
                                order.id,
                                Some(line.id),
                                Recorded::LineShipped(line, &shipment),
                            )
                            .await?;
                            shipped.push(line.id);
                        }
                        save_status(work, &mut order, &lines).await?;
                        work.send(views::issue_request(&shipment, &shipped)).await?;
                        notify(work, &order, Notice::shipped(&shipment, shipped.len())).await?;
                        Ok(pb::CreateShipmentResponse {
                            shipment: Some(views::shipment_to_proto(&shipment, &lines)),
                            order: Some(view(work.db(), &order, &lines).await?),
                        })
                    }
                    .instrument(span)
                    .await
                })
            })
            .await
    }

    /// The `MarkDelivered` RPC.
    pub async fn mark_delivered(
        &self,
        req: pb::MarkDeliveredRequest,
    ) -> ServiceResult<pb::MarkDeliveredResponse> {
        let shipment_id = requests::shipment_to_deliver(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let not_found = || ServiceError::not_found("shipment", shipment_id.to_string());
                    let found = queries::find_shipment(work.db(), shipment_id)
                        .await?
                        .ok_or_else(not_found)?;
                    let (mut order, mut lines) =
                        load_order(work.db(), found.order_id, true).await?;
                    // Read again under the order's lock: a twin delivery
                    // may have just committed.
                    let mut shipment = queries::find_shipment(work.db(), shipment_id)
                        .await?
                        .ok_or_else(not_found)?;
                    if shipment.status == ShipmentStatus::Delivered {
                        return Err(ServiceError::precondition(
                            "ALREADY_DELIVERED",
                            format!("shipment {} was already delivered", shipment.id),
                        ));
                    }
                    let span = span_in_sale_trace("deliver shipment", &order);
                    async {
                        let now = now_ms();
                        queries::set_shipment_delivered(work.db(), shipment.id, now).await?;
                        shipment.status = ShipmentStatus::Delivered;
                        shipment.delivered_at = Some(now);
                        work.set_resource(shipment.id.to_string());
                        for line in lines
                            .iter_mut()
                            .filter(|l| l.shipment_id == Some(shipment.id))
                        {
                            if move_line(line, LineEvent::Delivered)? {
                                queries::update_line(work.db(), line).await?;
                            }
                        }
                        save_status(work, &mut order, &lines).await?;
                        queries::record(
                            work.db(),
                            order.id,
                            None,
                            Recorded::ShipmentDelivered(&shipment),
                        )
                        .await?;
                        notify(work, &order, Notice::delivered(&shipment)).await?;
                        Ok(pb::MarkDeliveredResponse {
                            shipment: Some(views::shipment_to_proto(&shipment, &lines)),
                            order: Some(view(work.db(), &order, &lines).await?),
                        })
                    }
                    .instrument(span)
                    .await
                })
            })
            .await
    }
}
