//! Delays: the worker's step that catches purchase orders still open past
//! their expected date, marks each delayed until a lead time from now and
//! tells the order service the new ETA of every order line it serves, as a
//! new promised date would.

use backorder_platform::{ServiceError, ServiceResult};
use tracing::Instrument;

use super::spans::{Batch, traceparent};
use super::{ProcurementApi, concurrent_update, inbound, sourcing};
use crate::convert;
use crate::domain::PoDates;
use crate::store::queries::{demands, lines, purchase_orders, suppliers};
use crate::store::{purchase_order, stored_id};

/// Purchase orders read per page when looking for late ones.
const PAGE: u64 = 100;

/// What one delay pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delayed {
    /// Purchase orders marked delayed.
    pub delayed: usize,
    /// Purchase orders (or pages of them) that failed and wait for the next
    /// pass.
    pub failed: usize,
}

impl ProcurementApi {
    /// One pass: every purchase order late at `now` is marked delayed and
    /// its order lines get the new date as ETA, each purchase order in a
    /// unit of its own. Failures are logged and retried next pass.
    pub async fn catch_delays(&self, now: i64) -> Delayed {
        let db = &self.context.db;
        let mut done = Delayed::default();
        let mut after: Option<String> = None;
        loop {
            let page = match purchase_orders::late(db, now, after.as_deref(), PAGE).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(%error, "reading late purchase orders failed");
                    done.failed += 1;
                    return done;
                }
            };
            for po in &page {
                match self.delay(po, now).await {
                    Ok(true) => done.delayed += 1,
                    Ok(false) => {}
                    Err(error) => {
                        tracing::warn!(purchase_order.id = %po.id, %error, "marking a late purchase order failed");
                        done.failed += 1;
                    }
                }
            }
            if u64::try_from(page.len()).unwrap_or(0) < PAGE {
                return done;
            }
            after = page.last().map(|po| po.id.clone());
        }
    }

    /// Marks `read` delayed if it is late at `now` and unchanged since it
    /// was read; `false` when not (on time after all, or another replica
    /// or a new promise got there first).
    async fn delay(&self, read: &purchase_order::Model, now: i64) -> ServiceResult<bool> {
        let span = tracing::info_span!(
            "procurement.delay",
            otel.name = "late purchase order delayed",
            purchase_order.id = %read.id,
            supplier.id = %read.supplier_id,
        );
        let read = read.clone();
        self.context
            .internal(move |work| {
                Box::pin(async move {
                    let db = work.db();
                    let supplier = suppliers::find(db, stored_id(&read.supplier_id)?).await?;
                    let dates = PoDates {
                        status: convert::status(&read)?,
                        promised_at: read.promised_at,
                        submitted_at: read.submitted_at,
                        delayed_until: read.delayed_until,
                        lead_time_days: supplier.map_or(0, |s| s.lead_time_days),
                    };
                    let Some(until) = dates.delay(now) else {
                        return Ok(false);
                    };
                    // The guarded write also takes the row lock, before any
                    // demand's, as every unit on a purchase order does.
                    if purchase_orders::mark_delayed(db, &read, until, now).await? != 1 {
                        return Ok(false);
                    }
                    let batch = Batch::current();
                    for demand in demands::lock_open_of_purchase_order(db, &read.id).await? {
                        let span = batch.demand_span(&demand, "purchase order late for demand");
                        let trace = traceparent(&span);
                        async {
                            if demands::set_eta(db, &demand.id, &read.id, until).await? != 1 {
                                return Err(concurrent_update(format!(
                                    "demand {} changed under its purchase order's lock; retry",
                                    demand.id
                                )));
                            }
                            sourcing::send_eta(work, &demand, &read.id, until, trace).await
                        }
                        .instrument(span)
                        .await?;
                    }
                    if !read.drop_ship {
                        let lines = lines::of(db, &read.id).await?;
                        inbound::announce(work, lines.into_iter().map(|l| l.sku)).await?;
                    }
                    Ok::<_, ServiceError>(true)
                })
            })
            .instrument(span)
            .await
    }
}
