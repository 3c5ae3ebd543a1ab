//! Offers: SetSupplierItem, which also re-rounds the supplier's draft and
//! sources demand that waited for a supplier of the SKU.

use std::collections::BTreeMap;

use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::procurement::v1 as pb;

use super::ProcurementApi;
use super::refused;
use super::sourcing::{self, Draft};
use crate::convert;
use crate::domain::{self, OfferTerms};
use crate::store::queries::{demands, lines, purchase_orders, suppliers};
use crate::store::{stored_id, supplier_item};

impl ProcurementApi {
    /// The `SetSupplierItem` RPC. Besides storing the offer, it re-rounds
    /// the SKU's line on the supplier's open draft to the new terms, and
    /// sources the SKU's demand that was waiting for a supplier.
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

/// Stores the offer, re-rounds the supplier's draft line for the SKU and
/// puts the SKU's waiting demand on the chosen supplier's draft.
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
        updated_at: now,
    };
    suppliers::upsert_item(db, item.clone()).await?;

    // Drafts first, in supplier-id order: this supplier's (to re-round, not
    // opened when missing) and the chosen supplier's for waiting demand.
    let waiting = demands::any_open_unsourced(db, &terms.sku).await?;
    let chosen = if waiting {
        sourcing::pick_offer(db, &terms.sku).await?
    } else {
        None
    };
    let mut wanted = BTreeMap::from([(supplier_id, false)]);
    if let Some(chosen) = &chosen {
        wanted.insert(stored_id(&chosen.supplier_id)?, true);
    }
    let drafts = sourcing::lock_drafts(db, wanted, now).await?;
    if let Some(draft) = drafts.get(&supplier_id) {
        reround(work, draft, &item, now).await?;
    }

    // Then the waiting demand, locked by id; on PostgreSQL a demand
    // released while this waited for it drops out instead of coming back.
    if let Some(chosen) = chosen {
        let waiting = demands::lock_open_unsourced(db, &terms.sku).await?;
        let offers = BTreeMap::from([(terms.sku.clone(), chosen)]);
        sourcing::move_demands(
            work,
            waiting,
            None,
            &offers,
            &drafts,
            now,
            "source waiting demand",
        )
        .await?;
    }
    Ok(item)
}

/// Re-rounds the SKU's line on the supplier's locked draft to new terms.
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
