//! Requests into the domain's commands: every field checked at once, each
//! problem named by its field path (parse, then apply).

use std::collections::HashSet;

use backorder_platform::ServiceError;
use backorder_platform::ids::{Violations, parse_uuid};
use backorder_platform::paging::PageRequest;
use backorder_platform::time::from_timestamp;
use backorder_platform::warehouse::WarehouseCode;
use backorder_proto::order::v1 as pb;
use uuid::Uuid;

use crate::domain::commands::{
    CancelLine, CancelOrder, DropShipment, LineAllocated, LineEta, MAX_BUNDLED_ORDERS, NewBundle,
    NewShipment, Window,
};
use crate::domain::limits::{
    MAX_ADDRESS_CHARS, MAX_LINES, MAX_QUANTITY, MAX_REASON_CHARS, MAX_SHIPPING_TEXT_CHARS,
    quantity_in_bounds, sku_problem,
};
use crate::domain::notices::DEFAULT_CANCEL_REASON;
use crate::domain::placement::{NewLine, NewOrder};
use crate::domain::{BadPolicy, MAX_SHIPMENTS, OrderStatus, ShipPolicy};

impl NewOrder {
    /// A valid PlaceOrder; an unspecified ship policy takes `default`, the
    /// merchant's.
    pub fn parse(req: &pb::PlaceOrderRequest, default: ShipPolicy) -> Result<Self, ServiceError> {
        let mut v = Violations::new();
        let request_id = v.uuid("request_id", &req.request_id);
        let customer_id = v.uuid("customer_id", &req.customer_id);
        if req.lines.is_empty() {
            v.add("lines", "must have at least one line");
        } else if req.lines.len() > MAX_LINES {
            v.add("lines", format!("must have at most {MAX_LINES} lines"));
        }
        let mut lines = Vec::with_capacity(req.lines.len());
        for (i, line) in req.lines.iter().enumerate() {
            let sku = line.sku.trim();
            if let Some(problem) = sku_problem(sku) {
                v.add(format!("lines[{i}].sku"), problem);
            }
            if line.quantity < 1 {
                v.add(format!("lines[{i}].quantity"), "must be at least 1");
            } else if line.quantity > MAX_QUANTITY {
                v.add(
                    format!("lines[{i}].quantity"),
                    format!("must be at most {MAX_QUANTITY}"),
                );
            }
            lines.push(NewLine {
                sku: sku.to_owned(),
                quantity: line.quantity,
            });
        }
        let ship_policy = match (req.ship_policy, req.max_shipments) {
            (0, 0) => Some(default),
            (0, _) => {
                v.add(
                    "max_shipments",
                    "needs ship_policy SHIP_POLICY_UP_TO_N_SHIPMENTS; leave it 0 to take the merchant's default",
                );
                None
            }
            (code, count) => match ShipPolicy::from_parts(code, count) {
                Ok(policy) => Some(policy),
                Err(BadPolicy::Unknown(_)) => {
                    v.add(
                        "ship_policy",
                        "must be AS_AVAILABLE, COMPLETE or UP_TO_N_SHIPMENTS",
                    );
                    None
                }
                Err(BadPolicy::Count(_)) if code == ShipPolicy::UpToShipments(1).code() => {
                    v.add(
                        "max_shipments",
                        format!("must be 1 to {MAX_SHIPMENTS} with SHIP_POLICY_UP_TO_N_SHIPMENTS"),
                    );
                    None
                }
                Err(BadPolicy::Count(_)) => {
                    v.add(
                        "max_shipments",
                        "must be 0 unless ship_policy is SHIP_POLICY_UP_TO_N_SHIPMENTS",
                    );
                    None
                }
            },
        };
        let ship_to_address = req.ship_to_address.trim();
        if ship_to_address.chars().count() > MAX_ADDRESS_CHARS {
            v.add(
                "ship_to_address",
                format!("must be at most {MAX_ADDRESS_CHARS} characters"),
            );
        }
        v.finish()?;
        let (Some(request_id), Some(customer_id), Some(ship_policy)) =
            (request_id, customer_id, ship_policy)
        else {
            return Err(ServiceError::Internal(
                "a checked PlaceOrder lost a field".to_owned(),
            ));
        };
        Ok(NewOrder {
            request_id,
            request_hash: backorder_platform::idempotency::fingerprint(req),
            customer_id,
            lines,
            accept_backorders: req.accept_backorders,
            ship_policy,
            ship_to_address: ship_to_address.to_owned(),
        })
    }
}

fn reason(v: &mut Violations, raw: &str) -> String {
    if raw.chars().count() > MAX_REASON_CHARS {
        v.add(
            "reason",
            format!("must be at most {MAX_REASON_CHARS} characters"),
        );
    }
    match raw.trim() {
        "" => DEFAULT_CANCEL_REASON.to_owned(),
        given => given.to_owned(),
    }
}

/// The warehouse a parcel leaves from, when one is named (empty lets the
/// service choose, unlike fields where empty means the default).
fn parcel_warehouse(v: &mut Violations, raw: &str) -> Option<WarehouseCode> {
    if raw.is_empty() {
        None
    } else {
        v.warehouse("warehouse", raw)
    }
}

/// Every recorded violation, or the value built from the parsed parts.
fn finish<T>(v: Violations, parts: Option<T>) -> Result<T, ServiceError> {
    v.finish()?;
    parts.ok_or_else(|| ServiceError::Internal("a checked request lost a field".to_owned()))
}

impl TryFrom<&pb::CancelOrderRequest> for CancelOrder {
    type Error = ServiceError;

    fn try_from(req: &pb::CancelOrderRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let order_id = v.uuid("order_id", &req.order_id);
        let reason = reason(&mut v, &req.reason);
        finish(v, order_id.map(|order_id| CancelOrder { order_id, reason }))
    }
}

impl TryFrom<&pb::CancelOrderLineRequest> for CancelLine {
    type Error = ServiceError;

    fn try_from(req: &pb::CancelOrderLineRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let order_id = v.uuid("order_id", &req.order_id);
        let line_id = v.uuid("line_id", &req.line_id);
        let reason = reason(&mut v, &req.reason);
        let parts = order_id.zip(line_id);
        finish(
            v,
            parts.map(|(order_id, line_id)| CancelLine {
                order_id,
                line_id,
                reason,
            }),
        )
    }
}

impl TryFrom<&pb::CreateShipmentRequest> for NewShipment {
    type Error = ServiceError;

    fn try_from(req: &pb::CreateShipmentRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let order_id = v.uuid("order_id", &req.order_id);
        v.text(
            "tracking_number",
            &req.tracking_number,
            MAX_SHIPPING_TEXT_CHARS,
        );
        v.text("carrier", &req.carrier, MAX_SHIPPING_TEXT_CHARS);
        let mut seen = HashSet::new();
        let mut line_ids = Vec::with_capacity(req.line_ids.len());
        for (i, id) in req.line_ids.iter().enumerate() {
            if let Some(line_id) = v.uuid(&format!("line_ids[{i}]"), id) {
                if seen.insert(line_id) {
                    line_ids.push(line_id);
                } else {
                    v.add(format!("line_ids[{i}]"), "repeats an earlier line id");
                }
            }
        }
        let warehouse = parcel_warehouse(&mut v, &req.warehouse);
        finish(
            v,
            order_id.map(|order_id| NewShipment {
                order_id,
                line_ids,
                tracking_number: req.tracking_number.trim().to_owned(),
                carrier: req.carrier.trim().to_owned(),
                warehouse,
            }),
        )
    }
}

impl TryFrom<&pb::CreateBundledShipmentRequest> for NewBundle {
    type Error = ServiceError;

    fn try_from(req: &pb::CreateBundledShipmentRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        v.text(
            "tracking_number",
            &req.tracking_number,
            MAX_SHIPPING_TEXT_CHARS,
        );
        v.text("carrier", &req.carrier, MAX_SHIPPING_TEXT_CHARS);
        if req.order_ids.len() < 2 || req.order_ids.len() > MAX_BUNDLED_ORDERS {
            v.add(
                "order_ids",
                format!("must name 2 to {MAX_BUNDLED_ORDERS} orders; ship a single order with CreateShipment"),
            );
        }
        let mut seen = HashSet::new();
        let mut order_ids = Vec::with_capacity(req.order_ids.len());
        for (i, id) in req.order_ids.iter().enumerate() {
            if let Some(order_id) = v.uuid(&format!("order_ids[{i}]"), id) {
                if seen.insert(order_id) {
                    order_ids.push(order_id);
                } else {
                    v.add(format!("order_ids[{i}]"), "repeats an earlier order id");
                }
            }
        }
        let warehouse = parcel_warehouse(&mut v, &req.warehouse);
        finish(
            v,
            Some(NewBundle {
                order_ids,
                tracking_number: req.tracking_number.trim().to_owned(),
                carrier: req.carrier.trim().to_owned(),
                warehouse,
            }),
        )
    }
}

impl TryFrom<&pb::MarkLineAllocatedRequest> for LineAllocated {
    type Error = ServiceError;

    fn try_from(req: &pb::MarkLineAllocatedRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let order_id = v.uuid("order_id", &req.order_id);
        let line_id = v.uuid("line_id", &req.line_id);
        if req.allocated_quantity < 0 || req.allocated_quantity > MAX_QUANTITY {
            v.add("allocated_quantity", format!("must be 0 to {MAX_QUANTITY}"));
        }
        if req.waiting_quantity < 0 || req.waiting_quantity > MAX_QUANTITY {
            v.add("waiting_quantity", format!("must be 0 to {MAX_QUANTITY}"));
        }
        if req.waiting_quantity > 0 && req.allocated_quantity == 0 {
            v.add(
                "allocated_quantity",
                "must be at least 1 when the line still waits",
            );
        }
        // A line still waiting heard of the units reserved for it; one
        // that waits for nothing more is complete.
        let partial = (req.waiting_quantity > 0).then_some(req.allocated_quantity);
        let warehouse = v.warehouse("warehouse", &req.warehouse);
        let parts = order_id.zip(line_id).zip(warehouse);
        finish(
            v,
            parts.map(|((order_id, line_id), warehouse)| LineAllocated {
                order_id,
                line_id,
                partial,
                warehouse,
            }),
        )
    }
}

impl TryFrom<&pb::UpdateLineEtaRequest> for LineEta {
    type Error = ServiceError;

    fn try_from(req: &pb::UpdateLineEtaRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let order_id = v.uuid("order_id", &req.order_id);
        let line_id = v.uuid("line_id", &req.line_id);
        match &req.eta {
            None => v.add("eta", "is required"),
            Some(eta) => v.timestamp("eta", eta),
        }
        if let Some(latest) = &req.eta_latest {
            v.timestamp("eta_latest", latest);
        }
        let purchase_order_id = if req.purchase_order_id.is_empty() {
            None
        } else {
            v.uuid("purchase_order_id", &req.purchase_order_id)
        };
        let eta_ms = req.eta.as_ref().map(from_timestamp);
        let latest_ms = req.eta_latest.as_ref().map(from_timestamp);
        if let (Some(eta), Some(latest)) = (eta_ms, latest_ms)
            && latest < eta
        {
            v.add("eta_latest", "must not be before eta");
        }
        let parts = order_id.zip(line_id).zip(eta_ms);
        finish(
            v,
            parts.map(|((order_id, line_id), eta_ms)| LineEta {
                order_id,
                line_id,
                eta_ms,
                eta_latest_ms: latest_ms.unwrap_or(eta_ms).max(eta_ms),
                purchase_order_id,
            }),
        )
    }
}

impl TryFrom<&pb::RecordDropShipmentRequest> for DropShipment {
    type Error = ServiceError;

    fn try_from(req: &pb::RecordDropShipmentRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let order_id = v.uuid("order_id", &req.order_id);
        let purchase_order_id = v.uuid("purchase_order_id", &req.purchase_order_id);
        v.text("carrier", &req.carrier, MAX_SHIPPING_TEXT_CHARS);
        v.text(
            "tracking_number",
            &req.tracking_number,
            MAX_SHIPPING_TEXT_CHARS,
        );
        if req.items.is_empty() {
            v.add("items", "must name at least one line shipped");
        } else if req.items.len() > MAX_LINES {
            v.add("items", format!("must name at most {MAX_LINES} lines"));
        }
        let mut seen = HashSet::new();
        let mut items = Vec::with_capacity(req.items.len());
        for (i, item) in req.items.iter().enumerate() {
            let line_id = v.uuid(&format!("items[{i}].line_id"), &item.line_id);
            if !quantity_in_bounds(item.quantity) {
                v.add(
                    format!("items[{i}].quantity"),
                    format!("must be 1 to {MAX_QUANTITY}"),
                );
            }
            if let Some(line_id) = line_id {
                if seen.insert(line_id) {
                    items.push((line_id, item.quantity));
                } else {
                    v.add(
                        format!("items[{i}].line_id"),
                        "repeats an earlier line; name each line once with all its units",
                    );
                }
            }
        }
        let parts = order_id.zip(purchase_order_id);
        finish(
            v,
            parts.map(|(order_id, purchase_order_id)| DropShipment {
                order_id,
                purchase_order_id,
                carrier: req.carrier.trim().to_owned(),
                tracking_number: req.tracking_number.trim().to_owned(),
                items,
            }),
        )
    }
}

/// The shipment a MarkDelivered names.
pub fn shipment_to_deliver(req: &pb::MarkDeliveredRequest) -> Result<Uuid, ServiceError> {
    parse_uuid("shipment_id", &req.shipment_id)
}

/// The order a GetOrder or GetOrderTimeline names.
pub fn order_id(raw: &str) -> Result<Uuid, ServiceError> {
    parse_uuid("order_id", raw)
}

/// What a ListOrders asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderQuery {
    /// The page.
    pub page: PageRequest,
    /// Only this customer's orders.
    pub customer_id: Option<Uuid>,
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
}

impl TryFrom<&pb::ListOrdersRequest> for OrderQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ListOrdersRequest) -> Result<Self, Self::Error> {
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let customer_id = if req.customer_id.is_empty() {
            None
        } else {
            Some(parse_uuid("customer_id", &req.customer_id)?)
        };
        let status = match req.status {
            0 => None,
            code => Some(
                OrderStatus::try_from(code)
                    .map_err(|_| ServiceError::invalid("status", "is not an OrderStatus"))?,
            ),
        };
        Ok(Self {
            page,
            customer_id,
            status,
        })
    }
}

impl TryFrom<&pb::GetBackorderStatsRequest> for Window {
    type Error = ServiceError;

    fn try_from(req: &pb::GetBackorderStatsRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        for (field, value) in [("start_time", &req.start_time), ("end_time", &req.end_time)] {
            if let Some(ts) = value {
                v.timestamp(field, ts);
            }
        }
        v.finish()?;
        let window = Window {
            start_ms: req.start_time.as_ref().map(from_timestamp),
            end_ms: req.end_time.as_ref().map(from_timestamp),
        };
        if let (Some(start), Some(end)) = (window.start_ms, window.end_ms)
            && end <= start
        {
            return Err(ServiceError::invalid(
                "end_time",
                "must be after start_time (the window is [start_time, end_time))",
            ));
        }
        Ok(window)
    }
}

#[cfg(test)]
mod tests;
