//! Requests into commands. Each conversion checks every field, reports all
//! violations together (`INVALID_ARGUMENT` with one entry per field), and
//! only then builds the typed command.

use std::collections::HashSet;

use backorder_platform::ServiceError;
use backorder_platform::ids::{Violations, parse_uuid};
use backorder_platform::time::from_timestamp;
use backorder_platform::warehouse::WarehouseCode;
use backorder_proto::procurement::v1 as pb;
use uuid::Uuid;

use crate::domain::{
    self, Acknowledgement, Cancellation, DropShipment, MAX_CARRIER_CHARS, MAX_LEAD_TIME_DAYS,
    MAX_RECEIPT_LINES, MAX_TRACKING_CHARS, NewDemand, NewSupplier, OfferTerms, PoStatus,
    PurchaseOrderFilter, Quantity, Receipt, ReceiptLine,
};

/// Longest SKU.
const MAX_SKU_CHARS: usize = 64;
/// Longest supplier name.
const MAX_NAME_CHARS: usize = 200;
/// Longest cancellation reason.
const MAX_REASON_CHARS: usize = 500;

/// A required id field.
pub fn parse_id(field: &str, value: &str) -> Result<Uuid, ServiceError> {
    parse_uuid(field, value)
}

pub(super) fn sku(v: &mut Violations, field: &str, sku: &str) {
    if sku.is_empty() {
        v.add(field, "is required");
    } else if sku.chars().count() > MAX_SKU_CHARS || sku.chars().any(char::is_whitespace) {
        v.add(
            field,
            format!("must be 1-{MAX_SKU_CHARS} characters without spaces"),
        );
    }
}

fn quantity(v: &mut Violations, field: &str, units: i64) -> Quantity {
    Quantity::new(units).unwrap_or_else(|out_of_range| {
        v.add(field, out_of_range.to_string());
        // A placeholder never used: `finish` refuses the request first.
        Quantity::ONE
    })
}

impl TryFrom<&pb::CreateSupplierRequest> for NewSupplier {
    type Error = ServiceError;

    fn try_from(req: &pb::CreateSupplierRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        v.text("name", &req.name, MAX_NAME_CHARS);
        if !(0..=MAX_LEAD_TIME_DAYS).contains(&req.lead_time_days) {
            v.add(
                "lead_time_days",
                format!("must be 0 to {MAX_LEAD_TIME_DAYS}"),
            );
        }
        v.finish()?;
        Ok(Self {
            name: req.name.trim().to_owned(),
            lead_time_days: req.lead_time_days,
        })
    }
}

impl TryFrom<&pb::SetSupplierItemRequest> for OfferTerms {
    type Error = ServiceError;

    fn try_from(req: &pb::SetSupplierItemRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let supplier_id = v.uuid("supplier_id", &req.supplier_id);
        sku(&mut v, "sku", &req.sku);
        if req.unit_cost_minor < 0 {
            v.add("unit_cost_minor", "must be 0 or more");
        }
        let minimum_order_quantity =
            quantity(&mut v, "minimum_order_quantity", req.minimum_order_quantity);
        let case_pack = quantity(&mut v, "case_pack", req.case_pack);
        v.finish()?;
        Ok(Self {
            supplier_id: supplier_id.unwrap_or_default(),
            sku: req.sku.clone(),
            unit_cost_minor: req.unit_cost_minor,
            minimum_order_quantity,
            case_pack,
            preferred: req.preferred,
            drop_ship: req.drop_ship,
        })
    }
}

impl TryFrom<&pb::AddDemandRequest> for NewDemand {
    type Error = ServiceError;

    fn try_from(req: &pb::AddDemandRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let demand_id = v.uuid("demand_id", &req.demand_id);
        sku(&mut v, "sku", &req.sku);
        let units = quantity(&mut v, "quantity", req.quantity);
        let order_id = v.uuid("order_id", &req.order_id);
        let line_id = v.uuid("line_id", &req.line_id);
        let ship_to = domain::ship_to(req.drop_ship, &req.ship_to_address)
            .map_err(|description| v.add("ship_to_address", description))
            .unwrap_or_default();
        v.finish()?;
        Ok(Self {
            demand_id: demand_id.unwrap_or_default(),
            sku: req.sku.clone(),
            quantity: units,
            order_id: order_id.unwrap_or_default(),
            line_id: line_id.unwrap_or_default(),
            ship_to,
        })
    }
}

impl TryFrom<&pb::AcknowledgePurchaseOrderRequest> for Acknowledgement {
    type Error = ServiceError;

    fn try_from(req: &pb::AcknowledgePurchaseOrderRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let purchase_order_id = v.uuid("purchase_order_id", &req.purchase_order_id);
        match &req.promised_time {
            None => v.add("promised_time", "is required"),
            Some(ts) => v.timestamp("promised_time", ts),
        }
        v.finish()?;
        Ok(Self {
            purchase_order_id: purchase_order_id.unwrap_or_default(),
            promised_at: req.promised_time.as_ref().map_or(0, from_timestamp),
        })
    }
}

impl TryFrom<&pb::ReceivePurchaseOrderRequest> for Receipt {
    type Error = ServiceError;

    fn try_from(req: &pb::ReceivePurchaseOrderRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let purchase_order_id = v.uuid("purchase_order_id", &req.purchase_order_id);
        if req.lines.is_empty() {
            v.add("lines", "must have at least one line");
        } else if req.lines.len() > MAX_RECEIPT_LINES {
            v.add(
                "lines",
                format!("must have at most {MAX_RECEIPT_LINES} lines"),
            );
        }
        let mut seen = HashSet::new();
        let mut lines = Vec::with_capacity(req.lines.len());
        for (i, line) in req.lines.iter().enumerate() {
            sku(&mut v, &format!("lines[{i}].sku"), &line.sku);
            if !line.sku.is_empty() && !seen.insert(line.sku.as_str()) {
                v.add(format!("lines[{i}].sku"), "repeats an earlier line's SKU");
            }
            let units = quantity(&mut v, &format!("lines[{i}].quantity"), line.quantity);
            lines.push(ReceiptLine {
                sku: line.sku.clone(),
                quantity: units,
            });
        }
        let warehouse = v.warehouse("warehouse", &req.warehouse);
        v.finish()?;
        Ok(Self {
            purchase_order_id: purchase_order_id.unwrap_or_default(),
            lines,
            warehouse: warehouse.unwrap_or_else(WarehouseCode::default_warehouse),
        })
    }
}

impl TryFrom<&pb::CancelPurchaseOrderRequest> for Cancellation {
    type Error = ServiceError;

    fn try_from(req: &pb::CancelPurchaseOrderRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let purchase_order_id = v.uuid("purchase_order_id", &req.purchase_order_id);
        if req.reason.chars().count() > MAX_REASON_CHARS {
            v.add(
                "reason",
                format!("must be at most {MAX_REASON_CHARS} characters"),
            );
        }
        v.finish()?;
        Ok(Self {
            purchase_order_id: purchase_order_id.unwrap_or_default(),
        })
    }
}

impl TryFrom<&pb::ConfirmDropShipmentRequest> for DropShipment {
    type Error = ServiceError;

    fn try_from(req: &pb::ConfirmDropShipmentRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let purchase_order_id = v.uuid("purchase_order_id", &req.purchase_order_id);
        v.text("carrier", &req.carrier, MAX_CARRIER_CHARS);
        v.text("tracking_number", &req.tracking_number, MAX_TRACKING_CHARS);
        v.finish()?;
        Ok(Self {
            purchase_order_id: purchase_order_id.unwrap_or_default(),
            carrier: req.carrier.trim().to_owned(),
            tracking_number: req.tracking_number.trim().to_owned(),
        })
    }
}

impl TryFrom<&pb::ListPurchaseOrdersRequest> for PurchaseOrderFilter {
    type Error = ServiceError;

    fn try_from(req: &pb::ListPurchaseOrdersRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let supplier_id = if req.supplier_id.is_empty() {
            None
        } else {
            v.uuid("supplier_id", &req.supplier_id)
        };
        let status = match req.status {
            0 => None,
            code => PoStatus::try_from(code)
                .map_err(|_| v.add("status", "must be a purchase order status or unspecified"))
                .ok(),
        };
        v.finish()?;
        Ok(Self {
            supplier_id,
            status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MAX_QUANTITY;

    fn fields(error: ServiceError) -> Vec<String> {
        match error {
            ServiceError::InvalidArgument(v) => v.into_iter().map(|f| f.field).collect(),
            other => panic!("expected invalid argument, got {other:?}"),
        }
    }

    fn demand(quantity: i64) -> pb::AddDemandRequest {
        pb::AddDemandRequest {
            request_id: Uuid::now_v7().to_string(),
            demand_id: Uuid::now_v7().to_string(),
            sku: "SKU-1".into(),
            quantity,
            order_id: Uuid::now_v7().to_string(),
            line_id: Uuid::now_v7().to_string(),
            drop_ship: false,
            ship_to_address: String::new(),
        }
    }

    #[test]
    fn demand_quantity_is_bounded_at_both_ends() {
        assert!(NewDemand::try_from(&demand(1)).is_ok());
        let at_limit = NewDemand::try_from(&demand(MAX_QUANTITY)).expect("at the limit");
        assert_eq!(at_limit.quantity.get(), MAX_QUANTITY);
        for bad in [0, -1, MAX_QUANTITY + 1, i64::MAX, i64::MIN] {
            let error = NewDemand::try_from(&demand(bad)).expect_err("refused");
            assert_eq!(fields(error), ["quantity"], "{bad}");
        }
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let req = pb::SetSupplierItemRequest {
            request_id: String::new(),
            supplier_id: "nope".into(),
            sku: "has space".into(),
            unit_cost_minor: -1,
            minimum_order_quantity: MAX_QUANTITY + 1,
            case_pack: 0,
            preferred: false,
            drop_ship: true,
        };
        let error = OfferTerms::try_from(&req).expect_err("refused");
        assert_eq!(
            fields(error),
            [
                "supplier_id",
                "sku",
                "unit_cost_minor",
                "minimum_order_quantity",
                "case_pack"
            ]
        );
    }

    #[test]
    fn a_drop_ship_demand_carries_its_trimmed_address() {
        let req = pb::AddDemandRequest {
            drop_ship: true,
            ship_to_address: " 2 Harbour Road ".into(),
            ..demand(3)
        };
        let command = NewDemand::try_from(&req).expect("valid");
        assert_eq!(
            command.ship_to.as_ref().map(|a| a.as_str()),
            Some("2 Harbour Road")
        );
        assert_eq!(
            NewDemand::try_from(&demand(3)).expect("stock").ship_to,
            None
        );
        for (drop_ship, address) in [(true, ""), (true, "  "), (false, "2 Harbour Road")] {
            let req = pb::AddDemandRequest {
                drop_ship,
                ship_to_address: address.into(),
                ..demand(3)
            };
            let error = NewDemand::try_from(&req).expect_err("refused");
            assert_eq!(
                fields(error),
                ["ship_to_address"],
                "{drop_ship} {address:?}"
            );
        }
    }

    #[test]
    fn a_drop_shipment_names_carrier_and_tracking_number() {
        let req = |carrier: &str, tracking: &str| pb::ConfirmDropShipmentRequest {
            request_id: String::new(),
            purchase_order_id: Uuid::now_v7().to_string(),
            carrier: carrier.into(),
            tracking_number: tracking.into(),
        };
        let ok = DropShipment::try_from(&req(" UPS ", "1Z")).expect("valid");
        assert_eq!(
            (ok.carrier.as_str(), ok.tracking_number.as_str()),
            ("UPS", "1Z")
        );
        let long = "x".repeat(MAX_CARRIER_CHARS + 1);
        assert!(DropShipment::try_from(&req(&"x".repeat(MAX_CARRIER_CHARS), "1Z")).is_ok());
        let error = DropShipment::try_from(&req(&long, " ")).expect_err("refused");
        assert_eq!(fields(error), ["carrier", "tracking_number"]);
        let error = DropShipment::try_from(&pb::ConfirmDropShipmentRequest {
            purchase_order_id: "nope".into(),
            ..req("UPS", "1Z")
        })
        .expect_err("refused");
        assert_eq!(fields(error), ["purchase_order_id"]);
    }

    #[test]
    fn lead_times_are_bounded() {
        let req = |days| pb::CreateSupplierRequest {
            request_id: String::new(),
            name: "Acme".into(),
            lead_time_days: days,
        };
        assert!(NewSupplier::try_from(&req(MAX_LEAD_TIME_DAYS)).is_ok());
        assert!(NewSupplier::try_from(&req(MAX_LEAD_TIME_DAYS + 1)).is_err());
        assert!(NewSupplier::try_from(&req(-1)).is_err());
    }

    #[test]
    fn receipt_lines_are_checked_one_by_one() {
        let line = |sku: &str, quantity| pb::ReceiptLine {
            sku: sku.into(),
            quantity,
        };
        let req = pb::ReceivePurchaseOrderRequest {
            request_id: String::new(),
            purchase_order_id: Uuid::now_v7().to_string(),
            lines: vec![
                line("A", MAX_QUANTITY),
                line("A", 1),
                line("B", MAX_QUANTITY + 1),
            ],
            warehouse: "East".into(),
        };
        let error = Receipt::try_from(&req).expect_err("refused");
        assert_eq!(
            fields(error),
            ["lines[1].sku", "lines[2].quantity", "warehouse"]
        );
    }
}
