//! ChangeOrderLine: a backordered line given another SKU or fewer units.
//!
//! Inventory changes the reservation first, synchronously: what the line
//! becomes depends on its answer (a substitute in stock is ready now).
//! Unlike a placement, nothing needs recording before inventory is asked,
//! so the whole change is one unit of work: the request id is claimed and
//! the order locked while inventory answers. A twin waits for the claim
//! and gets the stored answer; news for the line (an allocation, an ETA)
//! waits for the lock and lands on the changed line; a crash after
//! inventory answered leaves nothing here, and the retry asks inventory
//! under the same id (see [`changes::inventory_request_id`]), which
//! answers as before.

use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::order::v1 as pb;
use tonic::{Code, Status};
use tonic_types::StatusExt;
use tracing::Instrument;

use super::{OrderApi, line_index, load_order, notify, save_status, span_in_sale_trace, view};
use crate::convert::changes;
use crate::domain::changes::{ChangeRefused, LineChange, notice_detail, target, timeline_detail};
use crate::domain::notices::Notice;
use crate::domain::timeline::Recorded;
use crate::store::queries;

impl OrderApi {
    /// The `ChangeOrderLine` RPC.
    pub async fn change_order_line(
        &self,
        req: pb::ChangeOrderLineRequest,
    ) -> ServiceResult<pb::ChangeOrderLineResponse> {
        let change = LineChange::try_from(&req)?;
        let peers = self.peers.clone();
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let (mut order, mut lines) =
                        load_order(work.db(), change.order_id, true).await?;
                    work.set_resource(order.id.to_string());
                    let index = line_index(&lines, change.line_id)?;
                    let found = lines
                        .get(index)
                        .ok_or_else(|| ServiceError::Internal("a found line vanished".into()))?;
                    let to =
                        target(found, &change).map_err(|refused| refusal(found.id, refused))?;
                    let asked = changes::change_request(&change, &order, found, &to);
                    let span = span_in_sale_trace("change order line", &order);
                    async {
                        let reply = peers
                            .change_reservation(asked)
                            .await
                            .map_err(inventory_error)?;
                        let line = lines.get_mut(index).ok_or_else(|| {
                            ServiceError::Internal("a found line vanished".into())
                        })?;
                        let was = line
                            .take_change(&to, changes::changed(reply)?)
                            .map_err(|e| {
                                ServiceError::Internal(format!("inventory's answer: {e}"))
                            })?;
                        queries::set_line_item(work.db(), line).await?;
                        queries::update_line(work.db(), line).await?;
                        queries::replace_parts(work.db(), std::slice::from_ref(line)).await?;
                        let detail = timeline_detail(&was, line);
                        queries::record(
                            work.db(),
                            order.id,
                            Some(line.id),
                            Recorded::LineChanged { detail: &detail },
                        )
                        .await?;
                        let notice = Notice::line_changed(line, notice_detail(&was, line));
                        save_status(work, &mut order, &lines).await?;
                        notify(work, &order, notice).await?;
                        Ok(pb::ChangeOrderLineResponse {
                            order: Some(view(work.db(), &order, &lines).await?),
                        })
                    }
                    .instrument(span)
                    .await
                })
            })
            .await
    }
}

/// A line that cannot change, as the caller sees it.
fn refusal(line_id: uuid::Uuid, refused: ChangeRefused) -> ServiceError {
    match refused {
        ChangeRefused::NotBackordered(status) => ServiceError::precondition(
            "LINE_NOT_BACKORDERED",
            format!(
                "line {line_id} is {}; only a backordered line that waits for stock changes",
                status.name()
            ),
        ),
        ChangeRefused::NotAReduction { quantity } => ServiceError::invalid(
            "quantity",
            format!("must be below the line's {quantity} units to reduce it"),
        ),
        ChangeRefused::PartlyShipped { shipped } => ServiceError::precondition(
            "LINE_PARTLY_SHIPPED",
            format!(
                "{shipped} units of line {line_id} already shipped; keep more than those, and its SKU"
            ),
        ),
    }
}

/// Inventory's refusals reach the caller as inventory worded them (a
/// short substitute, an unknown SKU), except a line it no longer holds
/// waiting: its allocation is on its way here, and to the caller the line
/// is no longer backordered. Anything else is an outage the caller
/// retries with the same request id.
fn inventory_error(status: Status) -> ServiceError {
    let reason = status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone());
    match status.code() {
        Code::FailedPrecondition if reason.as_deref() == Some("LINE_NOT_WAITING") => {
            ServiceError::precondition(
                "LINE_NOT_BACKORDERED",
                "the line has just got its stock; it no longer waits and cannot change",
            )
        }
        Code::FailedPrecondition | Code::NotFound | Code::InvalidArgument | Code::AlreadyExists => {
            ServiceError::Upstream(status)
        }
        _ => ServiceError::Unavailable {
            reason: "INVENTORY_UNAVAILABLE",
            message: format!(
                "inventory could not change the line ({:?}: {}); retry ChangeOrderLine with the same request_id",
                status.code(),
                status.message()
            ),
        },
    }
}
