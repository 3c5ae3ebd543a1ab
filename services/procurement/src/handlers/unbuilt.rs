//! TEMPORARY while this RPC is being built; it moves to its own file.

use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::procurement::v1 as pb;

use super::ProcurementApi;

impl ProcurementApi {
    /// The `ReduceDemand` RPC.
    pub async fn reduce_demand(
        &self,
        _req: pb::ReduceDemandRequest,
    ) -> ServiceResult<pb::ReduceDemandResponse> {
        Err(ServiceError::Unavailable {
            reason: "UNBUILT",
            message: "not built yet".into(),
        })
    }
}
