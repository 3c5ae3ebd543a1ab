//! GetDemandHistory's request to a command.

use std::collections::HashSet;

use backorder_platform::ids::Violations;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1 as pb;

use crate::domain::MAX_HISTORY_DAYS;

/// Most SKUs one history request may name.
pub const MAX_HISTORY_SKUS: usize = 100;

/// Whose demand history, over how many days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    /// SKUs, distinct, in request order.
    pub skus: Vec<String>,
    /// Days ending today.
    pub days: usize,
}

impl TryFrom<&pb::GetDemandHistoryRequest> for HistoryQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::GetDemandHistoryRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        if req.skus.is_empty() {
            v.add("skus", "name at least one SKU");
        } else if req.skus.len() > MAX_HISTORY_SKUS {
            v.add("skus", format!("at most {MAX_HISTORY_SKUS} SKUs per call"));
        }
        let mut seen = HashSet::new();
        for (i, sku) in req.skus.iter().enumerate() {
            if sku.is_empty() {
                v.add(format!("skus[{i}]"), "is required");
            } else if !seen.insert(sku.as_str()) {
                v.add(format!("skus[{i}]"), "repeats an earlier SKU");
            }
        }
        if !(1..=MAX_HISTORY_DAYS).contains(&req.days) {
            v.add("days", format!("must be 1 to {MAX_HISTORY_DAYS}"));
        }
        v.finish()?;
        Ok(Self {
            skus: req.skus.clone(),
            days: usize::try_from(req.days)
                .map_err(|_| ServiceError::invalid("days", "must be positive"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_is_named() {
        let req = pb::GetDemandHistoryRequest {
            skus: vec!["A".into(), String::new(), "A".into()],
            days: 366,
        };
        match HistoryQuery::try_from(&req) {
            Err(ServiceError::InvalidArgument(list)) => {
                let fields: Vec<&str> = list.iter().map(|v| v.field.as_str()).collect();
                assert_eq!(fields, ["skus[1]", "skus[2]", "days"]);
            }
            other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
        }
        let none = pb::GetDemandHistoryRequest {
            skus: vec![],
            days: 0,
        };
        assert!(HistoryQuery::try_from(&none).is_err());
    }
}
