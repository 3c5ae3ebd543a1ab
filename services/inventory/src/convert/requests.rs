//! Requests to commands: `TryFrom` with one violation per bad field.

use std::collections::HashSet;

use backorder_platform::ids::Violations;
use backorder_platform::warehouse::WarehouseCode;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1 as pb;
use uuid::Uuid;

use crate::domain::{
    BackorderPolicy, MAX_BACKORDER_CAP, MAX_LINES, MAX_PRICE_MINOR, valid_delta, valid_priority,
    valid_quantity,
};
use crate::wording;

/// Longest delivery address an order may carry.
const MAX_ADDRESS_CHARS: usize = 500;

pub(super) fn check_sku(v: &mut Violations, field: &str, sku: &str) {
    if sku.is_empty() {
        v.add(field, wording::REQUIRED);
    } else if sku.len() > 64 || sku.chars().any(char::is_whitespace) {
        v.add(field, wording::SKU_FORMAT);
    }
}

pub(super) fn check_quantity(v: &mut Violations, field: &str, quantity: i64) {
    if !valid_quantity(quantity) {
        v.add(field, wording::quantity_range());
    }
}

/// A SKU given on its own (a lookup, a filter).
pub fn parse_sku(sku: &str) -> ServiceResult<String> {
    let mut v = Violations::new();
    check_sku(&mut v, "sku", sku);
    v.finish()?;
    Ok(sku.to_owned())
}

/// A product to create.
#[derive(Debug, Clone)]
pub struct NewProduct {
    /// SKU.
    pub sku: String,
    /// Display name, trimmed.
    pub name: String,
    /// Backorder policy.
    pub policy: BackorderPolicy,
    /// Unit price, smallest currency unit.
    pub price_minor: i64,
}

impl TryFrom<&pb::CreateProductRequest> for NewProduct {
    type Error = ServiceError;

    fn try_from(req: &pb::CreateProductRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        check_sku(&mut v, "sku", &req.sku);
        v.text("name", &req.name, 200);
        let inbound = req.backorder_policy == BackorderPolicy::Inbound { margin: 0 }.code();
        if !inbound && req.inbound_margin != 0 {
            v.add("inbound_margin", wording::MARGIN_NOT_ALLOWED);
        }
        let number = if inbound {
            req.inbound_margin
        } else {
            req.backorder_cap
        };
        let policy = match BackorderPolicy::try_from((req.backorder_policy, number)) {
            Ok(BackorderPolicy::Inbound { .. }) if req.backorder_cap != 0 => {
                v.add("backorder_cap", wording::CAP_NOT_ALLOWED);
                None
            }
            Ok(BackorderPolicy::Inbound { margin })
                if !(0..=MAX_BACKORDER_CAP).contains(&margin) =>
            {
                v.add("inbound_margin", wording::margin_range());
                None
            }
            Ok(BackorderPolicy::Allow | BackorderPolicy::Deny) if req.backorder_cap != 0 => {
                v.add("backorder_cap", wording::CAP_NOT_ALLOWED);
                None
            }
            Ok(BackorderPolicy::Capped { cap }) if !(1..=MAX_BACKORDER_CAP).contains(&cap) => {
                v.add("backorder_cap", wording::cap_range());
                None
            }
            Ok(policy) => Some(policy),
            Err(_) => {
                v.add("backorder_policy", wording::POLICY);
                None
            }
        };
        if !(0..=MAX_PRICE_MINOR).contains(&req.price_minor) {
            v.add(
                "price_minor",
                format!("must be 0 to {MAX_PRICE_MINOR} (smallest currency unit)"),
            );
        }
        v.finish()?;
        let policy =
            policy.ok_or_else(|| ServiceError::invalid("backorder_policy", wording::POLICY))?;
        Ok(Self {
            sku: req.sku.clone(),
            name: req.name.trim().to_owned(),
            policy,
            price_minor: req.price_minor,
        })
    }
}

/// A manual stock adjustment.
#[derive(Debug, Clone)]
pub struct Adjustment {
    /// SKU.
    pub sku: String,
    /// Units added (positive) or removed (negative); within the bound.
    pub delta: i64,
    /// Why, for the ledger.
    pub reason: String,
    /// Warehouse whose stock changes.
    pub warehouse: WarehouseCode,
}

impl TryFrom<&pb::AdjustStockRequest> for Adjustment {
    type Error = ServiceError;

    fn try_from(req: &pb::AdjustStockRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        check_sku(&mut v, "sku", &req.sku);
        if req.delta == 0 {
            v.add("delta", wording::ZERO_DELTA);
        } else if !valid_delta(req.delta) {
            v.add("delta", wording::delta_range());
        }
        v.text("reason", &req.reason, 500);
        let warehouse = v.warehouse("warehouse", &req.warehouse);
        v.finish()?;
        Ok(Self {
            sku: req.sku.clone(),
            delta: req.delta,
            reason: req.reason.trim().to_owned(),
            warehouse: warehouse.unwrap_or_else(WarehouseCode::default_warehouse),
        })
    }
}

/// Goods received.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// SKU.
    pub sku: String,
    /// Units received; within the bound.
    pub quantity: i64,
    /// Purchase order the goods came on, if any.
    pub purchase_order_id: Option<Uuid>,
    /// Warehouse the goods arrived at.
    pub warehouse: WarehouseCode,
}

impl TryFrom<&pb::ReceiveStockRequest> for Receipt {
    type Error = ServiceError;

    fn try_from(req: &pb::ReceiveStockRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        check_sku(&mut v, "sku", &req.sku);
        check_quantity(&mut v, "quantity", req.quantity);
        let purchase_order_id = if req.purchase_order_id.is_empty() {
            None
        } else {
            v.uuid("purchase_order_id", &req.purchase_order_id)
        };
        let warehouse = v.warehouse("warehouse", &req.warehouse);
        v.finish()?;
        Ok(Self {
            sku: req.sku.clone(),
            quantity: req.quantity,
            purchase_order_id,
            warehouse: warehouse.unwrap_or_else(WarehouseCode::default_warehouse),
        })
    }
}

/// One line of an order to reserve.
#[derive(Debug, Clone)]
pub struct LineRequest {
    /// Order line id.
    pub line_id: Uuid,
    /// SKU.
    pub sku: String,
    /// Units ordered; within the bound.
    pub quantity: i64,
}

/// An order to reserve.
#[derive(Debug, Clone)]
pub struct OrderReservation {
    /// Order id.
    pub order_id: Uuid,
    /// Whether short lines may wait.
    pub accept_backorders: bool,
    /// Lines, in request order; line ids distinct.
    pub lines: Vec<LineRequest>,
    /// Where drop-shipped lines go, trimmed; empty: none is drop-shipped.
    pub ship_to_address: String,
}

impl TryFrom<&pb::ReserveOrderRequest> for OrderReservation {
    type Error = ServiceError;

    fn try_from(req: &pb::ReserveOrderRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let order_id = v.uuid("order_id", &req.order_id);
        if req.lines.is_empty() {
            v.add("lines", wording::NO_LINES);
        } else if req.lines.len() > MAX_LINES {
            v.add("lines", wording::too_many_lines());
        }
        let mut seen = HashSet::new();
        let mut lines = Vec::with_capacity(req.lines.len());
        for (i, line) in req.lines.iter().enumerate() {
            let field = format!("lines[{i}].line_id");
            let line_id = v.uuid(&field, &line.line_id);
            if let Some(id) = line_id
                && !seen.insert(id)
            {
                v.add(field, wording::REPEATED_LINE);
            }
            check_sku(&mut v, &format!("lines[{i}].sku"), &line.sku);
            check_quantity(&mut v, &format!("lines[{i}].quantity"), line.quantity);
            if let Some(line_id) = line_id {
                lines.push(LineRequest {
                    line_id,
                    sku: line.sku.clone(),
                    quantity: line.quantity,
                });
            }
        }
        if req.ship_to_address.chars().count() > MAX_ADDRESS_CHARS {
            v.add(
                "ship_to_address",
                format!("must be at most {MAX_ADDRESS_CHARS} characters"),
            );
        }
        v.finish()?;
        Ok(Self {
            order_id: order_id
                .ok_or_else(|| ServiceError::invalid("order_id", wording::REQUIRED))?,
            accept_backorders: req.accept_backorders,
            lines,
            ship_to_address: req.ship_to_address.trim().to_owned(),
        })
    }
}

/// A cancelled order line.
#[derive(Debug, Clone, Copy)]
pub struct Cancellation {
    /// Order id.
    pub order_id: Uuid,
    /// Line id.
    pub line_id: Uuid,
}

impl TryFrom<&pb::ReleaseReservationRequest> for Cancellation {
    type Error = ServiceError;

    fn try_from(req: &pb::ReleaseReservationRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let order_id = v.uuid("order_id", &req.order_id);
        let line_id = v.uuid("line_id", &req.line_id);
        v.finish()?;
        match (order_id, line_id) {
            (Some(order_id), Some(line_id)) => Ok(Self { order_id, line_id }),
            _ => Err(ServiceError::invalid("order_id", wording::REQUIRED)),
        }
    }
}

/// A waiting line's new place in its queue.
#[derive(Debug, Clone)]
pub struct PriorityChange {
    /// Order id.
    pub order_id: Uuid,
    /// Line id.
    pub line_id: Uuid,
    /// New priority.
    pub priority: i32,
    /// Why, trimmed.
    pub reason: String,
}

impl TryFrom<&pb::SetBackorderPriorityRequest> for PriorityChange {
    type Error = ServiceError;

    fn try_from(req: &pb::SetBackorderPriorityRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let order_id = v.uuid("order_id", &req.order_id);
        let line_id = v.uuid("line_id", &req.line_id);
        if !valid_priority(req.priority) {
            v.add("priority", wording::priority_range());
        }
        v.text("reason", &req.reason, 200);
        v.finish()?;
        match (order_id, line_id) {
            (Some(order_id), Some(line_id)) => Ok(Self {
                order_id,
                line_id,
                priority: req.priority,
                reason: req.reason.trim().to_owned(),
            }),
            _ => Err(ServiceError::invalid("order_id", wording::REQUIRED)),
        }
    }
}

/// What ListReservations lists.
#[derive(Debug, Clone)]
pub enum ReservationQuery {
    /// The reservations of one order.
    Order(Uuid),
    /// The waiting queue of one SKU.
    Queue(String),
}

impl TryFrom<&pb::ListReservationsRequest> for ReservationQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ListReservationsRequest) -> ServiceResult<Self> {
        match (req.order_id.is_empty(), req.sku.is_empty()) {
            (false, true) => Ok(Self::Order(backorder_platform::ids::parse_uuid(
                "order_id",
                &req.order_id,
            )?)),
            (true, false) => Ok(Self::Queue(parse_sku(&req.sku)?)),
            _ => Err(ServiceError::invalid("order_id", wording::ONE_FILTER)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::Shipment;
    use crate::domain::MAX_QUANTITY;

    fn fields(error: ServiceError) -> Vec<String> {
        match error {
            ServiceError::InvalidArgument(list) => list.into_iter().map(|v| v.field).collect(),
            other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
        }
    }

    fn order(quantities: &[i64]) -> pb::ReserveOrderRequest {
        pb::ReserveOrderRequest {
            request_id: Uuid::now_v7().to_string(),
            order_id: Uuid::now_v7().to_string(),
            accept_backorders: true,
            lines: quantities
                .iter()
                .map(|q| pb::ReserveLine {
                    line_id: Uuid::now_v7().to_string(),
                    sku: "SKU-1".into(),
                    quantity: *q,
                })
                .collect(),
            ship_to_address: String::new(),
        }
    }

    #[test]
    fn every_bad_line_field_is_named() {
        let mut req = order(&[1, 0, MAX_QUANTITY + 1]);
        req.lines[0].sku = "has space".into();
        req.lines[1].line_id = req.lines[0].line_id.clone();
        let named = fields(OrderReservation::try_from(&req).expect_err("refused"));
        assert_eq!(
            named,
            [
                "lines[0].sku",
                "lines[1].line_id",
                "lines[1].quantity",
                "lines[2].quantity"
            ]
        );
    }

    #[test]
    fn line_counts_are_bounded() {
        let fine = order(&vec![MAX_QUANTITY; MAX_LINES]);
        assert!(OrderReservation::try_from(&fine).is_ok());
        let over = order(&vec![1; MAX_LINES + 1]);
        assert_eq!(
            fields(OrderReservation::try_from(&over).expect_err("too many")),
            ["lines"]
        );
    }

    #[test]
    fn capped_policies_need_a_cap_in_range() {
        let req = |policy, cap| pb::CreateProductRequest {
            request_id: Uuid::now_v7().to_string(),
            sku: "S".into(),
            name: "n".into(),
            backorder_policy: policy,
            backorder_cap: cap,
            price_minor: 0,
            inbound_margin: 0,
        };
        assert!(NewProduct::try_from(&req(3, MAX_BACKORDER_CAP)).is_ok());
        for (policy, cap, field) in [
            (3, 0, "backorder_cap"),
            (3, MAX_BACKORDER_CAP + 1, "backorder_cap"),
            (1, 5, "backorder_cap"),
            (0, 0, "backorder_policy"),
            (42, 0, "backorder_policy"),
        ] {
            assert_eq!(
                fields(NewProduct::try_from(&req(policy, cap)).expect_err("refused")),
                [field],
                "policy {policy} cap {cap}"
            );
        }
    }

    #[test]
    fn repeated_shipped_lines_are_refused() {
        let line = Uuid::now_v7().to_string();
        let req = pb::IssueStockRequest {
            request_id: Uuid::now_v7().to_string(),
            order_id: Uuid::now_v7().to_string(),
            line_ids: vec![line.clone(), line.clone()],
            shipment_id: Uuid::now_v7().to_string(),
            ..Default::default()
        };
        assert_eq!(
            fields(Shipment::try_from(&req).expect_err("refused")),
            ["line_ids[1]"]
        );
        let units = |quantity| pb::IssueLine {
            line_id: line.clone(),
            quantity,
        };
        let by_units = pb::IssueStockRequest {
            line_ids: Vec::new(),
            lines: vec![units(0), units(2)],
            ..req.clone()
        };
        assert_eq!(
            fields(Shipment::try_from(&by_units).expect_err("refused")),
            ["lines[0].quantity", "lines[1].line_id"]
        );
        let both = pb::IssueStockRequest {
            lines: vec![units(1)],
            ..req
        };
        assert_eq!(
            fields(Shipment::try_from(&both).expect_err("refused")),
            ["lines"]
        );
    }
}
