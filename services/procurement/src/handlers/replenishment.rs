//! Replenishment: SetReplenishmentPolicy, GetReplenishmentPlan, and the
//! worker's step that raises replenishment demand. The RPC and the worker
//! plan the same way ([`ProcurementApi::plans`]); the worker then puts the
//! units on the supplier's draft the way AddDemand puts stock demand there.

use std::collections::BTreeMap;

use backorder_platform::ids::new_id_string;
use backorder_platform::time::now_ms;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1::SkuDemandHistory;
use backorder_proto::procurement::v1 as pb;
use tracing::{Instrument, field};

use super::spans::traceparent;
use super::{ProcurementApi, demand as demands_rpc, sourcing};
use crate::convert::{self, PlanContext};
use crate::domain::{self, Plan, PlanInputs, PolicyTerms};
use crate::peers::MAX_HISTORY_SKUS;
use crate::store::queries::{replenishment, suppliers};
use crate::store::{demand, replenishment_policy, stored_id, supplier_item};

/// One SKU's plan, with what it was made from.
pub struct SkuPlan {
    /// The SKU's policy.
    pub policy: replenishment_policy::Model,
    /// The offer its demand goes to; `None` when nobody supplies it.
    pub offer: Option<supplier_item::Model>,
    /// Supplier, stock position and open demand behind the plan.
    pub context: PlanContext,
    /// The plan.
    pub plan: Plan,
}

/// What one replenishment pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replenished {
    /// Enabled policies planned.
    pub planned: usize,
    /// Replenishment demands raised.
    pub raised: usize,
    /// SKUs (or batches of them) that failed and wait for the next pass.
    pub failed: usize,
}

impl ProcurementApi {
    /// The `SetReplenishmentPolicy` RPC.
    pub async fn set_replenishment_policy(
        &self,
        req: pb::SetReplenishmentPolicyRequest,
    ) -> ServiceResult<pb::SetReplenishmentPolicyResponse> {
        let terms = PolicyTerms::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let model = replenishment_policy::Model {
                        sku: terms.sku,
                        enabled: terms.enabled,
                        service_level_percent: terms.service_level_percent,
                        history_days: terms.history_days,
                        updated_at: now_ms(),
                    };
                    replenishment::upsert_policy(work.db(), model.clone()).await?;
                    work.set_resource(model.sku.clone());
                    Ok(pb::SetReplenishmentPolicyResponse {
                        policy: Some(convert::policy(&model)),
                    })
                })
            })
            .await
    }

    /// The `GetReplenishmentPlan` RPC: computed now, from inventory's
    /// current history and position.
    pub async fn get_replenishment_plan(
        &self,
        req: pb::GetReplenishmentPlanRequest,
    ) -> ServiceResult<pb::GetReplenishmentPlanResponse> {
        let sku = convert::plan_sku(&req)?;
        let policy = replenishment::find_policy(&self.context.db, &sku)
            .await?
            .ok_or_else(|| ServiceError::not_found("replenishment policy", sku))?;
        let planned = self.plans(vec![policy]).await?.into_iter().next();
        let planned = planned.ok_or_else(|| {
            ServiceError::Internal("a plan asked for one SKU came back empty".to_owned())
        })?;
        Ok(convert::plan(
            &planned.policy,
            planned.context,
            &planned.plan,
        ))
    }

    /// Plans for `policies` (at most [`MAX_HISTORY_SKUS`]): what the
    /// database holds first, then one call to inventory. Reading the
    /// database first means two replicas planning at once both see no open
    /// demand and race to the guarded insert, which keeps the one.
    pub async fn plans(
        &self,
        policies: Vec<replenishment_policy::Model>,
    ) -> ServiceResult<Vec<SkuPlan>> {
        if policies.is_empty() {
            return Ok(Vec::new());
        }
        let db = &self.context.db;
        let skus: Vec<String> = policies.iter().map(|p| p.sku.clone()).collect();
        let on_order = replenishment::on_order(db, &skus).await?;
        let open = replenishment::open_demands(db, &skus).await?;
        let mut lead_times = BTreeMap::new();
        let mut offers = BTreeMap::new();
        for sku in &skus {
            let Some(offer) = sourcing::pick_offer(db, sku, false).await? else {
                continue;
            };
            if !lead_times.contains_key(&offer.supplier_id) {
                let supplier = suppliers::find(db, stored_id(&offer.supplier_id)?)
                    .await?
                    .ok_or_else(|| {
                        ServiceError::Internal(format!(
                            "supplier {} of an offer is missing",
                            offer.supplier_id
                        ))
                    })?;
                lead_times.insert(offer.supplier_id.clone(), supplier.lead_time_days);
            }
            offers.insert(sku.clone(), offer);
        }

        let days = policies.iter().map(|p| p.history_days).max().unwrap_or(1);
        let mut histories: BTreeMap<String, SkuDemandHistory> = self
            .inventory
            .demand_history(skus, days)
            .await?
            .into_iter()
            .map(|h| (h.sku.clone(), h))
            .collect();

        Ok(policies
            .into_iter()
            .map(|policy| {
                // A SKU inventory does not know has no demand and no stock.
                let history = histories.remove(&policy.sku).unwrap_or_default();
                let offer = offers.remove(&policy.sku);
                let lead_time_days = offer
                    .as_ref()
                    .and_then(|o| lead_times.get(&o.supplier_id).copied())
                    .unwrap_or(0);
                let context = PlanContext {
                    supplier_id: offer
                        .as_ref()
                        .map(|o| o.supplier_id.clone())
                        .unwrap_or_default(),
                    lead_time_days,
                    available: history.available,
                    on_order: on_order.get(&policy.sku).copied().unwrap_or(0),
                    backlog_units: history.backlog_units,
                    open_demand_id: open
                        .get(&policy.sku)
                        .map(|d| d.id.clone())
                        .unwrap_or_default(),
                };
                let plan = domain::plan(&PlanInputs {
                    daily_units: last_days(&history.daily_units, policy.history_days),
                    lead_time_days,
                    service_level_percent: policy.service_level_percent,
                    available: context.available,
                    on_order: context.on_order,
                    backlog_units: context.backlog_units,
                });
                SkuPlan {
                    policy,
                    offer,
                    context,
                    plan,
                }
            })
            .collect())
    }

    /// One replenishment pass: every enabled policy, a page of
    /// [`MAX_HISTORY_SKUS`] at a time (one inventory call each), raising
    /// demand for each SKU below its reorder point with none open. A
    /// failing page or SKU is logged and left for the next pass.
    pub async fn replenish(&self) -> Replenished {
        let mut done = Replenished::default();
        let mut after: Option<String> = None;
        let page_size = u64::try_from(MAX_HISTORY_SKUS).unwrap_or(100);
        loop {
            let page = match replenishment::enabled_policies(
                &self.context.db,
                after.as_deref(),
                page_size,
            )
            .await
            {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(%error, "reading replenishment policies failed");
                    done.failed += 1;
                    return done;
                }
            };
            if page.is_empty() {
                return done;
            }
            let last_page = page.len() < MAX_HISTORY_SKUS;
            after = page.last().map(|p| p.sku.clone());
            match self.plans(page).await {
                Ok(plans) => {
                    done.planned += plans.len();
                    for planned in plans {
                        match self.raise_if_short(&planned).await {
                            Ok(true) => done.raised += 1,
                            Ok(false) => {}
                            Err(error) => {
                                tracing::warn!(sku = %planned.policy.sku, %error, "raising replenishment demand failed");
                                done.failed += 1;
                            }
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "planning a batch of replenished SKUs failed");
                    done.failed += 1;
                }
            }
            if last_page {
                return done;
            }
        }
    }

    /// Raises replenishment demand for `planned` when it is short, has a
    /// supplier and no open replenishment demand; `true` when it did.
    async fn raise_if_short(&self, planned: &SkuPlan) -> ServiceResult<bool> {
        let Some(units) = domain::demand_units(planned.plan.order_quantity) else {
            return Ok(false);
        };
        if planned.offer.is_none() || !planned.context.open_demand_id.is_empty() {
            return Ok(false);
        }
        let sku = planned.policy.sku.clone();
        let id = new_id_string();
        let span = tracing::info_span!(
            "procurement.replenishment",
            otel.name = "replenishment demand raised",
            demand.id = %id,
            sku = %sku,
            quantity = units,
            reorder_point = planned.plan.reorder_point,
            position = planned.plan.position,
            purchase_order.id = field::Empty,
        );
        let trace = traceparent(&span);
        let now = now_ms();
        let raised = self
            .context
            .internal(move |work| {
                Box::pin(async move {
                    let db = work.db();
                    // The offer may have gone since the plan was made: raise
                    // nothing rather than demand that waits for a supplier.
                    if sourcing::pick_offer(db, &sku, false).await?.is_none() {
                        return Ok(None);
                    }
                    let new = demand::Model {
                        id,
                        sku,
                        quantity: units,
                        order_id: String::new(),
                        line_id: String::new(),
                        purchase_order_id: None,
                        eta: None,
                        released: false,
                        drop_ship: false,
                        ship_to_address: None,
                        shipped_at: None,
                        trace_context: trace,
                        replenishment: true,
                        received_at: None,
                        created_at: now,
                    };
                    // Inserted before any draft is locked, as AddDemand does:
                    // a replica whose insert waits on this row holds no lock
                    // this unit needs next.
                    if !replenishment::insert_demand_if_none_open(db, new.clone()).await? {
                        return Ok(None);
                    }
                    demands_rpc::source(work, &new, now).await.map(Some)
                })
            })
            .instrument(span.clone())
            .await?;
        match raised {
            Some(stored) => {
                let po = stored.purchase_order_id.as_deref().unwrap_or_default();
                span.record("purchase_order.id", po);
                Ok(true)
            }
            None => {
                span.in_scope(|| tracing::debug!("another replica raised it, or the offer went"));
                Ok(false)
            }
        }
    }
}

/// The last `days` entries of a history given oldest first (all of it when
/// shorter).
fn last_days(daily_units: &[i64], days: i32) -> &[i64] {
    let days = usize::try_from(days).unwrap_or(0);
    &daily_units[daily_units.len().saturating_sub(days)..]
}

#[cfg(test)]
mod tests {
    use super::last_days;

    #[test]
    fn a_history_is_cut_to_the_policys_days_from_its_newest_end() {
        let history = [1, 2, 3, 4, 5];
        assert_eq!(last_days(&history, 2), &[4, 5]);
        assert_eq!(last_days(&history, 9), &history);
        assert_eq!(last_days(&history, 0), &[] as &[i64]);
        assert_eq!(last_days(&history, -1), &[] as &[i64]);
        assert_eq!(last_days(&[], 7), &[] as &[i64]);
    }
}
