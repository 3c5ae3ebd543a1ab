//! ReduceDemand into the reduction it asks for.

use backorder_platform::ServiceError;
use backorder_platform::ids::Violations;
use backorder_proto::procurement::v1 as pb;

use crate::domain::{DemandReduction, Quantity};

impl TryFrom<&pb::ReduceDemandRequest> for DemandReduction {
    type Error = ServiceError;

    fn try_from(req: &pb::ReduceDemandRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let demand_id = v.uuid("demand_id", &req.demand_id);
        let quantity = Quantity::new(req.quantity)
            .map_err(|out_of_range| v.add("quantity", out_of_range.to_string()))
            .ok();
        v.finish()?;
        match (demand_id, quantity) {
            (Some(demand_id), Some(quantity)) => Ok(Self {
                demand_id,
                quantity,
            }),
            _ => Err(ServiceError::Internal(
                "a checked ReduceDemand lost a field".to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_id_and_a_quantity_below_one_are_both_named() {
        let req = pb::ReduceDemandRequest {
            request_id: String::new(),
            demand_id: "nope".into(),
            quantity: 0,
        };
        let text = format!(
            "{:?}",
            DemandReduction::try_from(&req).expect_err("refused")
        );
        assert!(
            text.contains("demand_id") && text.contains("quantity"),
            "{text}"
        );
    }

    #[test]
    fn a_good_request_parses() {
        let id = uuid::Uuid::from_u128(7);
        let req = pb::ReduceDemandRequest {
            request_id: String::new(),
            demand_id: id.to_string(),
            quantity: 2,
        };
        let reduction = DemandReduction::try_from(&req).expect("parsed");
        assert_eq!((reduction.demand_id, reduction.quantity.get()), (id, 2));
    }
}
