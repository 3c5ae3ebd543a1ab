//! TEMPORARY while these RPCs are being built; each moves to its own file.

use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1 as pb;

use super::InventoryApi;

fn unbuilt() -> ServiceError {
    ServiceError::Unavailable {
        reason: "UNBUILT",
        message: "not built yet".into(),
    }
}

impl InventoryApi {
    /// The `SetInboundSupply` RPC.
    pub async fn set_inbound_supply(
        &self,
        _req: pb::SetInboundSupplyRequest,
    ) -> ServiceResult<pb::SetInboundSupplyResponse> {
        Err(unbuilt())
    }
    /// The `ChangeReservation` RPC.
    pub async fn change_reservation(
        &self,
        _req: pb::ChangeReservationRequest,
    ) -> ServiceResult<pb::ChangeReservationResponse> {
        Err(unbuilt())
    }
}
