//! Releasing demand (ReleaseDemand, and the release a tombstone records):
//! taking it off its purchase order's line and marking it released.

use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::{concurrent_update, refused};
use crate::convert;
use crate::domain::{self, LineTerms, PoStatus};
use crate::store::queries::{demands, lines, purchase_orders, suppliers};
use crate::store::{demand, purchase_order, stored_id};

/// How often a release re-reads a demand that moved meanwhile.
const ATTEMPTS: usize = 5;

/// Takes released `demand` off its line on `po`, which this unit has
/// locked: a draft orders less; a submitted order keeps its ordered units
/// (they become stock; a drop-ship supplier was sent them too, and only
/// the lines still open are reported shipped); a cancelled one is left as
/// it is.
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
        let terms = if po.drop_ship {
            LineTerms::DropShip
        } else {
            let item = suppliers::find_item(db, stored_id(&po.supplier_id)?, &demand.sku)
                .await?
                .ok_or_else(|| {
                    ServiceError::Internal(format!(
                        "draft {} carries {} but its supplier has no offer for it",
                        po.id, demand.sku
                    ))
                })?;
            LineTerms::Stock {
                moq: item.minimum_order_quantity,
                case_pack: item.case_pack,
            }
        };
        line.ordered_quantity =
            domain::line_ordered(line.demand_quantity, terms).map_err(refused)?;
    }
    lines::update(db, &line).await?;
    purchase_orders::touch(db, &po.id, now).await?;
    Ok(())
}

/// Releases demand `demand_id`: takes it off its purchase order's line and
/// marks it released. Unknown demand leaves a tombstone, so a demand that
/// arrives after its release stays released. Demand a supplier already
/// drop-shipped is left as it is: its units reached the customer; so is
/// replenishment demand, which no order line raised. Returns
/// whether a demand was found and released (now or before).
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
        // Replenishment demand is no cancelled line's: it stays until its
        // units arrive.
        if seen.replenishment {
            return Ok(false);
        }
        if seen.shipped_at.is_some() {
            return Ok(false);
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
        if current.released
            || current.shipped_at.is_some()
            || current.purchase_order_id != seen.purchase_order_id
        {
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
