//! Inventory's view of inbound supply. Inventory keeps the queue of waiting
//! lines, so it promises each line a date from the units on their way in
//! queue order; procurement tells it, after every change, what is on its
//! way for a SKU (its open stock purchase orders, with the date each is
//! expected) and the lead time of the supplier a new order would go to.

use std::collections::BTreeSet;

use backorder_platform::ServiceResult;
use backorder_platform::time::to_timestamp;
use backorder_platform::unit_of_work::Work;
use backorder_proto::inventory::v1::{InboundLot, SetInboundSupplyRequest};

use super::sourcing;
use crate::convert;
use crate::domain::PoDates;
use crate::store::queries::{suppliers, supply};
use crate::store::stored_id;

/// Most lots one report carries (inventory's limit).
const MAX_LOTS: usize = 1_000;

/// Sends inventory the inbound supply of each of `skus` as this unit leaves
/// it. SKUs are reported in order, so two units reporting the same SKUs
/// take their report rows in the same order and never deadlock.
pub async fn announce<I>(work: &Work, skus: I) -> ServiceResult<()>
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    let skus: BTreeSet<String> = skus.into_iter().map(Into::into).collect();
    for sku in skus {
        announce_one(work, sku).await?;
    }
    Ok(())
}

async fn announce_one(work: &Work, sku: String) -> ServiceResult<()> {
    let db = work.db();
    // The revision first: its row lock makes a concurrent report wait, so
    // what this one reads below is never older than a lower revision's.
    let revision = supply::next_revision(db, &sku).await?;
    let mut lots = Vec::new();
    for open in supply::open_lines(db, &sku).await? {
        let outstanding = open
            .line
            .ordered_quantity
            .saturating_sub(open.line.received_quantity);
        let dates = PoDates {
            status: convert::status(&open.po)?,
            promised_at: open.po.promised_at,
            submitted_at: open.po.submitted_at,
            delayed_until: open.po.delayed_until,
            lead_time_days: open.lead_time_days,
        };
        let Some(expected) = dates.current_eta() else {
            continue;
        };
        if outstanding > 0 {
            lots.push(InboundLot {
                purchase_order_id: open.po.id.clone(),
                quantity: outstanding,
                expected_time: Some(to_timestamp(expected)),
                confirmed: dates.confirmed(),
            });
        }
    }
    // Inventory takes at most MAX_LOTS lots: the earliest ones, which the
    // head of the queue is promised; lines past the last lot kept are
    // promised the lead time from today instead.
    lots.sort_by_key(|lot| lot.expected_time.map(|t| (t.seconds, t.nanos)));
    lots.truncate(MAX_LOTS);
    let lead_time_days = match sourcing::pick_offer(db, &sku, false).await? {
        Some(offer) => suppliers::find(db, stored_id(&offer.supplier_id)?)
            .await?
            .map(|s| s.lead_time_days),
        None => None,
    };
    work.send(SetInboundSupplyRequest {
        sku,
        revision,
        lots,
        lead_time_days,
        ..Default::default()
    })
    .await
}
