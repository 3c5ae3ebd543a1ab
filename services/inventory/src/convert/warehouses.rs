//! Warehouse requests to commands.

use backorder_platform::ids::Violations;
use backorder_platform::warehouse::WarehouseCode;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1 as pb;

use crate::domain::{MAX_RANK, valid_rank};

/// A warehouse to open.
#[derive(Debug, Clone)]
pub struct NewWarehouse {
    /// Code.
    pub code: WarehouseCode,
    /// Display name, trimmed.
    pub name: String,
    /// Rank.
    pub rank: i32,
}

impl TryFrom<&pb::CreateWarehouseRequest> for NewWarehouse {
    type Error = ServiceError;

    fn try_from(req: &pb::CreateWarehouseRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let code = match WarehouseCode::parse("code", &req.code) {
            Ok(code) => Some(code),
            Err(violation) => {
                v.add(violation.field, violation.description);
                None
            }
        };
        v.text("name", &req.name, 200);
        if !valid_rank(req.rank) {
            v.add("rank", format!("must be 0 to {MAX_RANK} (lowest first)"));
        }
        v.finish()?;
        let code = code.ok_or_else(|| ServiceError::invalid("code", "is required"))?;
        Ok(Self {
            code,
            name: req.name.trim().to_owned(),
            rank: req.rank,
        })
    }
}

/// Where a page of warehouses starts: after this rank and code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarehouseKey {
    /// Rank of the last warehouse sent.
    pub rank: i32,
    /// Its code.
    pub code: String,
}

impl WarehouseKey {
    /// The key as a page token's text.
    pub fn encode(rank: i32, code: &WarehouseCode) -> String {
        format!("{rank}:{code}")
    }

    /// The key from a page token's text; `None` when malformed.
    pub fn decode(text: &str) -> Option<Self> {
        let (rank, code) = text.split_once(':')?;
        let rank: i32 = rank.parse().ok()?;
        let code = WarehouseCode::parse("page_token", code).ok()?;
        Some(Self {
            rank,
            code: code.into_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_warehouse_names_every_bad_field() {
        let bad = pb::CreateWarehouseRequest {
            request_id: String::new(),
            code: "East Coast".into(),
            name: " ".into(),
            rank: 1001,
        };
        match NewWarehouse::try_from(&bad) {
            Err(ServiceError::InvalidArgument(list)) => {
                let fields: Vec<&str> = list.iter().map(|v| v.field.as_str()).collect();
                assert_eq!(fields, ["code", "name", "rank"]);
            }
            other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
        }
    }

    #[test]
    fn page_keys_round_trip_and_malformed_ones_are_refused() {
        let code = WarehouseCode::parse("code", "east").expect("code");
        let text = WarehouseKey::encode(10, &code);
        assert_eq!(
            WarehouseKey::decode(&text),
            Some(WarehouseKey {
                rank: 10,
                code: "east".into()
            })
        );
        for bad in ["", "10", "x:east", "10:East"] {
            assert_eq!(WarehouseKey::decode(bad), None, "{bad}");
        }
    }
}
