//! GetFulfilmentSettings: the merchant's defaults, as configured.

use backorder_platform::ServiceResult;
use backorder_proto::order::v1 as pb;

use super::OrderApi;
use crate::delays::DelaySettings;
use crate::domain::ShipPolicy;
use crate::domain::charging::ChargeAt;

/// The merchant's fulfilment defaults (settings `fulfilment.*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FulfilmentSettings {
    /// Ship policy of an order placed without one.
    pub default_ship_policy: ShipPolicy,
    /// When lines are charged (setting `payments.charge_at`).
    pub charge_at: ChargeAt,
    /// Delays offered to customers (settings `delays.*`).
    pub delays: DelaySettings,
}

impl Default for FulfilmentSettings {
    fn default() -> Self {
        Self {
            default_ship_policy: ShipPolicy::AsAvailable,
            charge_at: ChargeAt::Never,
            delays: DelaySettings::default(),
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
            delay_answer_hours: self.fulfilment.delays.answer_within_hours,
            unanswered_delay: self.fulfilment.delays.rule.when_unanswered.code(),
            charge_at: self.fulfilment.charge_at.code(),
        })
    }
}
