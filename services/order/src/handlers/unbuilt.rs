//! TEMPORARY while these RPCs are being built; each moves to its own file.

use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::order::v1 as pb;

use super::OrderApi;

fn unbuilt() -> ServiceError {
    ServiceError::Unavailable {
        reason: "UNBUILT",
        message: "not built yet".into(),
    }
}

impl OrderApi {
    /// The `AnswerDelay` RPC.
    pub async fn answer_delay(
        &self,
        _req: pb::AnswerDelayRequest,
    ) -> ServiceResult<pb::AnswerDelayResponse> {
        Err(unbuilt())
    }
    /// The `ChangeOrderLine` RPC.
    pub async fn change_order_line(
        &self,
        _req: pb::ChangeOrderLineRequest,
    ) -> ServiceResult<pb::ChangeOrderLineResponse> {
        Err(unbuilt())
    }
}
