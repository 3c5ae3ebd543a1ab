//! ChangeOrderLine on the wire: the request parsed, inventory asked, and
//! inventory's answer read back.

use backorder_platform::ServiceError;
use backorder_platform::ids::Violations;
use backorder_platform::time::from_timestamp;
use backorder_proto::inventory::v1 as inventory_pb;
use backorder_proto::order::v1 as pb;
use uuid::Uuid;

use super::views::reservation_outcomes;
use crate::domain::changes::{Changed, LineChange, Target};
use crate::domain::limits::{MAX_QUANTITY, quantity_in_bounds, sku_problem};
use crate::domain::{Line, Order};

/// Mixed into the caller's request id to make inventory's: a retry of the
/// same ChangeOrderLine asks inventory under the same id (and gets its
/// stored answer), and the id never collides with ones order sends
/// inventory for other work (order ids, outbox message ids: both v7).
const INVENTORY_REQUEST_MASK: u128 = 0x6368_616e_6765_2d6c_696e_652d_6964_0001;

impl TryFrom<&pb::ChangeOrderLineRequest> for LineChange {
    type Error = ServiceError;

    fn try_from(req: &pb::ChangeOrderLineRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let request_id = v.uuid("request_id", &req.request_id);
        let order_id = v.uuid("order_id", &req.order_id);
        let line_id = v.uuid("line_id", &req.line_id);
        let sku = req.sku.trim();
        let sku = if sku.is_empty() {
            None
        } else {
            if let Some(problem) = sku_problem(sku) {
                v.add("sku", problem);
            }
            Some(sku.to_owned())
        };
        let quantity = match req.quantity {
            0 if sku.is_none() => {
                v.add(
                    "quantity",
                    "nothing to change: name a substitute sku, fewer units, or both",
                );
                None
            }
            0 => None,
            units if quantity_in_bounds(units) => Some(units),
            _ => {
                v.add(
                    "quantity",
                    format!(
                        "must be 1 to {MAX_QUANTITY}, or 0 to keep the line's with a substitute"
                    ),
                );
                None
            }
        };
        v.finish()?;
        match (request_id, order_id, line_id) {
            (Some(request_id), Some(order_id), Some(line_id)) => Ok(Self {
                request_id,
                order_id,
                line_id,
                sku,
                quantity,
            }),
            _ => Err(ServiceError::Internal(
                "a checked ChangeOrderLine lost a field".to_owned(),
            )),
        }
    }
}

/// Inventory's request id for the ChangeOrderLine `request_id`.
pub fn inventory_request_id(request_id: Uuid) -> Uuid {
    let mixed = request_id.as_u128() ^ INVENTORY_REQUEST_MASK;
    uuid::Builder::from_custom_bytes(mixed.to_be_bytes()).into_uuid()
}

/// What inventory is asked: `line` of `order` to become `target`.
pub fn change_request(
    change: &LineChange,
    order: &Order,
    line: &Line,
    target: &Target,
) -> inventory_pb::ChangeReservationRequest {
    inventory_pb::ChangeReservationRequest {
        request_id: inventory_request_id(change.request_id).to_string(),
        order_id: order.id.to_string(),
        line_id: line.id.to_string(),
        sku: target.sku.clone(),
        quantity: target.quantity,
        accept_backorders: order.accept_backorders,
    }
}

/// Inventory's answer, read as placements read theirs.
pub fn changed(reply: inventory_pb::ChangeReservationResponse) -> Result<Changed, ServiceError> {
    let line = reply
        .line
        .ok_or_else(|| ServiceError::Internal("inventory answered no line".to_owned()))?;
    let sku = line.sku.clone();
    let promised = line.promised_from.as_ref().map(from_timestamp);
    let as_placed = inventory_pb::ReserveOrderResponse {
        order_id: String::new(),
        lines: vec![line],
    };
    let outcome = reservation_outcomes(&as_placed)?
        .into_values()
        .next()
        .ok_or_else(|| ServiceError::Internal("inventory answered no line".to_owned()))?;
    Ok(Changed {
        sku,
        reserved_from: outcome.reserved_from,
        reserved: outcome.reserved,
        backordered: outcome.backordered,
        promised,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(sku: &str, quantity: i64) -> pb::ChangeOrderLineRequest {
        pb::ChangeOrderLineRequest {
            request_id: Uuid::now_v7().to_string(),
            order_id: Uuid::now_v7().to_string(),
            line_id: Uuid::now_v7().to_string(),
            sku: sku.to_owned(),
            quantity,
        }
    }

    fn refused_fields(req: &pb::ChangeOrderLineRequest) -> String {
        format!("{:?}", LineChange::try_from(req).expect_err("refused"))
    }

    #[test]
    fn a_substitute_may_keep_the_units_and_a_reduction_names_them() {
        let substitute = LineChange::try_from(&request(" LAMP-10 ", 0)).expect("parsed");
        assert_eq!(substitute.sku.as_deref(), Some("LAMP-10"));
        assert_eq!(substitute.quantity, None);
        let reduction = LineChange::try_from(&request("", 3)).expect("parsed");
        assert_eq!((reduction.sku, reduction.quantity), (None, Some(3)));
    }

    #[test]
    fn nothing_to_change_and_bad_fields_are_named() {
        assert!(refused_fields(&request("", 0)).contains("nothing to change"));
        assert!(refused_fields(&request("A B", 2)).contains("sku"));
        for bad in [-1, MAX_QUANTITY + 1] {
            assert!(refused_fields(&request("", bad)).contains("quantity"));
        }
        let mut req = request("LAMP-10", 1);
        req.order_id = "x".into();
        req.line_id = String::new();
        let text = refused_fields(&req);
        assert!(
            text.contains("order_id") && text.contains("line_id"),
            "{text}"
        );
    }

    #[test]
    fn inventory_is_asked_under_an_id_fixed_by_the_request_id() {
        let id = Uuid::now_v7();
        assert_eq!(inventory_request_id(id), inventory_request_id(id));
        assert_ne!(inventory_request_id(id), id);
        assert_ne!(
            inventory_request_id(id),
            inventory_request_id(Uuid::now_v7())
        );
    }
}
