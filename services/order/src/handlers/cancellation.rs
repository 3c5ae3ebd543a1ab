//! CancelOrder and CancelOrderLine: the lines move to CANCELLED, inventory
//! releases their stock (and, through it, procurement their demand), and
//! the customer is told why.

use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::order::v1 as pb;
use tracing::Instrument;

use super::{
    OrderApi, line_index, load_order, move_line, notify, payments, save_status, span_in_sale_trace,
    view,
};
use crate::convert::views;
use crate::domain::commands::{CancelLine, CancelOrder};
use crate::domain::lifecycle::is_cancellable;
use crate::domain::notices::Notice;
use crate::domain::timeline::Recorded;
use crate::domain::{Line, LineEvent, Order, OrderStatus};
use crate::store::queries;

impl OrderApi {
    /// The `CancelOrder` RPC.
    pub async fn cancel_order(
        &self,
        req: pb::CancelOrderRequest,
    ) -> ServiceResult<pb::CancelOrderResponse> {
        let command = CancelOrder::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let (mut order, mut lines) = load_order(work.db(), command.order_id, true).await?;
                    if order.status == OrderStatus::Pending {
                        return Err(ServiceError::precondition(
                            "ORDER_PENDING",
                            "the order is still being reserved; retry shortly",
                        ));
                    }
                    let cancellable: Vec<usize> = lines
                        .iter()
                        .enumerate()
                        .filter(|(_, l)| is_cancellable(l.status))
                        .map(|(i, _)| i)
                        .collect();
                    if cancellable.is_empty() {
                        return Err(ServiceError::precondition(
                            "NOTHING_TO_CANCEL",
                            format!(
                                "order {} has no line that can still be cancelled (all shipped or cancelled)",
                                order.id
                            ),
                        ));
                    }
                    let span = span_in_sale_trace("cancel order", &order);
                    async {
                        cancel_lines(work, &mut order, &mut lines, &cancellable, &command.reason)
                            .await?;
                        Ok(pb::CancelOrderResponse {
                            order: Some(view(work.db(), &order, &lines).await?),
                        })
                    }
                    .instrument(span)
                    .await
                })
            })
            .await
    }

    /// The `CancelOrderLine` RPC.
    pub async fn cancel_order_line(
        &self,
        req: pb::CancelOrderLineRequest,
    ) -> ServiceResult<pb::CancelOrderLineResponse> {
        let command = CancelLine::try_from(&req)?;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let (mut order, mut lines) =
                        load_order(work.db(), command.order_id, true).await?;
                    let index = line_index(&lines, command.line_id)?;
                    let span = span_in_sale_trace("cancel order line", &order);
                    async {
                        cancel_lines(work, &mut order, &mut lines, &[index], &command.reason)
                            .await?;
                        Ok(pb::CancelOrderLineResponse {
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

/// Cancels the lines at `which`, releasing their stock and telling the
/// customer, then re-derives the order's status (also the cancelling of
/// a delayed line, by the customer's answer or the merchant's rule).
pub(super) async fn cancel_lines(
    work: &Work,
    order: &mut Order,
    lines: &mut [Line],
    which: &[usize],
    reason: &str,
) -> ServiceResult<()> {
    work.set_resource(order.id.to_string());
    let mut cancelled = Vec::with_capacity(which.len());
    for &i in which {
        let Some(line) = lines.get_mut(i) else {
            continue;
        };
        move_line(line, LineEvent::Cancelled)?;
        // Inventory takes its reserved units back, wherever they are.
        line.release_ready();
        queries::update_line(work.db(), line).await?;
        cancelled.push(line.clone());
        queries::record(
            work.db(),
            order.id,
            Some(line.id),
            Recorded::LineCancelled { reason },
        )
        .await?;
        work.send(views::release_request(order.id, line.id)).await?;
        notify(work, order, Notice::cancelled(line, reason)).await?;
    }
    queries::replace_parts(work.db(), &cancelled).await?;
    // A captured line is refunded, an authorised one voided.
    payments::follow(work, order, lines).await?;
    save_status(work, order, lines).await
}
