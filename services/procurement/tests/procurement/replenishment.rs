//! SetReplenishmentPolicy and GetReplenishmentPlan: the policy as stored,
//! the plan's numbers for a known history against a fake inventory on a
//! real port, and every refusal.

use backorder_platform::ids::new_id_string;
use backorder_platform::time::{DAY_MS, now_ms};
use backorder_proto::procurement::v1 as pb;
use tonic::Code;

use crate::helpers::*;

/// Fourteen days alternating 8 and 12 units: mean 10, sample sd
/// sqrt(56 / 13) = 2.0755.
const FORTNIGHT: [i64; 14] = [8, 12, 8, 12, 8, 12, 8, 12, 8, 12, 8, 12, 8, 12];

#[tokio::test]
async fn the_plan_shows_the_numbers_of_a_known_history() {
    let inventory = FakeInventory::start().await;
    let h = harness_with_inventory(&inventory).await;
    let acme = h.supplier("Acme", 4).await;
    h.item(&acme, "SKU-P", 100, 1, 1, true).await.expect("item");
    // 12 on a purchase order, 5 of them received: 7 on order.
    let d = h.demand("SKU-P", 12).await;
    h.submit(&d.purchase_order_id).await.expect("submit");
    h.acknowledge(&d.purchase_order_id, now_ms() + DAY_MS)
        .await
        .expect("acknowledge");
    h.receive(&d.purchase_order_id, &[("SKU-P", 5)])
        .await
        .expect("receive");
    // Older days outside the policy's 14 would change every number.
    let mut history = vec![500; 6];
    history.extend(FORTNIGHT);
    inventory.set("SKU-P", &history, 20, 5);
    let policy = h.policy("SKU-P", 95.0, 14).await;

    let plan = h.plan("SKU-P").await.expect("plan");
    assert_eq!(plan.policy, Some(policy));
    assert_eq!(
        (plan.supplier_id.as_str(), plan.lead_time_days),
        (acme.as_str(), 4)
    );
    assert!((plan.mean_daily_demand - 10.0).abs() < 1e-9);
    assert!((plan.daily_demand_stddev - (56.0_f64 / 13.0).sqrt()).abs() < 1e-9);
    assert!((plan.z - 1.6449).abs() < 1e-4, "{}", plan.z);
    // ceil(1.6449 * 2.0755 * sqrt(4)) = 7; 10 * 4 + 7 = 47.
    assert_eq!((plan.safety_stock, plan.reorder_point), (7, 47));
    assert_eq!(
        (plan.available, plan.on_order, plan.backlog_units),
        (20, 7, 5)
    );
    assert_eq!(plan.position, 22);
    assert_eq!(plan.order_quantity, 47 + 40 - 22);
    assert!(plan.open_demand_id.is_empty());

    let asked = inventory.requests();
    assert_eq!(asked.len(), 1);
    assert_eq!(
        (asked[0].skus.as_slice(), asked[0].days),
        (&["SKU-P".to_owned()][..], 14)
    );
}

#[tokio::test]
async fn drafts_count_as_on_order_and_cancelled_or_unknown_stock_does_not() {
    let inventory = FakeInventory::start().await;
    let h = harness_with_inventory(&inventory).await;
    let acme = h.supplier("Acme", 2).await;
    h.item(&acme, "SKU-D", 100, 10, 6, true)
        .await
        .expect("item");
    // 3 units of demand order 12 on the draft.
    h.demand("SKU-D", 3).await;
    h.policy("SKU-D", 50.0, 7).await;
    let plan = h.plan("SKU-D").await.expect("plan");
    assert_eq!(plan.on_order, 12, "the draft's ordered units");
    // Inventory does not know the SKU: no demand, no stock, no backlog.
    assert_eq!((plan.available, plan.backlog_units), (0, 0));
    assert_eq!((plan.mean_daily_demand, plan.reorder_point), (0.0, 0));
    assert_eq!((plan.position, plan.order_quantity), (12, 0));

    // Nobody supplies SKU-N: no supplier, planned as one day of lead time.
    inventory.set("SKU-N", &[4; 7], 1, 0);
    h.policy("SKU-N", 50.0, 7).await;
    let plan = h.plan("SKU-N").await.expect("plan");
    assert!(plan.supplier_id.is_empty());
    assert_eq!((plan.lead_time_days, plan.reorder_point), (0, 4));
    assert_eq!(plan.order_quantity, 4 + 4 - 1);
}

#[tokio::test]
async fn a_policy_is_stored_replaced_and_idempotent_by_request_id() {
    let h = harness().await;
    let mut request = pb::SetReplenishmentPolicyRequest {
        request_id: new_id_string(),
        policy: Some(pb::ReplenishmentPolicy {
            sku: "SKU-1".to_owned(),
            enabled: true,
            service_level_percent: 97.5,
            history_days: 30,
        }),
    };
    let first = call(h.api.set_replenishment_policy(request.clone()))
        .await
        .expect("stored");
    assert_eq!(first.policy, request.policy);
    let again = call(h.api.set_replenishment_policy(request.clone()))
        .await
        .expect("a retry answers as before");
    assert_eq!(again, first);
    if let Some(policy) = request.policy.as_mut() {
        policy.history_days = 60;
    }
    let reused = call(h.api.set_replenishment_policy(request.clone())).await;
    assert_eq!(code(reused), Code::AlreadyExists);

    request.request_id = new_id_string();
    if let Some(policy) = request.policy.as_mut() {
        policy.enabled = false;
    }
    let replaced = call(h.api.set_replenishment_policy(request.clone()))
        .await
        .expect("replaced");
    assert_eq!(replaced.policy, request.policy);
}

#[tokio::test]
async fn bad_policies_and_plans_are_refused_field_by_field() {
    let h = harness().await;
    let set = |sku: &str, level: f64, days: i32| pb::SetReplenishmentPolicyRequest {
        request_id: new_id_string(),
        policy: Some(pb::ReplenishmentPolicy {
            sku: sku.to_owned(),
            enabled: true,
            service_level_percent: level,
            history_days: days,
        }),
    };
    let refused = call(h.api.set_replenishment_policy(set("", 99.95, 400))).await;
    assert_eq!(
        invalid_fields(refused),
        [
            "policy.sku",
            "policy.service_level_percent",
            "policy.history_days"
        ]
    );
    let refused = call(h.api.set_replenishment_policy(set("SKU-1", 49.9, 6))).await;
    assert_eq!(
        invalid_fields(refused),
        ["policy.service_level_percent", "policy.history_days"]
    );
    let refused = call(
        h.api
            .set_replenishment_policy(pb::SetReplenishmentPolicyRequest {
                request_id: new_id_string(),
                policy: None,
            }),
    )
    .await;
    assert_eq!(invalid_fields(refused), ["policy"]);

    assert_eq!(invalid_fields(h.plan("").await), ["sku"]);
    let unknown = h.plan("SKU-UNKNOWN").await.expect_err("no policy");
    assert_eq!(unknown.code(), Code::NotFound);
    assert!(unknown.to_string().contains("SKU-UNKNOWN"), "{unknown}");
}

#[tokio::test]
async fn a_plan_is_unavailable_while_inventory_cannot_be_asked() {
    let inventory = FakeInventory::start().await;
    let h = harness_with_inventory(&inventory).await;
    h.policy("SKU-1", 95.0, 28).await;
    inventory.go_down();
    assert_eq!(code(h.plan("SKU-1").await), Code::Unavailable);

    // No inventory address at all: the same, naming the setting.
    let unconfigured = harness().await;
    unconfigured.policy("SKU-1", 95.0, 28).await;
    let refused = unconfigured.plan("SKU-1").await.expect_err("unavailable");
    assert_eq!(refused.code(), Code::Unavailable);
    assert!(refused.to_string().contains("peers.inventory"), "{refused}");
}
