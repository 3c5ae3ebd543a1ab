//! The domain's values as messages: the order service's answers, and what
//! it sends to inventory and notification.

use crate::domain::lost_sales;
use crate::store::queries::LostSalesRow;
use std::collections::BTreeMap;

use backorder_platform::ServiceError;
use backorder_platform::telemetry::trace_id_of;
use backorder_platform::time::{from_timestamp, to_timestamp, to_timestamp_opt};
use backorder_platform::warehouse::WarehouseCode;
use backorder_proto::inventory::v1 as inventory_pb;
use backorder_proto::notification::v1::{NotificationEvent, NotifyRequest};
use backorder_proto::order::v1 as pb;
use uuid::Uuid;

use crate::domain::notices::{Notice, NoticeKind};
use crate::domain::placement::LineOutcome;
use crate::domain::stats::Measures;
use crate::domain::{Line, Order, Origin, Shipment, UnitsByWarehouse};

/// A line as answered.
pub fn line_to_proto(line: &Line) -> pb::OrderLine {
    pb::OrderLine {
        id: line.id.to_string(),
        sku: line.sku.clone(),
        quantity: line.quantity,
        reserved_quantity: line.reserved_quantity,
        backordered_quantity: line.backordered_quantity,
        status: line.status.code(),
        eta: to_timestamp_opt(line.eta),
        shipment_id: line
            .shipment_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        shipped_quantity: line.shipped_quantity,
        ready_quantity: line.ready_quantity,
        ready_in: line
            .ready_in
            .iter()
            .map(|(warehouse, quantity)| pb::WarehouseUnits {
                warehouse: warehouse.as_str().to_owned(),
                quantity,
            })
            .collect(),
        drop_ship: line.drop_ship,
        eta_latest: to_timestamp_opt(line.eta_latest.or(line.eta)),
        delay_offer: None,
        payment: line.payment.as_ref().map(|p| pb::LinePayment {
            state: p.state.code(),
            amount_minor: p.amount_minor,
            reference: p.reference.clone(),
            update_time: to_timestamp_opt(Some(p.updated_at)),
        }),
        unit_price_minor: line.unit_price_minor,
    }
}

/// A shipment as answered, with the lines and units it carried.
pub fn shipment_to_proto(shipment: &Shipment) -> pb::Shipment {
    pb::Shipment {
        id: shipment.id.to_string(),
        order_id: shipment.order_id.to_string(),
        tracking_number: shipment.tracking_number.clone(),
        carrier: shipment.carrier.clone(),
        line_ids: shipment
            .items
            .iter()
            .map(|(line_id, _)| line_id.to_string())
            .collect(),
        items: shipment
            .items
            .iter()
            .map(|(line_id, quantity)| pb::ShipmentItem {
                line_id: line_id.to_string(),
                quantity: *quantity,
            })
            .collect(),
        status: shipment.status.code(),
        ship_time: Some(to_timestamp(shipment.shipped_at)),
        deliver_time: to_timestamp_opt(shipment.delivered_at),
        bundle_id: shipment
            .bundle_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        warehouse: shipment
            .warehouse()
            .map(|code| code.as_str().to_owned())
            .unwrap_or_default(),
        drop_ship: matches!(shipment.origin, Origin::Supplier { .. }),
        purchase_order_id: shipment
            .purchase_order_id()
            .map(|id| id.to_string())
            .unwrap_or_default(),
    }
}

/// The sale's trace id (hex), empty when it was not traced.
pub fn trace_id(order: &Order) -> String {
    order
        .trace_context
        .as_deref()
        .and_then(trace_id_of)
        .unwrap_or_default()
}

/// An order as answered.
pub fn order_to_proto(order: &Order, lines: &[Line], shipments: &[Shipment]) -> pb::Order {
    pb::Order {
        id: order.id.to_string(),
        customer_id: order.customer_id.to_string(),
        status: order.status.code(),
        accept_backorders: order.accept_backorders,
        ship_policy: order.ship_policy.code(),
        lines: lines.iter().map(line_to_proto).collect(),
        shipments: shipments.iter().map(shipment_to_proto).collect(),
        create_time: Some(to_timestamp(order.created_at)),
        update_time: Some(to_timestamp(order.updated_at)),
        trace_id: trace_id(order),
        max_shipments: order.ship_policy.max_shipments(),
        ship_to_address: order.ship_to_address.clone(),
    }
}

fn event_of(kind: NoticeKind) -> NotificationEvent {
    match kind {
        NoticeKind::OrderConfirmed => NotificationEvent::OrderConfirmed,
        NoticeKind::Backordered => NotificationEvent::Backordered,
        NoticeKind::EtaKnown => NotificationEvent::EtaKnown,
        NoticeKind::EtaChanged => NotificationEvent::EtaChanged,
        NoticeKind::Ready => NotificationEvent::Ready,
        NoticeKind::Shipped => NotificationEvent::Shipped,
        NoticeKind::Delivered => NotificationEvent::Delivered,
        NoticeKind::Cancelled => NotificationEvent::Cancelled,
        NoticeKind::LineChanged => NotificationEvent::LineChanged,
        NoticeKind::Charged => NotificationEvent::Charged,
        NoticeKind::Refunded => NotificationEvent::Refunded,
        NoticeKind::DelayOffered => NotificationEvent::DelayOffered,
    }
}

/// The Notify call that tells `order`'s customer `notice` (its request id
/// is set when it is sent).
pub fn notify_request(order: &Order, notice: Notice) -> NotifyRequest {
    let (tracking_number, carrier) = notice
        .parcel
        .map(|p| (p.tracking_number, p.carrier))
        .unwrap_or_default();
    NotifyRequest {
        request_id: String::new(),
        customer_id: order.customer_id.to_string(),
        order_id: order.id.to_string(),
        line_id: notice.line_id.map(|id| id.to_string()).unwrap_or_default(),
        event: event_of(notice.kind) as i32,
        eta: to_timestamp_opt(notice.eta),
        tracking_number,
        carrier,
        detail: notice.detail,
        eta_latest: to_timestamp_opt(
            notice
                .eta_latest
                .filter(|latest| Some(*latest) != notice.eta),
        ),
    }
}

/// The unit price inventory gave each line it answered for (lines with
/// an id that does not parse are refused by [`reservation_outcomes`]).
pub fn reservation_prices(reply: &inventory_pb::ReserveOrderResponse) -> BTreeMap<Uuid, i64> {
    reply
        .lines
        .iter()
        .filter_map(|l| Some((Uuid::try_parse(&l.line_id).ok()?, l.unit_price_minor)))
        .collect()
}

/// The reservation of a pending order; inventory knows it by the order id,
/// which is also its request id, so every attempt is the same request. The
/// delivery address goes with it: a line the supplier drop-ships is sent
/// there, and inventory passes it on to procurement with the line's demand.
pub fn reserve_request(order: &Order, lines: &[Line]) -> inventory_pb::ReserveOrderRequest {
    inventory_pb::ReserveOrderRequest {
        request_id: order.id.to_string(),
        order_id: order.id.to_string(),
        accept_backorders: order.accept_backorders,
        ship_to_address: order.ship_to_address.clone(),
        lines: lines
            .iter()
            .map(|l| inventory_pb::ReserveLine {
                line_id: l.id.to_string(),
                sku: l.sku.clone(),
                quantity: l.quantity,
            })
            .collect(),
    }
}

/// Inventory's answer per line id. An inventory that names no warehouse
/// predates them: what it reserved is in the default one.
pub fn reservation_outcomes(
    reply: &inventory_pb::ReserveOrderResponse,
) -> Result<BTreeMap<Uuid, LineOutcome>, ServiceError> {
    reply
        .lines
        .iter()
        .map(|l| {
            let id = Uuid::try_parse(&l.line_id).map_err(|_| {
                ServiceError::Internal(format!(
                    "inventory answered for line {:?}, not a UUID",
                    l.line_id
                ))
            })?;
            let reserved_from = if l.reserved_from.is_empty() {
                UnitsByWarehouse::of(WarehouseCode::default_warehouse(), l.reserved_quantity)
            } else {
                let entries = l
                    .reserved_from
                    .iter()
                    .map(|part| {
                        WarehouseCode::parse("reserved_from.warehouse", &part.warehouse)
                            .map(|code| (code, part.quantity))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|v| {
                        ServiceError::Internal(format!(
                            "inventory's answer for line {id}: {}",
                            v.description
                        ))
                    })?;
                UnitsByWarehouse::from_entries(entries).map_err(|e| {
                    ServiceError::Internal(format!("inventory's answer for line {id}: {e}"))
                })?
            };
            Ok((
                id,
                LineOutcome {
                    reserved: l.reserved_quantity,
                    backordered: l.backordered_quantity,
                    drop_shipped: l.drop_ship_quantity,
                    reserved_from,
                    promise: l.promised_from.as_ref().map(|from| {
                        let from = from_timestamp(from);
                        let to = l.promised_to.as_ref().map_or(from, from_timestamp);
                        (from, to)
                    }),
                },
            ))
        })
        .collect()
}

/// Releases a cancelled line's reservation in inventory.
pub fn release_request(order_id: Uuid, line_id: Uuid) -> inventory_pb::ReleaseReservationRequest {
    inventory_pb::ReleaseReservationRequest {
        request_id: String::new(),
        order_id: order_id.to_string(),
        line_id: line_id.to_string(),
    }
}

/// Issues the stock of shipped lines in inventory, from `warehouse`, the
/// one the parcel left (a drop shipment issues none: it took no stock).
pub fn issue_request(
    shipment: &Shipment,
    warehouse: &WarehouseCode,
) -> inventory_pb::IssueStockRequest {
    inventory_pb::IssueStockRequest {
        order_id: shipment.order_id.to_string(),
        shipment_id: shipment.id.to_string(),
        warehouse: warehouse.as_str().to_owned(),
        lines: shipment
            .items
            .iter()
            .map(|(line_id, quantity)| inventory_pb::IssueLine {
                line_id: line_id.to_string(),
                quantity: *quantity,
            })
            .collect(),
        ..Default::default()
    }
}

/// The backorder measures as answered.
pub fn stats_to_proto(
    m: &Measures,
    (orders_refused, units_lost, per_sku): (i64, i64, Vec<LostSalesRow>),
) -> pb::GetBackorderStatsResponse {
    pb::GetBackorderStatsResponse {
        orders_refused,
        units_lost,
        lost_sale_rate_percent: lost_sales::lost_sale_rate_percent(orders_refused, m.orders_placed),
        lost_sales: per_sku
            .into_iter()
            .map(|row| pb::LostSales {
                sku: row.sku,
                reason: row.reason.code(),
                orders: row.orders,
                units: row.units,
            })
            .collect(),
        orders_placed: m.orders_placed,
        orders_backordered: m.orders_backordered,
        backorder_rate_percent: m.backorder_rate_percent,
        lines_placed: m.lines_placed,
        lines_filled_from_stock: m.lines_from_stock,
        line_fill_rate_percent: m.line_fill_rate_percent,
        units_ordered: m.units_ordered,
        units_from_stock: m.units_from_stock,
        unit_fill_rate_percent: m.unit_fill_rate_percent,
    }
}
