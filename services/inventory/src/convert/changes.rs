//! ChangeReservation into the change it asks for.

use backorder_platform::ids::Violations;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1 as pb;
use uuid::Uuid;

use super::requests::{check_quantity, check_sku};
use crate::wording;

/// What a waiting line should become: its own SKU with fewer units, or
/// another SKU.
#[derive(Debug, Clone)]
pub struct LineChange {
    /// Order id.
    pub order_id: Uuid,
    /// Line id.
    pub line_id: Uuid,
    /// SKU the line should have.
    pub sku: String,
    /// Units the line should have.
    pub quantity: i64,
    /// Whether the customer accepts waiting for a short substitute.
    pub accept_backorders: bool,
}

impl TryFrom<&pb::ChangeReservationRequest> for LineChange {
    type Error = ServiceError;

    fn try_from(req: &pb::ChangeReservationRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let order_id = v.uuid("order_id", &req.order_id);
        let line_id = v.uuid("line_id", &req.line_id);
        check_sku(&mut v, "sku", &req.sku);
        check_quantity(&mut v, "quantity", req.quantity);
        v.finish()?;
        match (order_id, line_id) {
            (Some(order_id), Some(line_id)) => Ok(Self {
                order_id,
                line_id,
                sku: req.sku.clone(),
                quantity: req.quantity,
                accept_backorders: req.accept_backorders,
            }),
            _ => Err(ServiceError::invalid("order_id", wording::REQUIRED)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_is_named() {
        let req = pb::ChangeReservationRequest {
            request_id: String::new(),
            order_id: "x".into(),
            line_id: String::new(),
            sku: "has space".into(),
            quantity: 0,
            accept_backorders: true,
        };
        let err = LineChange::try_from(&req).expect_err("refused");
        let text = format!("{err:?}");
        for field in ["order_id", "line_id", "sku", "quantity"] {
            assert!(text.contains(field), "{field} named: {text}");
        }
    }

    #[test]
    fn a_good_request_parses() {
        let req = pb::ChangeReservationRequest {
            request_id: String::new(),
            order_id: Uuid::from_u128(1).to_string(),
            line_id: Uuid::from_u128(2).to_string(),
            sku: "LAMP-10".into(),
            quantity: 3,
            accept_backorders: false,
        };
        let change = LineChange::try_from(&req).expect("parsed");
        assert_eq!((change.sku.as_str(), change.quantity), ("LAMP-10", 3));
        assert!(!change.accept_backorders);
    }
}
