//! Steps run inside a unit of work by several RPCs: choosing the offer that
//! gets demand, putting demand on a draft's line, and moving demand between
//! purchase orders.
//!
//! Lock order (see [`crate::store::queries`]): a purchase order before the
//! demand it carries; several drafts in [`super::drafts::DraftKey`] order;
//! demand rows by id. Demand itself changes only through conditional
//! writes.

use std::collections::BTreeMap;

use backorder_platform::ids::new_id_string;
use backorder_platform::time::to_timestamp;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::order::v1::UpdateLineEtaRequest;
use sea_orm::ConnectionTrait;
use tracing::Instrument;

use super::drafts::{Draft, DraftKey, Drafts};
use super::spans::{Batch, traceparent};
use super::{concurrent_update, refused};
use crate::domain::{self, LineTerms, Offer};
use crate::store::queries::{demands, lines, purchase_orders, suppliers};
use crate::store::{demand, purchase_order_line, stored_id, supplier_item};

/// The offer that gets a SKU's demand: the preferred one, else the
/// cheapest; drop-ship demand only the preferred one (see
/// [`domain::pick_offer`]). `None` when there is none.
pub async fn pick_offer<C: ConnectionTrait>(
    db: &C,
    sku: &str,
    drop_ship: bool,
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
    let chosen = domain::pick_offer(&candidates, drop_ship).map(|c| c.supplier_id.clone());
    Ok(chosen.and_then(|id| offers.into_iter().find(|o| o.supplier_id == id)))
}

/// The offer moved demand goes to, by SKU and by whether the demand is
/// drop-ship (`None`: nobody takes it, it waits).
#[derive(Default)]
pub struct Targets(BTreeMap<(String, bool), Option<supplier_item::Model>>);

impl Targets {
    /// Whether the target of `demand`'s SKU and kind was decided.
    pub fn decided(&self, demand: &demand::Model) -> bool {
        self.0.contains_key(&(demand.sku.clone(), demand.drop_ship))
    }

    /// Decides the target of `demand`'s SKU and kind.
    pub fn decide(&mut self, demand: &demand::Model, offer: Option<supplier_item::Model>) {
        self.0.insert((demand.sku.clone(), demand.drop_ship), offer);
    }

    /// The offer `demand` goes to.
    pub fn of(&self, demand: &demand::Model) -> Option<&supplier_item::Model> {
        self.0
            .get(&(demand.sku.clone(), demand.drop_ship))
            .and_then(Option::as_ref)
    }
}

/// How `item`'s supplier orders a line of `draft`.
fn terms(draft: &Draft, item: &supplier_item::Model) -> LineTerms {
    if draft.po.drop_ship {
        LineTerms::DropShip
    } else {
        LineTerms::Stock {
            moq: item.minimum_order_quantity,
            case_pack: item.case_pack,
        }
    }
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
    let terms = terms(draft, item);
    match lines::find(db, po_id, &demand.sku).await? {
        Some(mut line) => {
            line.demand_quantity =
                domain::add_to_line(line.demand_quantity, demand.quantity).map_err(refused)?;
            line.ordered_quantity =
                domain::line_ordered(line.demand_quantity, terms).map_err(refused)?;
            line.unit_cost_minor = item.unit_cost_minor;
            lines::update(db, &line).await?;
        }
        None => {
            let demand_quantity = domain::add_to_line(0, demand.quantity).map_err(refused)?;
            let line = purchase_order_line::Model {
                id: new_id_string(),
                purchase_order_id: po_id.to_owned(),
                sku: demand.sku.clone(),
                demand_quantity,
                ordered_quantity: domain::line_ordered(demand_quantity, terms).map_err(refused)?,
                received_quantity: 0,
                unit_cost_minor: item.unit_cost_minor,
            };
            lines::insert(db, line).await?;
        }
    }
    purchase_orders::touch(db, po_id, now).await?;
    let eta = draft.eta(now)?;
    if demands::place(db, &demand.id, from, po_id, eta).await? != 1 {
        return Err(concurrent_update(format!(
            "demand {} changed while it was being sourced; retry",
            demand.id
        )));
    }
    let stored = demand::Model {
        purchase_order_id: Some(po_id.to_owned()),
        eta: Some(eta),
        ship_to_address: None,
        ..demand.clone()
    };
    send_eta(work, &stored, po_id, eta, trace).await?;
    Ok(stored)
}

/// Tells the order service a drop-shipped line's ETA and the purchase
/// order serving it. A line waiting for stock is promised by inventory,
/// which keeps the queue the stock is shared in (procurement tells it the
/// inbound supply instead); replenishment demand serves no order line.
pub async fn send_eta(
    work: &Work,
    demand: &demand::Model,
    purchase_order_id: &str,
    eta: i64,
    trace: Option<String>,
) -> ServiceResult<()> {
    if demand.replenishment || !demand.drop_ship {
        return Ok(());
    }
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
/// that `targets` name, each in its own span in its sale's trace. A demand
/// with no target, or whose draft was not planned, waits unsourced (a
/// drop-ship one keeping its address for when a supplier takes it).
pub async fn move_demands(
    work: &Work,
    demands: Vec<demand::Model>,
    from: Option<&str>,
    targets: &Targets,
    drafts: &Drafts,
    now: i64,
    span_name: &'static str,
) -> ServiceResult<()> {
    let batch = Batch::current();
    for demand in demands {
        let span = batch.demand_span(&demand, span_name);
        let trace = traceparent(&span);
        async {
            let target = match targets.of(&demand) {
                Some(item) => {
                    let key = DraftKey::for_demand(stored_id(&item.supplier_id)?, &demand)?;
                    drafts.get(&key).map(|draft| (item, draft))
                }
                None => None,
            };
            match target {
                Some((item, draft)) => {
                    consolidate(work, &demand, from, draft, item, now, trace).await?;
                }
                None => {
                    let ship_to = demand.ship_to_address.clone();
                    if demands::unsource(work.db(), &demand.id, from, ship_to).await? != 1 {
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
