//! What peers tell order about a line: inventory allocated its stock
//! (MarkLineAllocated), procurement knows when it arrives (UpdateLineEta).
//! Both arrive through the senders' outboxes; repeats and stale news are
//! ignored.

use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::order::v1 as pb;

use super::{OrderApi, delays, line_index, load_order, move_line, notify, payments, save_status};
use crate::convert::{self, views};
use crate::domain::commands::{LineAllocated, LineEta};
use crate::domain::notices::Notice;
use crate::domain::timeline::Recorded;
use crate::domain::{EtaNews, Line, LineEvent, LineStatus, PartRefused, lifecycle};
use crate::store::queries;

/// The refusal of a part reservation, named for the sender.
fn part_refused(line: &Line, units: i64, refused: PartRefused) -> ServiceError {
    match refused {
        PartRefused::NotPlacedYet => ServiceError::precondition(
            "LINE_NOT_READY_FOR_EVENT",
            format!(
                "line {} is still being placed; tell it again shortly",
                line.id
            ),
        ),
        PartRefused::WouldComplete => ServiceError::precondition(
            "ALLOCATION_EXCEEDS_LINE",
            format!(
                "{units} more units would leave line {} nothing to wait for; a complete line is told with waiting_quantity 0",
                line.id
            ),
        ),
    }
}

impl OrderApi {
    /// The `MarkLineAllocated` RPC.
    pub async fn mark_line_allocated(
        &self,
        req: pb::MarkLineAllocatedRequest,
    ) -> ServiceResult<pb::MarkLineAllocatedResponse> {
        let command = LineAllocated::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let (mut order, mut lines) =
                        load_order(work.db(), command.order_id, true).await?;
                    work.set_resource(order.id.to_string());
                    let index = line_index(&lines, command.line_id)?;
                    // Units given to a drop-ship line would let it leave a
                    // warehouse too: the customer would get it twice.
                    if let Some(line) = lines.get(index)
                        && line.drop_ship
                    {
                        return Err(ServiceError::precondition(
                            "LINE_DROP_SHIPPED",
                            format!(
                                "line {} is drop-shipped: the supplier ships it and it takes no stock; release the units to the queue",
                                line.id
                            ),
                        ));
                    }
                    let warehouse = &command.warehouse;
                    if let Some(units) = command.partial {
                        let line = lines.get_mut(index).ok_or_else(|| {
                            ServiceError::not_found("order line", command.line_id.to_string())
                        })?;
                        let reserved = line
                            .reserve_part(units, warehouse)
                            .map_err(|refused| part_refused(line, units, refused))?;
                        if reserved {
                            queries::update_line(work.db(), line).await?;
                            queries::replace_parts(work.db(), std::slice::from_ref(line)).await?;
                            queries::record(
                                work.db(),
                                order.id,
                                Some(line.id),
                                Recorded::LinePartlyAllocated {
                                    line,
                                    units,
                                    warehouse,
                                },
                            )
                            .await?;
                        }
                        return Ok(pb::MarkLineAllocatedResponse {
                            line: lines.get(index).map(views::line_to_proto),
                        });
                    }
                    let moved = match lines.get_mut(index) {
                        Some(line) => move_line(line, LineEvent::Allocated)?,
                        None => false,
                    };
                    if !moved {
                        return Ok(pb::MarkLineAllocatedResponse {
                            line: lines.get(index).map(views::line_to_proto),
                        });
                    }
                    let line = lines.get_mut(index).ok_or_else(|| {
                        ServiceError::not_found("order line", command.line_id.to_string())
                    })?;
                    // Everything not shipped is reserved now; what was not
                    // before is in the warehouse named.
                    let units = line
                        .reserve_rest(warehouse)
                        .map_err(|e| ServiceError::Internal(format!("line {}: {e}", line.id)))?;
                    let line = line.clone();
                    queries::update_line(work.db(), &line).await?;
                    queries::replace_parts(work.db(), std::slice::from_ref(&line)).await?;
                    queries::record(
                        work.db(),
                        order.id,
                        Some(line.id),
                        Recorded::LineAllocated {
                            line: &line,
                            units,
                            warehouse,
                        },
                    )
                    .await?;
                    save_status(work, &mut order, &lines).await?;
                    notify(work, &order, Notice::ready(&line)).await?;
                    // Charged when filled: the capture is due now.
                    payments::follow(work, &order, &mut lines).await?;
                    Ok(pb::MarkLineAllocatedResponse {
                        line: lines.get(index).map(views::line_to_proto),
                    })
                })
            })
            .await
    }

    /// The `UpdateLineEta` RPC.
    pub async fn update_line_eta(
        &self,
        req: pb::UpdateLineEtaRequest,
    ) -> ServiceResult<pb::UpdateLineEtaResponse> {
        let command = LineEta::try_from(&req)?;
        let rule = self.fulfilment.delays.rule;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let (order, mut lines) = load_order(work.db(), command.order_id, true).await?;
                    work.set_resource(order.id.to_string());
                    let index = line_index(&lines, command.line_id)?;
                    let mut offer = None;
                    if let Some(line) = lines.get_mut(index) {
                        match line.status {
                            LineStatus::Pending => {
                                return Err(ServiceError::precondition(
                                    "LINE_NOT_READY_FOR_EVENT",
                                    "the order is still being placed; retry shortly",
                                ));
                            }
                            LineStatus::Backordered => {
                                let news = lifecycle::eta_news(
                                    (line.eta, line.eta_latest),
                                    (command.eta_ms, command.eta_latest_ms),
                                );
                                let before = line.clone();
                                line.eta = Some(command.eta_ms);
                                line.eta_latest = Some(command.eta_latest_ms);
                                if command.purchase_order_id.is_some() {
                                    line.purchase_order_id = command.purchase_order_id;
                                }
                                queries::update_line(work.db(), line).await?;
                                let purchase_order_id = command
                                    .purchase_order_id
                                    .map(|id| id.to_string())
                                    .unwrap_or_default();
                                queries::record(
                                    work.db(),
                                    order.id,
                                    Some(line.id),
                                    Recorded::Eta {
                                        news,
                                        eta_ms: command.eta_ms,
                                        purchase_order_id: &purchase_order_id,
                                    },
                                )
                                .await?;
                                // A slip is told as a delay offer instead.
                                let (now_offered, told) = delays::follow_eta(
                                    work,
                                    &order,
                                    &before,
                                    (command.eta_ms, command.eta_latest_ms),
                                    &rule,
                                )
                                .await?;
                                offer = now_offered;
                                if news != EtaNews::Unchanged && !told {
                                    let changed = news == EtaNews::Changed;
                                    notify(
                                        work,
                                        &order,
                                        Notice::eta(changed, line, command.eta_ms),
                                    )
                                    .await?;
                                }
                            }
                            // The line has its stock or is gone: an ETA is
                            // stale news.
                            _ => {}
                        }
                    }
                    Ok(pb::UpdateLineEtaResponse {
                        line: lines
                            .get(index)
                            .map(|l| convert::delays::line_with_offer(l, offer.as_ref())),
                    })
                })
            })
            .await
    }
}
