//! Steps run inside a unit of work by several RPCs: opening and locking
//! drafts, putting demand on a draft's line, taking released demand off a
//! line, and moving demand between purchase orders.
//!
//! Lock order (see [`crate::store::queries`]): a purchase order before the
//! demand it carries; several drafts in supplier-id order; demand rows by
//! id. Demand itself changes only through conditional writes.

use std::collections::BTreeMap;

use backorder_platform::ids::new_id_string;
use backorder_platform::time::to_timestamp;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::order::v1::UpdateLineEtaRequest;
use sea_orm::DatabaseTransaction;
use tracing::Instrument;
use uuid::Uuid;

use super::spans::{Batch, traceparent};
use super::{concurrent_update, refused};
use crate::convert;
use crate::domain::{self, Offer, PoStatus};
use crate::store::queries::{demands, lines, purchase_orders, suppliers};
use crate::store::{demand, purchase_order, purchase_order_line, stored_id, supplier_item};

/// How often a step that lost a race re-reads before giving up with
/// `ABORTED` (each retry follows a commit by someone else, so a handful is
/// plenty).
const ATTEMPTS: usize = 5;

/// A supplier's draft, locked by this unit, with what its ETAs need.
pub struct Draft {
    /// The draft.
    pub po: purchase_order::Model,
    /// Its supplier's lead time.
    pub lead_time_days: i32,
}

impl Draft {
    /// When demand put on this draft now is expected.
    fn eta(&self, now: i64) -> ServiceResult<i64> {
        domain::eta(
            self.po.promised_at,
            self.po.submitted_at.unwrap_or(now),
            self.lead_time_days,
        )
        .ok_or_else(|| {
            ServiceError::Internal(format!(
                "supplier {} has a lead time ({} days) past the calendar",
                self.po.supplier_id, self.lead_time_days
            ))
        })
    }
}

/// The offer that gets a SKU's demand: the preferred one, else the
/// cheapest (see [`domain::pick_offer`]); `None` when nobody supplies it.
pub async fn pick_offer(
    db: &DatabaseTransaction,
    sku: &str,
) -> ServiceResult<Option<supplier_item::Model>> {
    let offers = suppliers::offers_for_sku(db, sku).await?;
    let candidates: Vec<Offer> = offers
        .iter()
        .map(|o| Offer {
            supplier_id: o.supplier_id.clone(),
            unit_cost_minor: o.unit_cost_minor,
            preferred: o.preferred,
        })
        .collect();
    let chosen = domain::pick_offer(&candidates).map(|c| c.supplier_id.clone());
    Ok(chosen.and_then(|id| offers.into_iter().find(|o| o.supplier_id == id)))
}

/// Locks the drafts of `wanted` suppliers in supplier-id order; a supplier
/// mapped to `true` gets a new draft when it has none, one mapped to
/// `false` is left without.
pub async fn lock_drafts(
    db: &DatabaseTransaction,
    wanted: BTreeMap<Uuid, bool>,
    now: i64,
) -> ServiceResult<BTreeMap<Uuid, Draft>> {
    let mut drafts = BTreeMap::new();
    for (supplier_id, create) in wanted {
        let supplier = suppliers::find(db, supplier_id).await?.ok_or_else(|| {
            ServiceError::Internal(format!("supplier {supplier_id} of an offer is missing"))
        })?;
        let po = if create {
            Some(open_draft(db, supplier_id, now).await?)
        } else {
            purchase_orders::lock_draft(db, supplier_id).await?
        };
        if let Some(po) = po {
            drafts.insert(
                supplier_id,
                Draft {
                    po,
                    lead_time_days: supplier.lead_time_days,
                },
            );
        }
    }
    Ok(drafts)
}

/// The supplier's draft, locked; a new one when it has none. Two units
/// opening a supplier's first draft at once end with one draft: the second
/// insert waits for the first, skips, and locks the first's draft.
async fn open_draft(
    db: &DatabaseTransaction,
    supplier_id: Uuid,
    now: i64,
) -> ServiceResult<purchase_order::Model> {
    for _ in 0..ATTEMPTS {
        if let Some(draft) = purchase_orders::lock_draft(db, supplier_id).await? {
            return Ok(draft);
        }
        let draft = purchase_order::Model {
            id: new_id_string(),
            supplier_id: supplier_id.to_string(),
            status: PoStatus::Draft.code(),
            promised_at: None,
            submitted_at: None,
            received_at: None,
            created_at: now,
            updated_at: now,
        };
        if purchase_orders::insert_draft_if_absent(db, draft.clone()).await? {
            return Ok(draft);
        }
    }
    Err(concurrent_update(format!(
        "the draft of supplier {supplier_id} kept changing; retry"
    )))
}

/// Puts open `demand` (now on `from`, `None`: unsourced) on `draft`'s line
/// for its SKU under `item`'s terms, and tells the order service the line's
/// ETA in the trace `trace` (`None`: the current span's). Returns the demand
/// as stored.
pub async fn consolidate(
    work: &Work,
    demand: &demand::Model,
    from: Option<&str>,
    draft: &Draft,
    item: &supplier_item::Model,
    now: i64,
    trace: Option<String>,
) -> ServiceResult<demand::Model> {
    let db = work.db();
    let po_id = draft.po.id.as_str();
    match lines::find(db, po_id, &demand.sku).await? {
        Some(mut line) => {
            line.demand_quantity =
                domain::add_to_line(line.demand_quantity, demand.quantity).map_err(refused)?;
            line.ordered_quantity = ordered(&line, item)?;
            line.unit_cost_minor = item.unit_cost_minor;
            lines::update(db, &line).await?;
        }
        None => {
            let mut line = purchase_order_line::Model {
                id: new_id_string(),
                purchase_order_id: po_id.to_owned(),
                sku: demand.sku.clone(),
                demand_quantity: domain::add_to_line(0, demand.quantity).map_err(refused)?,
                ordered_quantity: 0,
                received_quantity: 0,
                unit_cost_minor: item.unit_cost_minor,
            };
            line.ordered_quantity = ordered(&line, item)?;
            lines::insert(db, line).await?;
        }
    }
    purchase_orders::touch(db, po_id, now).await?;
    let eta = draft.eta(now)?;
    if demands::assign(db, &demand.id, from, Some(po_id), Some(eta)).await? != 1 {
        return Err(concurrent_update(format!(
            "demand {} changed while it was being sourced; retry",
            demand.id
        )));
    }
    let stored = demand::Model {
        purchase_order_id: Some(po_id.to_owned()),
        eta: Some(eta),
        ..demand.clone()
    };
    send_eta(work, &stored, po_id, eta, trace).await?;
    Ok(stored)
}

/// A line's units to order under `item`'s terms.
fn ordered(line: &purchase_order_line::Model, item: &supplier_item::Model) -> ServiceResult<i64> {
    domain::ordered_quantity(
        line.demand_quantity,
        item.minimum_order_quantity,
        item.case_pack,
    )
    .map_err(refused)
}

/// Tells the order service a line's ETA and the purchase order serving it.
pub async fn send_eta(
    work: &Work,
    demand: &demand::Model,
    purchase_order_id: &str,
    eta: i64,
    trace: Option<String>,
) -> ServiceResult<()> {
    work.send_in_trace(
        UpdateLineEtaRequest {
            order_id: demand.order_id.clone(),
            line_id: demand.line_id.clone(),
            eta: Some(to_timestamp(eta)),
            purchase_order_id: purchase_order_id.to_owned(),
            ..Default::default()
        },
        trace,
    )
    .await
}

/// Moves locked open `demands` (each on `from`) to the drafts in `drafts`
/// that `offers` (by SKU) name, each in its own span in its sale's trace;
/// a demand whose SKU has no offer is left unsourced.
pub async fn move_demands(
    work: &Work,
    demands: Vec<demand::Model>,
    from: Option<&str>,
    offers: &BTreeMap<String, supplier_item::Model>,
    drafts: &BTreeMap<Uuid, Draft>,
    now: i64,
    span_name: &'static str,
) -> ServiceResult<()> {
    let batch = Batch::current();
    for demand in demands {
        let span = batch.demand_span(&demand, span_name);
        let trace = traceparent(&span);
        async {
            let target = match offers.get(&demand.sku) {
                Some(item) => drafts
                    .get(&stored_id(&item.supplier_id)?)
                    .map(|draft| (item, draft)),
                None => None,
            };
            match target {
                Some((item, draft)) => {
                    consolidate(work, &demand, from, draft, item, now, trace).await?;
                }
                None => {
                    if demands::assign(work.db(), &demand.id, from, None, None).await? != 1 {
                        return Err(concurrent_update(format!(
                            "demand {} changed while it was being moved; retry",
                            demand.id
                        )));
                    }
                }
            }
            Ok::<_, ServiceError>(())
        }
        .instrument(span)
        .await?;
    }
    Ok(())
}

/// Takes released `demand` off its line on `po`, which this unit has
/// locked: a draft orders less; a submitted order keeps its ordered units
/// (they become stock); a cancelled one is left as it is.
pub async fn take_off_line(
    db: &DatabaseTransaction,
    po: &purchase_order::Model,
    demand: &demand::Model,
    now: i64,
) -> ServiceResult<()> {
    let status = convert::status(po)?;
    if status == PoStatus::Cancelled {
        return Ok(());
    }
    let Some(mut line) = lines::find(db, &po.id, &demand.sku).await? else {
        return Ok(());
    };
    line.demand_quantity = domain::remove_from_line(line.demand_quantity, demand.quantity);
    if status == PoStatus::Draft {
        let item = suppliers::find_item(db, stored_id(&po.supplier_id)?, &demand.sku)
            .await?
            .ok_or_else(|| {
                ServiceError::Internal(format!(
                    "draft {} carries {} but its supplier has no offer for it",
                    po.id, demand.sku
                ))
            })?;
        line.ordered_quantity = ordered(&line, &item)?;
    }
    lines::update(db, &line).await?;
    purchase_orders::touch(db, &po.id, now).await?;
    Ok(())
}

/// Releases demand `demand_id`: takes it off its purchase order's line and
/// marks it released. Unknown demand leaves a tombstone, so a demand that
/// arrives after its release stays released. Returns whether a demand was
/// found and released (now or before).
pub async fn release(work: &Work, demand_id: Uuid, now: i64) -> ServiceResult<bool> {
    let db = work.db();
    for _ in 0..ATTEMPTS {
        let Some(seen) = demands::find(db, demand_id).await? else {
            if demands::insert_tombstone(db, demand_id, now).await? {
                return Ok(false);
            }
            // Its demand arrived meanwhile: release that.
            continue;
        };
        if seen.released {
            return Ok(!seen.is_tombstone());
        }
        let on = seen.purchase_order_id.as_deref();
        let po = match on {
            Some(id) => purchase_orders::lock(db, stored_id(id)?).await?,
            None => None,
        };
        // Under the purchase order's lock the demand can no longer move off
        // it; read it again to know it has not moved before the lock.
        let Some(current) = demands::find(db, demand_id).await? else {
            continue;
        };
        if current.released || current.purchase_order_id != seen.purchase_order_id {
            continue;
        }
        if let Some(po) = &po {
            take_off_line(db, po, &current, now).await?;
        }
        // Unsourced demand has no purchase order to lock: the conditional
        // write decides, and a demand sourced meanwhile is tried again.
        if demands::release(db, &current.id, on).await? == 1 {
            return Ok(true);
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
