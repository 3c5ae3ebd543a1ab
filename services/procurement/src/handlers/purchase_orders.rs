//! Purchase orders: GetPurchaseOrder, ListPurchaseOrders,
//! SubmitPurchaseOrder, AcknowledgePurchaseOrder, CancelPurchaseOrder.

use backorder_platform::ServiceResult;
use backorder_platform::paging::PageRequest;
use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_proto::procurement::v1 as pb;
use sea_orm::DatabaseTransaction;
use tracing::Instrument;
use uuid::Uuid;

use super::drafts::{DraftPlan, with_address_of};
use super::sourcing::{self, Targets};
use super::spans::{Batch, traceparent};
use super::{ProcurementApi, concurrent_update, purchase_order_not_found, refused};
use crate::convert;
use crate::domain::{self, Acknowledgement, Cancellation, PoStatus, PurchaseOrderFilter};
use crate::store::queries::{demands, lines, purchase_orders, suppliers};
use crate::store::{purchase_order, purchase_order_line, stored_id};

impl ProcurementApi {
    /// The `GetPurchaseOrder` RPC.
    pub async fn get_purchase_order(
        &self,
        req: pb::GetPurchaseOrderRequest,
    ) -> ServiceResult<pb::GetPurchaseOrderResponse> {
        let id = convert::parse_id("purchase_order_id", &req.purchase_order_id)?;
        let db = &self.context.db;
        let po = purchase_orders::find(db, id)
            .await?
            .ok_or_else(|| purchase_order_not_found(id))?;
        let lines = lines::of(db, &po.id).await?;
        Ok(pb::GetPurchaseOrderResponse {
            purchase_order: Some(convert::purchase_order(&po, &lines)?),
        })
    }

    /// The `ListPurchaseOrders` RPC.
    pub async fn list_purchase_orders(
        &self,
        req: pb::ListPurchaseOrdersRequest,
    ) -> ServiceResult<pb::ListPurchaseOrdersResponse> {
        let filter = PurchaseOrderFilter::try_from(&req)?;
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let db = &self.context.db;
        let rows =
            purchase_orders::list(db, filter, page.after.as_deref(), page.fetch_limit()).await?;
        let (rows, next_page_token) = page.finish(rows, |po| po.id.clone());
        let lines = lines::of_many(db, rows.iter().map(|po| po.id.clone()).collect()).await?;
        Ok(pb::ListPurchaseOrdersResponse {
            purchase_orders: convert::purchase_orders(&rows, &lines)?,
            next_page_token,
        })
    }

    /// The `SubmitPurchaseOrder` RPC. ETAs are not re-sent: they were set
    /// when the demand arrived and change only with a promised date.
    pub async fn submit_purchase_order(
        &self,
        req: pb::SubmitPurchaseOrderRequest,
    ) -> ServiceResult<pb::SubmitPurchaseOrderResponse> {
        let id = convert::parse_id("purchase_order_id", &req.purchase_order_id)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let purchase_order = submit(work, id, now_ms()).await?;
                    Ok(pb::SubmitPurchaseOrderResponse {
                        purchase_order: Some(purchase_order),
                    })
                })
            })
            .await
    }

    /// The `AcknowledgePurchaseOrder` RPC.
    pub async fn acknowledge_purchase_order(
        &self,
        req: pb::AcknowledgePurchaseOrderRequest,
    ) -> ServiceResult<pb::AcknowledgePurchaseOrderResponse> {
        let command = Acknowledgement::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let purchase_order = acknowledge(work, command, now_ms()).await?;
                    Ok(pb::AcknowledgePurchaseOrderResponse {
                        purchase_order: Some(purchase_order),
                    })
                })
            })
            .await
    }

    /// The `CancelPurchaseOrder` RPC. The reason is checked but not stored.
    pub async fn cancel_purchase_order(
        &self,
        req: pb::CancelPurchaseOrderRequest,
    ) -> ServiceResult<pb::CancelPurchaseOrderResponse> {
        let command = Cancellation::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let purchase_order = cancel(work, command, now_ms()).await?;
                    Ok(pb::CancelPurchaseOrderResponse {
                        purchase_order: Some(purchase_order),
                    })
                })
            })
            .await
    }
}

/// The purchase order `id`, locked for the rest of the unit.
pub(super) async fn lock(
    db: &DatabaseTransaction,
    id: Uuid,
) -> ServiceResult<purchase_order::Model> {
    purchase_orders::lock(db, id)
        .await?
        .ok_or_else(|| purchase_order_not_found(id))
}

async fn submit(work: &Work, id: Uuid, now: i64) -> ServiceResult<pb::PurchaseOrder> {
    let db = work.db();
    let po = lock(db, id).await?;
    work.set_resource(po.id.clone());
    let lines = lines::of(db, &po.id).await?;
    submit_locked(work, po, &lines, now).await
}

/// Submits `po`, which this unit locked, with its `lines`: what
/// SubmitPurchaseOrder does, and a supplier's schedule too. The status
/// changes only from draft, so of two units racing to submit one draft
/// (two replicas' schedules, or one and an operator) one does it.
pub(super) async fn submit_locked(
    work: &Work,
    mut po: purchase_order::Model,
    lines: &[purchase_order_line::Model],
    now: i64,
) -> ServiceResult<pb::PurchaseOrder> {
    let db = work.db();
    let ordered: Vec<i64> = lines.iter().map(|l| l.ordered_quantity).collect();
    let next = domain::submit(convert::status(&po)?, &ordered).map_err(refused)?;
    po.status = next.code();
    po.submitted_at = Some(now);
    po.updated_at = now;
    if purchase_orders::update_from(db, &po, PoStatus::Draft).await? != 1 {
        return Err(concurrent_update(format!(
            "purchase order {} left its draft state while being submitted; retry",
            po.id
        )));
    }
    let batch = Batch::current();
    for demand in demands::open_of_purchase_order(db, &po.id).await? {
        let span = batch.demand_span(&demand, "purchase order submitted for demand");
        span.in_scope(|| tracing::debug!("demand's purchase order submitted"));
    }
    announce_stock(work, &po, lines).await?;
    convert::purchase_order(&po, lines)
}

async fn acknowledge(
    work: &Work,
    command: Acknowledgement,
    now: i64,
) -> ServiceResult<pb::PurchaseOrder> {
    let db = work.db();
    let promised = command.promised_at;
    let mut po = lock(db, command.purchase_order_id).await?;
    work.set_resource(po.id.clone());
    let next = domain::acknowledge(convert::status(&po)?).map_err(refused)?;
    po.status = next.code();
    po.promised_at = Some(promised);
    // A new promise replaces whatever delay was worked out from the old one.
    po.delayed_until = None;
    po.updated_at = now;
    purchase_orders::update(db, &po).await?;
    let batch = Batch::current();
    for demand in demands::lock_open_of_purchase_order(db, &po.id).await? {
        if demand.eta == Some(promised) {
            continue;
        }
        let span = batch.demand_span(&demand, "promised date set for demand");
        let trace = traceparent(&span);
        async {
            if demands::set_eta(db, &demand.id, &po.id, promised).await? != 1 {
                return Err(concurrent_update(format!(
                    "demand {} changed under its purchase order's lock; retry",
                    demand.id
                )));
            }
            sourcing::send_eta(work, &demand, &po.id, promised, trace).await
        }
        .instrument(span)
        .await?;
    }
    let lines = lines::of(db, &po.id).await?;
    announce_stock(work, &po, &lines).await?;
    convert::purchase_order(&po, &lines)
}

/// Tells inventory the inbound supply of a stock purchase order's SKUs
/// after it changed (a drop-ship one brings no stock).
async fn announce_stock(
    work: &Work,
    po: &purchase_order::Model,
    lines: &[purchase_order_line::Model],
) -> ServiceResult<()> {
    if po.drop_ship {
        return Ok(());
    }
    super::inbound::announce(work, lines.iter().map(|l| l.sku.clone())).await
}

/// Cancels the purchase order and moves its open demand to the supplier's
/// draft (the draft of whoever else takes a SKU the supplier no longer
/// offers; unsourced when nobody does). Demand of a drop-ship purchase
/// order moves to a drop-ship draft for the same customer order, addressed
/// as the cancelled one was.
async fn cancel(work: &Work, command: Cancellation, now: i64) -> ServiceResult<pb::PurchaseOrder> {
    let db = work.db();
    let mut po = lock(db, command.purchase_order_id).await?;
    work.set_resource(po.id.clone());
    let lines = lines::of(db, &po.id).await?;
    let received_any = lines.iter().any(|l| l.received_quantity > 0);
    let next = domain::cancel(convert::status(&po)?, received_any).map_err(refused)?;
    po.status = next.code();
    po.updated_at = now;
    // Cancelled first: the supplier may now open a new draft.
    purchase_orders::update(db, &po).await?;

    let supplier_id = stored_id(&po.supplier_id)?;
    let mut targets = Targets::default();
    let mut plan = DraftPlan::default();
    for demand in demands::open_of_purchase_order(db, &po.id).await? {
        let demand = with_address_of(demand, &po);
        if !targets.decided(&demand) {
            let offer = match suppliers::find_item(db, supplier_id, &demand.sku).await? {
                Some(item) => Some(item),
                None => sourcing::pick_offer(db, &demand.sku, demand.drop_ship).await?,
            };
            targets.decide(&demand, offer);
        }
        if let Some(offer) = targets.of(&demand) {
            plan.open_for(stored_id(&offer.supplier_id)?, &demand)?;
        }
    }
    let drafts = plan.lock(db, now).await?;
    let demands = demands::lock_open_of_purchase_order(db, &po.id)
        .await?
        .into_iter()
        .map(|demand| with_address_of(demand, &po))
        .collect();
    sourcing::move_demands(
        work,
        demands,
        Some(&po.id),
        &targets,
        &drafts,
        now,
        "demand moved off cancelled purchase order",
    )
    .await?;
    announce_stock(work, &po, &lines).await?;
    convert::purchase_order(&po, &lines)
}
