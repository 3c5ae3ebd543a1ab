//! GetFulfilmentSettings: the merchant's defaults, as configured.

use backorder_platform::ServiceResult;
use backorder_proto::order::v1 as pb;

use super::OrderApi;
use crate::domain::ShipPolicy;

/// The merchant's fulfilment defaults (settings `fulfilment.*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FulfilmentSettings {
    /// Ship policy of an order placed without one.
    pub default_ship_policy: ShipPolicy,
}

impl Default for FulfilmentSettings {
    fn default() -> Self {
        Self {
            default_ship_policy: ShipPolicy::AsAvailable,
        }
    }
}

impl OrderApi {
    /// The `GetFulfilmentSettings` RPC.
    pub async fn get_fulfilment_settings(
        &self,
        _req: pb::GetFulfilmentSettingsRequest,
    ) -> ServiceResult<pb::GetFulfilmentSettingsResponse> {
        let policy = self.fulfilment.default_ship_policy;
        Ok(pb::GetFulfilmentSettingsResponse {
            default_ship_policy: policy.code(),
            default_max_shipments: policy.max_shipments(),
            delay_answer_hours: 0,
            unanswered_delay: 0,
            charge_at: 0,
        })
    }
}
