//! Promises: SetInboundSupply, and the re-promising of waiting lines
//! whenever a SKU's inbound supply or its queue changes. Inventory keeps
//! the queue, so it is the one place a line's date can follow it: lines
//! are promised inbound units in queue order (see
//! [`crate::domain::InboundSupply`]), and the order service hears of every
//! promise that moves.

use backorder_platform::ServiceResult;
use backorder_platform::time::{now_ms, to_timestamp};
use backorder_platform::unit_of_work::Work;
use backorder_proto::inventory::v1 as pb;
use backorder_proto::order::v1::UpdateLineEtaRequest;

use super::InventoryApi;
use crate::convert::SupplySnapshot;
use crate::domain::{InboundSupply, Promise, QueueWalk, Reservation, repromise};
use crate::store::queries::{self, QueueKey};
use crate::wording;

/// Waiting lines read per round while re-promising.
const QUEUE_CHUNK: u64 = 200;

impl InventoryApi {
    /// The `SetInboundSupply` RPC.
    pub async fn set_inbound_supply(
        &self,
        req: pb::SetInboundSupplyRequest,
    ) -> ServiceResult<pb::SetInboundSupplyResponse> {
        let snapshot = SupplySnapshot::try_from(&req)?;
        self.context
            .execute(&req, move |work| Box::pin(apply_supply(work, snapshot)))
            .await
    }
}

/// Stores a newer snapshot under the SKU's lock and re-promises the lines
/// that its old or new inbound units reach.
async fn apply_supply(
    work: &Work,
    SupplySnapshot { sku, supply }: SupplySnapshot,
) -> ServiceResult<pb::SetInboundSupplyResponse> {
    work.set_resource(sku.clone());
    let mut products = queries::lock_products(work.db(), &[sku.as_str()]).await?;
    let Some(product) = products.remove(&sku) else {
        return Err(wording::product_not_found(&sku));
    };
    if !queries::set_supply(work.db(), &sku, &supply).await? {
        return Ok(pb::SetInboundSupplyResponse {
            applied: false,
            repromised_lines: 0,
        });
    }
    // The first lead time reaches every waiting line: those that joined
    // before any supplier offered the SKU have no date yet. Otherwise only
    // lines within the old or new inbound units can move.
    let reach = if product.supply.lead_time_days.is_none() && supply.lead_time_days.is_some() {
        i64::MAX
    } else {
        product.supply.units().max(supply.units())
    };
    let moved = repromise_queue(work, &sku, &supply, reach).await?;
    Ok(pb::SetInboundSupplyResponse {
        applied: true,
        repromised_lines: i32::try_from(moved).unwrap_or(i32::MAX),
    })
}

/// Re-promises `sku`'s waiting lines after its queue changed (a line left
/// it or moved within it): only the lines its inbound units reach can
/// move. The caller holds the SKU's lock.
pub(super) async fn queue_changed(work: &Work, sku: &str) -> ServiceResult<()> {
    let Some(product) = queries::find_product(work.db(), sku).await? else {
        return Ok(());
    };
    let reach = product.supply.units();
    if reach > 0 {
        repromise_queue(work, sku, &product.supply, reach).await?;
    }
    Ok(())
}

/// Walks `sku`'s queue from its head while lines start within `reach`
/// inbound units, storing every promise that moved and telling the order
/// service; returns how many moved.
async fn repromise_queue(
    work: &Work,
    sku: &str,
    supply: &InboundSupply,
    reach: i64,
) -> ServiceResult<usize> {
    let now = now_ms();
    let mut after: Option<QueueKey> = None;
    let mut position = 0i64;
    let mut moved_lines = 0;
    loop {
        let chunk = queries::promised_queue(work.db(), sku, after.as_ref(), QUEUE_CHUNK).await?;
        let lines: Vec<(i64, Option<Promise>)> = chunk
            .iter()
            .map(|l| (l.line.waiting, l.promise.clone()))
            .collect();
        let (moved, walk) = repromise(supply, &lines, reach, position, now);
        for (index, promise) in moved {
            let Some(entry) = chunk.get(index) else {
                continue;
            };
            queries::set_promise(work.db(), entry.line.id, promise.as_ref()).await?;
            if let Some(promise) = &promise {
                tell_order(work, &entry.line, promise).await?;
            }
            moved_lines += 1;
        }
        match walk {
            QueueWalk::Done => break,
            QueueWalk::More { position: reached } => {
                if (chunk.len() as u64) < QUEUE_CHUNK {
                    break;
                }
                position = reached;
                after = chunk.last().map(|l| QueueKey::of(&l.line));
            }
        }
    }
    Ok(moved_lines)
}

/// Tells the order service a line's new promise, in its sale's trace.
async fn tell_order(work: &Work, line: &Reservation, promise: &Promise) -> ServiceResult<()> {
    work.send_in_trace(
        UpdateLineEtaRequest {
            order_id: line.order_id.to_string(),
            line_id: line.line_id.to_string(),
            eta: Some(to_timestamp(promise.from)),
            eta_latest: Some(to_timestamp(promise.to)),
            purchase_order_id: promise.purchase_order_id.clone().unwrap_or_default(),
            ..Default::default()
        },
        line.trace_context.clone(),
    )
    .await
}
