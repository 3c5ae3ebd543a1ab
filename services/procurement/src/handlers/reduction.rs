//! ReduceDemand: a demand lowered because its order line changed to fewer
//! units. Its purchase order's line gives up the difference as a release
//! gives up a whole demand (see [`release::take_off_line`]): a draft orders
//! less, a submitted order keeps the units as stock.

use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::procurement::v1 as pb;

use super::{ProcurementApi, concurrent_update, release};
use crate::convert;
use crate::domain::{DemandReduction, ReductionRefusal, units_given_up};
use crate::store::queries::{demands, purchase_orders};
use crate::store::{demand, stored_id};

/// How often a reduction re-reads a demand that moved meanwhile.
const ATTEMPTS: usize = 5;

impl ProcurementApi {
    /// The `ReduceDemand` RPC.
    pub async fn reduce_demand(
        &self,
        req: pb::ReduceDemandRequest,
    ) -> ServiceResult<pb::ReduceDemandResponse> {
        let command = DemandReduction::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let demand = reduce(work, command, now_ms()).await?;
                    work.set_resource(demand.id.clone());
                    Ok(pb::ReduceDemandResponse {
                        demand: Some(convert::demand(&demand)),
                    })
                })
            })
            .await
    }
}

/// Lowers the demand to the units asked and takes the difference off its
/// purchase order's line, under that purchase order's lock (as a release
/// does, so the two never undo each other).
async fn reduce(work: &Work, command: DemandReduction, now: i64) -> ServiceResult<demand::Model> {
    let db = work.db();
    let demand_id = command.demand_id;
    let refused = |refusal: ReductionRefusal| {
        ServiceError::precondition(
            refusal.reason(),
            refusal.describe(demand_id, command.quantity),
        )
    };
    for _ in 0..ATTEMPTS {
        let Some(seen) = demands::find(db, demand_id).await? else {
            return Err(ServiceError::not_found("demand", demand_id.to_string()));
        };
        // A tombstone is a release that came first: released too.
        let closed = seen.released || seen.received_at.is_some();
        units_given_up(
            seen.quantity,
            closed,
            seen.shipped_at.is_some(),
            command.quantity,
        )
        .map_err(refused)?;
        let on = seen.purchase_order_id.as_deref();
        let po = match on {
            Some(id) => purchase_orders::lock(db, stored_id(id)?).await?,
            None => None,
        };
        // Under the purchase order's lock the demand can no longer move
        // off it; read it again to know it has not moved before the lock.
        let Some(current) = demands::find(db, demand_id).await? else {
            continue;
        };
        if current.purchase_order_id != seen.purchase_order_id {
            continue;
        }
        let closed = current.released || current.received_at.is_some();
        let given_up = units_given_up(
            current.quantity,
            closed,
            current.shipped_at.is_some(),
            command.quantity,
        )
        .map_err(refused)?;
        if let Some(po) = &po {
            // The line gives up what the demand gives up, no more.
            let part = demand::Model {
                quantity: given_up,
                ..current.clone()
            };
            release::take_off_line(db, po, &part, now).await?;
        }
        let kept = command.quantity.get();
        if demands::reduce(db, &current.id, current.quantity, kept, on).await? == 1 {
            return Ok(demand::Model {
                quantity: kept,
                ..current
            });
        }
        if po.is_some() {
            return Err(concurrent_update(format!(
                "demand {demand_id} changed under its purchase order's lock; retry"
            )));
        }
    }
    Err(concurrent_update(format!(
        "demand {demand_id} kept moving between purchase orders; retry"
    )))
}
