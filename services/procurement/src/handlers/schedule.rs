//! Submission schedules: SetSupplierSchedule, and the worker's step that
//! submits every draft old enough under its supplier's schedule, exactly as
//! SubmitPurchaseOrder would.

use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::procurement::v1 as pb;
use tracing::Instrument;
use uuid::Uuid;

use super::ProcurementApi;
use super::purchase_orders::submit_locked;
use crate::convert;
use crate::domain::{self, PoStatus, SupplierSchedule};
use crate::store::queries::{lines, purchase_orders, suppliers};
use crate::store::{purchase_order, stored_id};

/// Suppliers read per page when looking for due drafts.
const SUPPLIER_PAGE: u64 = 100;

/// What one scheduled-submission pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Submitted {
    /// Drafts submitted.
    pub submitted: usize,
    /// Drafts (or pages of suppliers) that failed and wait for the next
    /// pass.
    pub failed: usize,
}

impl ProcurementApi {
    /// The `SetSupplierSchedule` RPC.
    pub async fn set_supplier_schedule(
        &self,
        req: pb::SetSupplierScheduleRequest,
    ) -> ServiceResult<pb::SetSupplierScheduleResponse> {
        let schedule = SupplierSchedule::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let db = work.db();
                    let id = schedule.supplier_id;
                    if suppliers::set_schedule(db, id, schedule.auto_submit_hours).await? == 0 {
                        return Err(ServiceError::not_found("supplier", id.to_string()));
                    }
                    let supplier = suppliers::find(db, id)
                        .await?
                        .ok_or_else(|| ServiceError::not_found("supplier", id.to_string()))?;
                    work.set_resource(supplier.id.clone());
                    let items = suppliers::items_of(db, vec![supplier.id.clone()]).await?;
                    Ok(pb::SetSupplierScheduleResponse {
                        supplier: Some(convert::supplier(&supplier, &items)),
                    })
                })
            })
            .await
    }

    /// One pass: every draft (stock or drop-ship) of a supplier with a
    /// schedule that is at least its hours old at `now` and orders
    /// something is submitted. Failures are logged and retried next pass.
    pub async fn submit_due_drafts(&self, now: i64) -> Submitted {
        let db = &self.context.db;
        let mut done = Submitted::default();
        let mut after: Option<String> = None;
        loop {
            let page = match suppliers::scheduled(db, after.as_deref(), SUPPLIER_PAGE).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(%error, "reading supplier schedules failed");
                    done.failed += 1;
                    return done;
                }
            };
            for supplier in &page {
                let Some(cutoff) = domain::due_cutoff(now, supplier.auto_submit_hours) else {
                    continue;
                };
                let drafts = match purchase_orders::drafts_created_by(db, &supplier.id, cutoff)
                    .await
                {
                    Ok(drafts) => drafts,
                    Err(error) => {
                        tracing::warn!(supplier.id = %supplier.id, %error, "reading due drafts failed");
                        done.failed += 1;
                        continue;
                    }
                };
                for draft in drafts {
                    match self.submit_if_due(&draft, now).await {
                        Ok(true) => done.submitted += 1,
                        Ok(false) => {}
                        Err(error) => {
                            tracing::warn!(purchase_order.id = %draft.id, %error, "submitting a due draft failed");
                            done.failed += 1;
                        }
                    }
                }
            }
            if u64::try_from(page.len()).unwrap_or(0) < SUPPLIER_PAGE {
                return done;
            }
            after = page.last().map(|s| s.id.clone());
        }
    }

    /// Submits `draft` if, under its lock, it is still a draft, still due
    /// under its supplier's schedule and orders something; `false` when
    /// not (another replica or an operator submitted it first, the schedule
    /// changed, or everything on it was released).
    async fn submit_if_due(&self, draft: &purchase_order::Model, now: i64) -> ServiceResult<bool> {
        let span = tracing::info_span!(
            "procurement.schedule",
            otel.name = "draft submitted on schedule",
            purchase_order.id = %draft.id,
            supplier.id = %draft.supplier_id,
        );
        let id: Uuid = stored_id(&draft.id)?;
        self.context
            .internal(move |work| {
                Box::pin(async move {
                    let db = work.db();
                    let Some(po) = purchase_orders::lock(db, id).await? else {
                        return Ok(false);
                    };
                    if convert::status(&po)? != PoStatus::Draft {
                        return Ok(false);
                    }
                    let supplier = suppliers::find(db, stored_id(&po.supplier_id)?).await?;
                    let hours = supplier.map_or(0, |s| s.auto_submit_hours);
                    if !domain::is_due(po.created_at, now, hours) {
                        return Ok(false);
                    }
                    let lines = lines::of(db, &po.id).await?;
                    if !lines.iter().any(|l| l.ordered_quantity > 0) {
                        return Ok(false);
                    }
                    submit_locked(work, po, &lines, now).await?;
                    Ok(true)
                })
            })
            .instrument(span)
            .await
    }
}
