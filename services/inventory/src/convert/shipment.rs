//! IssueStock's request to a command: whole lines, or units per line from
//! one warehouse.

use backorder_platform::ids::Violations;
use backorder_platform::warehouse::WarehouseCode;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1 as pb;
use uuid::Uuid;

use crate::domain::MAX_LINES;
use crate::wording;

/// Lines of an order that shipped.
#[derive(Debug, Clone)]
pub struct Shipment {
    /// Order id.
    pub order_id: Uuid,
    /// Shipment that took the stock.
    pub shipment_id: Uuid,
    /// Shipped lines, distinct.
    pub line_ids: Vec<Uuid>,
    /// Units shipped per line (same order as `line_ids`); `None` for whole
    /// lines.
    pub quantities: Option<Vec<i64>>,
    /// Warehouse the units leave from (for `quantities`; whole lines leave
    /// from wherever they are held).
    pub warehouse: WarehouseCode,
}

impl TryFrom<&pb::IssueStockRequest> for Shipment {
    type Error = ServiceError;

    fn try_from(req: &pb::IssueStockRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let order_id = v.uuid("order_id", &req.order_id);
        let shipment_id = v.uuid("shipment_id", &req.shipment_id);
        let (named, quantities): (Vec<(String, &str)>, Option<Vec<i64>>) =
            match (req.line_ids.is_empty(), req.lines.is_empty()) {
                (false, true) => (
                    req.line_ids
                        .iter()
                        .enumerate()
                        .map(|(i, id)| (format!("line_ids[{i}]"), id.as_str()))
                        .collect(),
                    None,
                ),
                (true, false) => {
                    for (i, line) in req.lines.iter().enumerate() {
                        if line.quantity < 1 {
                            v.add(format!("lines[{i}].quantity"), "must be at least 1");
                        }
                    }
                    (
                        req.lines
                            .iter()
                            .enumerate()
                            .map(|(i, l)| (format!("lines[{i}].line_id"), l.line_id.as_str()))
                            .collect(),
                        Some(req.lines.iter().map(|l| l.quantity).collect()),
                    )
                }
                (true, true) => {
                    v.add("line_ids", wording::NO_SHIPPED_LINES);
                    (Vec::new(), None)
                }
                (false, false) => {
                    v.add(
                        "lines",
                        "give line_ids (whole lines) or lines (units), not both",
                    );
                    (Vec::new(), None)
                }
            };
        if named.len() > MAX_LINES {
            v.add("line_ids", wording::too_many_lines());
        }
        let mut line_ids = Vec::with_capacity(named.len());
        for (field, id) in &named {
            if let Some(id) = v.uuid(field, id) {
                if line_ids.contains(&id) {
                    v.add(field.clone(), wording::REPEATED_LINE);
                } else {
                    line_ids.push(id);
                }
            }
        }
        let warehouse = v.warehouse("warehouse", &req.warehouse);
        v.finish()?;
        match (order_id, shipment_id, warehouse) {
            (Some(order_id), Some(shipment_id), Some(warehouse)) => Ok(Self {
                order_id,
                shipment_id,
                line_ids,
                quantities,
                warehouse,
            }),
            _ => Err(ServiceError::invalid("order_id", wording::REQUIRED)),
        }
    }
}
