//! SetInboundSupply parsed, and promises as sent.

use backorder_platform::ids::Violations;
use backorder_platform::time::{from_timestamp, to_timestamp};
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1 as pb;

use super::requests::check_sku;
use crate::domain::{InboundSupply, Lot, MAX_LEAD_TIME_DAYS, MAX_LOTS, Promise};

/// A SKU's inbound supply as procurement reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupplySnapshot {
    /// SKU.
    pub sku: String,
    /// The supply.
    pub supply: InboundSupply,
}

impl TryFrom<&pb::SetInboundSupplyRequest> for SupplySnapshot {
    type Error = ServiceError;

    fn try_from(req: &pb::SetInboundSupplyRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        check_sku(&mut v, "sku", &req.sku);
        if req.revision < 1 {
            v.add(
                "revision",
                "must be at least 1 (a later snapshot has a higher revision)",
            );
        }
        if req.lots.len() > MAX_LOTS {
            v.add("lots", format!("must have at most {MAX_LOTS} lots"));
        }
        if let Some(days) = req.lead_time_days
            && !(0..=MAX_LEAD_TIME_DAYS).contains(&days)
        {
            v.add(
                "lead_time_days",
                format!("must be 0 to {MAX_LEAD_TIME_DAYS} days"),
            );
        }
        let mut lots = Vec::with_capacity(req.lots.len());
        for (i, lot) in req.lots.iter().enumerate() {
            let field = |name: &str| format!("lots[{i}].{name}");
            if lot.quantity < 1 {
                v.add(field("quantity"), "must be at least 1");
            }
            if lot.purchase_order_id.is_empty() {
                v.add(field("purchase_order_id"), "is required");
            }
            match &lot.expected_time {
                None => v.add(field("expected_time"), "is required"),
                Some(at) => {
                    v.timestamp(&field("expected_time"), at);
                    lots.push(Lot {
                        purchase_order_id: lot.purchase_order_id.clone(),
                        quantity: lot.quantity,
                        expected_at: from_timestamp(at),
                        confirmed: lot.confirmed,
                    });
                }
            }
        }
        v.finish()?;
        Ok(Self {
            sku: req.sku.clone(),
            supply: InboundSupply::new(req.revision, lots, req.lead_time_days),
        })
    }
}

/// A promise's two dates as sent (both unset without a promise).
pub fn promise_dates(
    promise: Option<&Promise>,
) -> (
    Option<prost_types::Timestamp>,
    Option<prost_types::Timestamp>,
) {
    match promise {
        Some(p) => (Some(to_timestamp(p.from)), Some(to_timestamp(p.to))),
        None => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> pb::SetInboundSupplyRequest {
        pb::SetInboundSupplyRequest {
            request_id: "r".into(),
            sku: "LAMP-1".into(),
            revision: 3,
            lots: vec![pb::InboundLot {
                purchase_order_id: "po".into(),
                quantity: 4,
                expected_time: Some(to_timestamp(86_400_000)),
                confirmed: true,
            }],
            lead_time_days: Some(7),
        }
    }

    #[test]
    fn a_good_snapshot_parses_and_every_bad_field_is_named() {
        let parsed = SupplySnapshot::try_from(&request()).expect("parses");
        assert_eq!(parsed.supply.units(), 4);
        let bad = pb::SetInboundSupplyRequest {
            sku: String::new(),
            revision: 0,
            lots: vec![pb::InboundLot {
                purchase_order_id: String::new(),
                quantity: 0,
                expected_time: None,
                confirmed: false,
            }],
            lead_time_days: Some(-1),
            ..request()
        };
        let Err(ServiceError::InvalidArgument(violations)) = SupplySnapshot::try_from(&bad) else {
            panic!("refused");
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "sku",
                "revision",
                "lead_time_days",
                "lots[0].quantity",
                "lots[0].purchase_order_id",
                "lots[0].expected_time"
            ]
        );
    }
}
