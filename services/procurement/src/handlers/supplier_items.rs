//! Offers: SetSupplierItem, which also tells inventory whether the SKU is
//! drop-shipped, re-rounds the supplier's draft and sources demand that
//! waited for a supplier of the SKU.

use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1::SetDropShipRequest;
use backorder_proto::procurement::v1 as pb;

use super::ProcurementApi;
use super::drafts::{Draft, DraftKey, DraftPlan};
use super::refused;
use super::sourcing::{self, Targets};
use crate::convert;
use crate::domain::{self, OfferTerms};
use crate::store::queries::{demands, lines, purchase_orders, suppliers};
use crate::store::{stored_id, supplier_item};

impl ProcurementApi {
    /// The `SetSupplierItem` RPC. Besides storing the offer, it tells
    /// inventory whether the SKU is drop-shipped now, re-rounds the SKU's
    /// line on the supplier's open stock draft to the new terms, and sources
    /// the SKU's demand that was waiting for a supplier.
    pub async fn set_supplier_item(
        &self,
        req: pb::SetSupplierItemRequest,
    ) -> ServiceResult<pb::SetSupplierItemResponse> {
        let terms = OfferTerms::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let item = set_item(work, terms, now_ms()).await?;
                    work.set_resource(item.supplier_id.clone());
                    Ok(pb::SetSupplierItemResponse {
                        item: Some(convert::item(&item)),
                    })
                })
            })
            .await
    }
}

/// Stores the offer, tells inventory, re-rounds the supplier's stock draft
/// line for the SKU and puts the SKU's waiting demand on the chosen
/// supplier's drafts.
async fn set_item(work: &Work, terms: OfferTerms, now: i64) -> ServiceResult<supplier_item::Model> {
    let db = work.db();
    let supplier_id = terms.supplier_id;
    suppliers::find(db, supplier_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("supplier", supplier_id.to_string()))?;
    if terms.preferred {
        suppliers::clear_preferred(db, &terms.sku, supplier_id, now).await?;
    }
    let item = supplier_item::Model {
        supplier_id: supplier_id.to_string(),
        sku: terms.sku.clone(),
        unit_cost_minor: terms.unit_cost_minor,
        minimum_order_quantity: terms.minimum_order_quantity.get(),
        case_pack: terms.case_pack.get(),
        preferred: terms.preferred,
        drop_ship: terms.drop_ship,
        updated_at: now,
    };
    suppliers::upsert_item(db, item.clone()).await?;
    tell_inventory(work, &terms.sku).await?;

    // Drafts first, in lock order: this supplier's stock draft (to
    // re-round, not opened when missing) and those waiting demand goes to.
    let waiting = demands::open_unsourced(db, &terms.sku).await?;
    let mut targets = Targets::default();
    let mut plan = DraftPlan::default();
    plan.existing_stock(supplier_id);
    for demand in &waiting {
        if !targets.decided(demand) {
            let offer = sourcing::pick_offer(db, &terms.sku, demand.drop_ship).await?;
            targets.decide(demand, offer);
        }
        if let Some(offer) = targets.of(demand) {
            plan.open_for(stored_id(&offer.supplier_id)?, demand)?;
        }
    }
    let drafts = plan.lock(db, now).await?;
    if let Some(draft) = drafts.get(&DraftKey::Stock(supplier_id)) {
        reround(work, draft, &item, now).await?;
    }

    // Then the waiting demand, locked by id; on PostgreSQL a demand
    // released while this waited for it drops out instead of coming back.
    if waiting.iter().any(|demand| targets.of(demand).is_some()) {
        let waiting = demands::lock_open_unsourced(db, &terms.sku).await?;
        sourcing::move_demands(
            work,
            waiting,
            None,
            &targets,
            &drafts,
            now,
            "source waiting demand",
        )
        .await?;
    }
    Ok(item)
}

/// Tells inventory whether `sku` is drop-shipped after this call (whether
/// its preferred offer ships to customers; no preferred offer: it is not)
/// and its inbound supply, whose lead time is the chosen offer's. Sent
/// after every change of an offer, as the chosen one may have changed with
/// it; inventory ignores a repeat of what it knows.
async fn tell_inventory(work: &Work, sku: &str) -> ServiceResult<()> {
    let preferred = sourcing::pick_offer(work.db(), sku, true).await?;
    work.send(SetDropShipRequest {
        sku: sku.to_owned(),
        drop_ship: preferred.is_some_and(|offer| offer.drop_ship),
        ..Default::default()
    })
    .await?;
    super::inbound::announce(work, [sku]).await
}

/// Re-rounds the SKU's line on the supplier's locked stock draft to new
/// terms (drop-ship lines order exactly their demand, whatever the terms).
async fn reround(
    work: &Work,
    draft: &Draft,
    item: &supplier_item::Model,
    now: i64,
) -> ServiceResult<()> {
    let db = work.db();
    let Some(mut line) = lines::find(db, &draft.po.id, &item.sku).await? else {
        return Ok(());
    };
    line.ordered_quantity = domain::ordered_quantity(
        line.demand_quantity,
        item.minimum_order_quantity,
        item.case_pack,
    )
    .map_err(refused)?;
    line.unit_cost_minor = item.unit_cost_minor;
    lines::update(db, &line).await?;
    purchase_orders::touch(db, &draft.po.id, now).await?;
    Ok(())
}
