//! CreateShipment and MarkDelivered: lines the order's ship policy lets go
//! leave in a parcel (the stock is issued in inventory), then arrive; the
//! customer hears both. A parcel bundling several orders (see
//! `bundling`) is delivered as one; a supplier's drop shipment (see
//! `drop_ship`) is delivered like any other.

use backorder_platform::error::PreconditionViolation;
use backorder_platform::ids::new_id;
use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::warehouse::WarehouseCode;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::order::v1 as pb;
use tracing::Instrument;
use uuid::Uuid;

use super::{
    OrderApi, line_index, load_order, move_line, notify, payments, save_status, span_in_sale_trace,
    view,
};
use crate::convert::{requests, views};
use crate::domain::commands::NewShipment;
use crate::domain::lifecycle::{ParcelPlan, Shippable};
use crate::domain::notices::Notice;
use crate::domain::timeline::Recorded;
use crate::domain::{
    Line, LineEvent, LineStatus, Order, Origin, ShipRefusal, Shipment, ShipmentStatus,
    UnitsByWarehouse, lifecycle,
};
use crate::store::queries;

/// The refusal of a shipment, named for the caller.
pub(super) fn refusal(order_id: Uuid, lines: &[Line], refusal: ShipRefusal) -> ServiceError {
    let line_id = |i: usize| lines.get(i).map(|l| l.id.to_string()).unwrap_or_default();
    match refusal {
        ShipRefusal::NothingReady => ServiceError::precondition(
            "NOTHING_TO_SHIP",
            format!(
                "order {order_id} has no line ready to ship{}",
                drop_ship_hint(lines)
            ),
        ),
        ShipRefusal::LineDropShipped(named) => ServiceError::FailedPrecondition {
            reason: "LINE_DROP_SHIPPED",
            message: format!(
                "{} named line(s) of order {order_id} are drop-shipped: the supplier ships them straight to the customer, and their shipment is recorded when it confirms; leave them out of the parcel",
                named.len()
            ),
            violations: named
                .into_iter()
                .map(|i| PreconditionViolation {
                    kind: "LINE_DROP_SHIPPED".to_owned(),
                    subject: format!("line_ids:{}", line_id(i)),
                    description: "the supplier ships this line; it never leaves a warehouse"
                        .to_owned(),
                })
                .collect(),
        },
        ShipRefusal::NothingInWarehouse(warehouse) => ServiceError::precondition(
            "NOTHING_TO_SHIP",
            format!(
                "order {order_id} has no ready units in warehouse {warehouse}; ship from a warehouse that holds them ({})",
                ready_elsewhere(lines)
            ),
        ),
        ShipRefusal::NotInWarehouse(warehouse, missing) => ServiceError::FailedPrecondition {
            reason: "NOT_IN_WAREHOUSE",
            message: format!(
                "a parcel leaves from one warehouse, and {} named line(s) hold no ready units in warehouse {warehouse}; ship them in another parcel from where they are",
                missing.len()
            ),
            violations: missing
                .into_iter()
                .map(|i| PreconditionViolation {
                    kind: "NOT_IN_WAREHOUSE".to_owned(),
                    subject: format!("line_ids:{}", line_id(i)),
                    description: format!(
                        "no ready units in warehouse {warehouse}; they are: {}",
                        lines.get(i).map(|l| l.ready_in.describe()).unwrap_or_default()
                    ),
                })
                .collect(),
        },
        ShipRefusal::LineNotReady(i, status) => ServiceError::FailedPrecondition {
            reason: "LINE_NOT_READY",
            message: format!(
                "line {} is {}, not ready to ship",
                line_id(i),
                status.name()
            ),
            violations: vec![PreconditionViolation {
                kind: "LINE_NOT_READY".to_owned(),
                subject: format!("line_ids:{}", line_id(i)),
                description: format!("the line is {}", status.name()),
            }],
        },
        ShipRefusal::WaitingForCompletion => ServiceError::precondition(
            "SHIP_COMPLETE_WAITING",
            format!("order {order_id} ships complete and some lines still wait for stock"),
        ),
        ShipRefusal::LastParcelWaiting(n) => ServiceError::precondition(
            "LAST_PARCEL_WAITING",
            format!(
                "order {order_id} ships in at most {n} parcel(s); the last one waits until every open line is ready"
            ),
        ),
        ShipRefusal::LastParcelTakesAll(n, left_out) => ServiceError::FailedPrecondition {
            reason: "LAST_PARCEL_TAKES_ALL",
            message: format!(
                "order {order_id} ships in at most {n} parcel(s); its last dispatch takes, per warehouse, every ready line with units there (name them all, or none)"
            ),
            violations: left_out
                .into_iter()
                .map(|i| PreconditionViolation {
                    kind: "LAST_PARCEL_TAKES_ALL".to_owned(),
                    subject: format!("line_ids:{}", line_id(i)),
                    description:
                        "the line has ready units in the parcel's warehouse and would need another parcel"
                            .to_owned(),
                })
                .collect(),
        },
        ShipRefusal::ShipmentLimitReached(n) => ServiceError::precondition(
            "SHIPMENT_LIMIT_REACHED",
            format!(
                "order {order_id} has had all {n} parcel(s) its ship policy allows and some lines still wait for stock"
            ),
        ),
    }
}

/// `"it holds 3 from east, 1 from default"`: where an order's ready units
/// are, for a refusal that sends the caller to another warehouse.
fn ready_elsewhere(lines: &[Line]) -> String {
    let entries = lines
        .iter()
        .flat_map(|l| l.ready_in.iter().map(|(w, units)| (w.clone(), units)));
    match UnitsByWarehouse::from_entries(entries) {
        Ok(held) if !held.is_empty() => format!("it holds {}", held.describe()),
        _ => "none are ready anywhere".to_owned(),
    }
}

/// `"; its drop-ship lines ..."`: why an order whose open lines are all
/// drop-shipped has nothing for a parcel, or nothing when it has none.
fn drop_ship_hint(lines: &[Line]) -> &'static str {
    let open_drop_ship = lines
        .iter()
        .any(|l| l.drop_ship && l.status == LineStatus::Backordered);
    if open_drop_ship {
        "; its drop-ship lines ship from the supplier, not in a parcel"
    } else {
        ""
    }
}

/// Parses the named lines into indices among `lines`.
fn named_indices(lines: &[Line], named: &[Uuid]) -> ServiceResult<Option<Vec<usize>>> {
    if named.is_empty() {
        return Ok(None);
    }
    named
        .iter()
        .map(|id| line_index(lines, *id))
        .collect::<ServiceResult<Vec<usize>>>()
        .map(Some)
}

/// The warehouse a parcel of one order leaves from and the lines it takes:
/// the named ones or every ready one, as its ship policy and its earlier
/// parcels allow.
async fn plan(
    work: &Work,
    order: &Order,
    lines: &[Line],
    named: &[Uuid],
    warehouse: Option<&WarehouseCode>,
) -> ServiceResult<ParcelPlan> {
    let named = named_indices(lines, named)?;
    let shipped_parcels = queries::count_parcels(work.db(), order.id).await?;
    let shippable: Vec<Shippable> = lines.iter().map(Shippable::from).collect();
    lifecycle::plan_shipment(
        order.ship_policy,
        shipped_parcels,
        &shippable,
        named.as_deref(),
        warehouse,
    )
    .map_err(|r| refusal(order.id, lines, r))
}

/// What a parcel says on its label, and where it leaves from.
pub(super) struct Parcel {
    pub tracking_number: String,
    pub carrier: String,
    pub bundle_id: Option<Uuid>,
    pub warehouse: WarehouseCode,
}

/// Ships the `chosen` lines of a locked order in a new shipment: each line
/// the ready units it holds in the parcel's warehouse (a line still
/// waiting for the rest, or split across warehouses, keeps the others);
/// inventory is told to issue those units from there, the customer what
/// left and what is still to come.
pub(super) async fn ship(
    work: &Work,
    order: &mut Order,
    lines: &mut [Line],
    chosen: &[usize],
    parcel: &Parcel,
) -> ServiceResult<Shipment> {
    let mut shipment = Shipment {
        id: new_id(),
        order_id: order.id,
        tracking_number: parcel.tracking_number.clone(),
        carrier: parcel.carrier.clone(),
        status: ShipmentStatus::Shipped,
        shipped_at: now_ms(),
        delivered_at: None,
        bundle_id: parcel.bundle_id,
        items: Vec::with_capacity(chosen.len()),
        origin: Origin::Warehouse(parcel.warehouse.clone()),
    };
    let mut shipped = Vec::with_capacity(chosen.len());
    for &i in chosen {
        let Some(line) = lines.get_mut(i) else {
            continue;
        };
        let units = line
            .ship_from(&parcel.warehouse)
            .map_err(|e| ServiceError::Internal(format!("line {}: {e}", line.id)))?;
        if units == 0 {
            return Err(ServiceError::Internal(format!(
                "line {} was planned into a parcel from {} where it holds nothing",
                line.id, parcel.warehouse
            )));
        }
        if line.status == LineStatus::Ready && line.fully_shipped() {
            move_line(line, LineEvent::Shipped)?;
            line.shipment_id = Some(shipment.id);
        }
        shipment.items.push((line.id, units));
        shipped.push(line.clone());
    }
    queries::insert_shipment(work.db(), &shipment).await?;
    queries::update_lines(work.db(), &shipped).await?;
    queries::replace_parts(work.db(), &shipped).await?;
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
    work.send(views::issue_request(&shipment, &parcel.warehouse))
        .await?;
    notify(work, order, Notice::shipped(&shipment, &shipped)).await?;
    payments::follow(work, order, lines).await?;
    Ok(shipment)
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
                    let planned = plan(
                        work,
                        &order,
                        &lines,
                        &command.line_ids,
                        command.warehouse.as_ref(),
                    )
                    .await?;
                    let span = span_in_sale_trace("ship order lines", &order);
                    async {
                        let parcel = Parcel {
                            tracking_number: command.tracking_number,
                            carrier: command.carrier,
                            bundle_id: None,
                            warehouse: planned.warehouse,
                        };
                        let shipment =
                            ship(work, &mut order, &mut lines, &planned.lines, &parcel).await?;
                        work.set_resource(shipment.id.to_string());
                        Ok(pb::CreateShipmentResponse {
                            shipment: Some(views::shipment_to_proto(&shipment)),
                            order: Some(view(work.db(), &order, &lines).await?),
                        })
                    }
                    .instrument(span)
                    .await
                })
            })
            .await
    }

    /// The `MarkDelivered` RPC: the shipment, and the other shipments of
    /// its parcel when it is part of a bundle.
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
                    let mut parcel = match found.bundle_id {
                        Some(bundle_id) => {
                            queries::shipments_of_bundle(work.db(), bundle_id).await?
                        }
                        None => vec![found],
                    };
                    // Orders locked in id order, so two deliveries of
                    // bundles sharing orders never deadlock.
                    parcel.sort_by_key(|s| s.order_id);
                    let mut answer = None;
                    for shipment in parcel {
                        let delivered = deliver(work, shipment.id).await?;
                        if shipment.id == shipment_id {
                            answer = Some(delivered);
                        }
                    }
                    work.set_resource(shipment_id.to_string());
                    answer.ok_or_else(not_found)
                })
            })
            .await
    }
}

/// Delivers one shipment: its lines, its order's status, the customer.
async fn deliver(work: &Work, shipment_id: Uuid) -> ServiceResult<pb::MarkDeliveredResponse> {
    let not_found = || ServiceError::not_found("shipment", shipment_id.to_string());
    let found = queries::find_shipment(work.db(), shipment_id)
        .await?
        .ok_or_else(not_found)?;
    let (mut order, mut lines) = load_order(work.db(), found.order_id, true).await?;
    // Read again under the order's lock: a twin delivery may have just
    // committed.
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
            shipment: Some(views::shipment_to_proto(&shipment)),
            order: Some(view(work.db(), &order, &lines).await?),
        })
    }
    .instrument(span)
    .await
}
