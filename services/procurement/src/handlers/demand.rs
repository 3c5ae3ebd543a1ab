//! Demand: AddDemand, ReleaseDemand, ListDemands.

use backorder_platform::telemetry::current_traceparent;
use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::procurement::v1 as pb;

use super::drafts::{DraftKey, DraftPlan};
use super::{ProcurementApi, concurrent_update, release, sourcing};
use crate::convert;
use crate::domain::NewDemand;
use crate::store::queries::demands;
use crate::store::{Address, demand, stored_id};

/// How often AddDemand re-reads after losing an insert race.
const ATTEMPTS: usize = 3;

impl ProcurementApi {
    /// The `AddDemand` RPC.
    pub async fn add_demand(
        &self,
        req: pb::AddDemandRequest,
    ) -> ServiceResult<pb::AddDemandResponse> {
        let command = NewDemand::try_from(&req)?;
        let trace = current_traceparent();
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let demand = add(work, command, trace, now_ms()).await?;
                    work.set_resource(demand.id.clone());
                    Ok(pb::AddDemandResponse {
                        demand: Some(convert::demand(&demand)),
                    })
                })
            })
            .await
    }

    /// The `ReleaseDemand` RPC.
    pub async fn release_demand(
        &self,
        req: pb::ReleaseDemandRequest,
    ) -> ServiceResult<pb::ReleaseDemandResponse> {
        let demand_id = convert::parse_id("demand_id", &req.demand_id)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let released = release::release(work, demand_id, now_ms()).await?;
                    work.set_resource(demand_id.to_string());
                    Ok(pb::ReleaseDemandResponse { released })
                })
            })
            .await
    }

    /// The `ListDemands` RPC.
    pub async fn list_demands(
        &self,
        req: pb::ListDemandsRequest,
    ) -> ServiceResult<pb::ListDemandsResponse> {
        let order_id = convert::parse_id("order_id", &req.order_id)?;
        let demands = demands::of_order(&self.context.db, order_id).await?;
        Ok(pb::ListDemandsResponse {
            demands: demands.iter().map(convert::demand).collect(),
        })
    }
}

/// Records `command` and puts it on the draft of its SKU's chosen supplier:
/// its stock draft, or for a drop-ship demand its drop-ship draft for the
/// order (unsourced while nobody takes it, a drop-ship demand keeping its
/// address meanwhile). A demand already recorded is answered as stored;
/// one released before it arrived stays released and orders nothing.
async fn add(
    work: &Work,
    command: NewDemand,
    trace: Option<String>,
    now: i64,
) -> ServiceResult<demand::Model> {
    let db = work.db();
    let new = demand::Model {
        id: command.demand_id.to_string(),
        sku: command.sku,
        quantity: command.quantity.get(),
        order_id: command.order_id.to_string(),
        line_id: command.line_id.to_string(),
        purchase_order_id: None,
        eta: None,
        released: false,
        drop_ship: command.ship_to.is_some(),
        ship_to_address: command.ship_to.map(Address::from),
        shipped_at: None,
        trace_context: trace,
        replenishment: false,
        received_at: None,
        created_at: now,
    };
    for _ in 0..ATTEMPTS {
        if let Some(existing) = demands::find(db, command.demand_id).await? {
            return answer_existing(work, existing, &new).await;
        }
        // A new row no other unit can see yet: inserting it before taking
        // the draft's lock cannot deadlock with holders of that lock.
        if demands::insert_if_absent(db, new.clone()).await? {
            return source(work, &new, now).await;
        }
    }
    Err(concurrent_update(format!(
        "demand {} was written concurrently; retry",
        command.demand_id
    )))
}

/// The answer for a demand id already recorded: the demand as stored, or,
/// for the tombstone of an earlier release, `new` filled in and released.
/// An id procurement gave its own replenishment demand names no order
/// line's demand: it is refused rather than answered with that demand.
async fn answer_existing(
    work: &Work,
    existing: demand::Model,
    new: &demand::Model,
) -> ServiceResult<demand::Model> {
    if existing.replenishment {
        return Err(ServiceError::AlreadyExists {
            reason: "DEMAND_ID_TAKEN",
            message: format!(
                "demand id {} names replenishment demand procurement raised; send the order line's demand under its own id",
                existing.id
            ),
        });
    }
    if !existing.is_tombstone() {
        return Ok(existing);
    }
    let filled = demand::Model {
        released: true,
        ship_to_address: None,
        created_at: existing.created_at,
        ..new.clone()
    };
    if demands::fill_tombstone(work.db(), &filled).await? != 1 {
        return Err(concurrent_update(format!(
            "demand {} was written concurrently; retry",
            new.id
        )));
    }
    Ok(filled)
}

/// Puts the freshly recorded (unsourced) `demand` on its supplier's draft
/// (AddDemand's and the replenishment worker's one way of doing it).
pub(super) async fn source(
    work: &Work,
    demand: &demand::Model,
    now: i64,
) -> ServiceResult<demand::Model> {
    let db = work.db();
    let Some(item) = sourcing::pick_offer(db, &demand.sku, demand.drop_ship).await? else {
        return Ok(demand.clone());
    };
    let supplier_id = stored_id(&item.supplier_id)?;
    let mut plan = DraftPlan::default();
    plan.open_for(supplier_id, demand)?;
    let drafts = plan.lock(db, now).await?;
    let draft = drafts
        .get(&DraftKey::for_demand(supplier_id, demand)?)
        .ok_or_else(|| concurrent_update("the supplier's draft could not be opened; retry"))?;
    // `None`: the ETA continues the current span's trace (the sale's call).
    sourcing::consolidate(work, demand, None, draft, &item, now, None).await
}
