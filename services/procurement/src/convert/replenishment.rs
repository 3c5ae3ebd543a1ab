//! Replenishment and schedules between the wire and the rules: policy and
//! schedule requests checked field by field, and the plan as answered.

use backorder_platform::ServiceError;
use backorder_platform::ids::Violations;
use backorder_proto::procurement::v1 as pb;

use super::requests::sku;
use crate::domain::{
    MAX_AUTO_SUBMIT_HOURS, MAX_HISTORY_DAYS, MAX_SERVICE_LEVEL_PERCENT, MIN_HISTORY_DAYS,
    MIN_SERVICE_LEVEL_PERCENT, Plan, PolicyTerms, SupplierSchedule,
};
use crate::store::replenishment_policy;

impl TryFrom<&pb::SetReplenishmentPolicyRequest> for PolicyTerms {
    type Error = ServiceError;

    fn try_from(req: &pb::SetReplenishmentPolicyRequest) -> Result<Self, Self::Error> {
        let Some(policy) = &req.policy else {
            return Err(ServiceError::invalid(
                "policy",
                "is required: the SKU, whether it is replenished, its service level and days of history",
            ));
        };
        let mut v = Violations::new();
        sku(&mut v, "policy.sku", &policy.sku);
        // NaN is in no range, so it is refused here too.
        if !(MIN_SERVICE_LEVEL_PERCENT..=MAX_SERVICE_LEVEL_PERCENT)
            .contains(&policy.service_level_percent)
        {
            v.add(
                "policy.service_level_percent",
                format!(
                    "must be {MIN_SERVICE_LEVEL_PERCENT} to {MAX_SERVICE_LEVEL_PERCENT} (percent)"
                ),
            );
        }
        if !(MIN_HISTORY_DAYS..=MAX_HISTORY_DAYS).contains(&policy.history_days) {
            v.add(
                "policy.history_days",
                format!("must be {MIN_HISTORY_DAYS} to {MAX_HISTORY_DAYS}"),
            );
        }
        v.finish()?;
        Ok(Self {
            sku: policy.sku.clone(),
            enabled: policy.enabled,
            service_level_percent: policy.service_level_percent,
            history_days: policy.history_days,
        })
    }
}

impl TryFrom<&pb::SetSupplierScheduleRequest> for SupplierSchedule {
    type Error = ServiceError;

    fn try_from(req: &pb::SetSupplierScheduleRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let supplier_id = v.uuid("supplier_id", &req.supplier_id);
        if !(0..=MAX_AUTO_SUBMIT_HOURS).contains(&req.auto_submit_hours) {
            v.add(
                "auto_submit_hours",
                format!("must be 0 (off) to {MAX_AUTO_SUBMIT_HOURS}"),
            );
        }
        v.finish()?;
        Ok(Self {
            supplier_id: supplier_id.unwrap_or_default(),
            auto_submit_hours: req.auto_submit_hours,
        })
    }
}

/// The SKU a plan is asked for.
pub fn plan_sku(req: &pb::GetReplenishmentPlanRequest) -> Result<String, ServiceError> {
    let mut v = Violations::new();
    sku(&mut v, "sku", &req.sku);
    v.finish()?;
    Ok(req.sku.clone())
}

/// A stored policy.
pub fn policy(model: &replenishment_policy::Model) -> pb::ReplenishmentPolicy {
    pb::ReplenishmentPolicy {
        sku: model.sku.clone(),
        enabled: model.enabled,
        service_level_percent: model.service_level_percent,
        history_days: model.history_days,
    }
}

/// What a plan was made of besides the demand history: the supplier that
/// gets the SKU's demand, and what inventory and the purchase orders hold.
#[derive(Clone, Debug, Default)]
pub struct PlanContext {
    /// The supplier (UUID), empty when none supplies the SKU.
    pub supplier_id: String,
    /// Its lead time, days.
    pub lead_time_days: i32,
    /// Available now.
    pub available: i64,
    /// On open purchase orders, not yet received.
    pub on_order: i64,
    /// Waiting for stock.
    pub backlog_units: i64,
    /// The open replenishment demand, empty when none.
    pub open_demand_id: String,
}

/// The plan as answered.
pub fn plan(
    model: &replenishment_policy::Model,
    context: PlanContext,
    plan: &Plan,
) -> pb::GetReplenishmentPlanResponse {
    pb::GetReplenishmentPlanResponse {
        policy: Some(policy(model)),
        supplier_id: context.supplier_id,
        lead_time_days: context.lead_time_days,
        mean_daily_demand: plan.stats.mean,
        daily_demand_stddev: plan.stats.stddev,
        z: plan.z,
        safety_stock: plan.safety_stock,
        reorder_point: plan.reorder_point,
        available: context.available,
        on_order: context.on_order,
        backlog_units: context.backlog_units,
        position: plan.position,
        order_quantity: plan.order_quantity,
        open_demand_id: context.open_demand_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(error: ServiceError) -> Vec<String> {
        match error {
            ServiceError::InvalidArgument(v) => v.into_iter().map(|f| f.field).collect(),
            other => panic!("expected invalid argument, got {other:?}"),
        }
    }

    fn request(sku: &str, level: f64, days: i32) -> pb::SetReplenishmentPolicyRequest {
        pb::SetReplenishmentPolicyRequest {
            request_id: String::new(),
            policy: Some(pb::ReplenishmentPolicy {
                sku: sku.into(),
                enabled: true,
                service_level_percent: level,
                history_days: days,
            }),
        }
    }

    #[test]
    fn a_policy_is_bounded_at_both_ends() {
        for (level, days) in [(50.0, 7), (99.9, 365), (95.0, 28)] {
            let terms = PolicyTerms::try_from(&request("SKU-1", level, days)).expect("valid");
            assert_eq!(
                (terms.service_level_percent, terms.history_days),
                (level, days)
            );
        }
        let error = PolicyTerms::try_from(&request("", 49.99, 6)).expect_err("refused");
        assert_eq!(
            fields(error),
            [
                "policy.sku",
                "policy.service_level_percent",
                "policy.history_days"
            ]
        );
        for level in [99.91, 100.0, f64::NAN, f64::INFINITY, -1.0] {
            let error = PolicyTerms::try_from(&request("SKU-1", level, 30)).expect_err("refused");
            assert_eq!(fields(error), ["policy.service_level_percent"], "{level}");
        }
        let error = PolicyTerms::try_from(&request("SKU-1", 95.0, 366)).expect_err("refused");
        assert_eq!(fields(error), ["policy.history_days"]);
    }

    #[test]
    fn a_policy_is_required() {
        let error = PolicyTerms::try_from(&pb::SetReplenishmentPolicyRequest::default())
            .expect_err("refused");
        assert_eq!(fields(error), ["policy"]);
    }

    #[test]
    fn a_schedule_is_0_to_720_hours_of_a_named_supplier() {
        let req = |id: &str, hours| pb::SetSupplierScheduleRequest {
            request_id: String::new(),
            supplier_id: id.into(),
            auto_submit_hours: hours,
        };
        let id = uuid::Uuid::now_v7().to_string();
        for hours in [0, 1, 720] {
            assert!(
                SupplierSchedule::try_from(&req(&id, hours)).is_ok(),
                "{hours}"
            );
        }
        let error = SupplierSchedule::try_from(&req("nope", 721)).expect_err("refused");
        assert_eq!(fields(error), ["supplier_id", "auto_submit_hours"]);
        let error = SupplierSchedule::try_from(&req(&id, -1)).expect_err("refused");
        assert_eq!(fields(error), ["auto_submit_hours"]);
    }

    #[test]
    fn a_plan_names_its_sku() {
        let req = |sku: &str| pb::GetReplenishmentPlanRequest { sku: sku.into() };
        assert_eq!(plan_sku(&req("SKU-1")).expect("valid"), "SKU-1");
        assert_eq!(fields(plan_sku(&req("")).expect_err("refused")), ["sku"]);
        assert_eq!(
            fields(plan_sku(&req("has space")).expect_err("refused")),
            ["sku"]
        );
    }
}
