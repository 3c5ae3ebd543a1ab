//! Charging lines (see [`crate::domain::charging`]): the payment requests
//! a change to lines makes, written in that change's unit of work, and the
//! recording of the endpoint's answer with its consequences (the line's
//! payment, the next request, the timeline, the customer's notice) in one
//! unit of work. The requests are sent by `crate::workers::payments`.

use backorder_platform::ids::new_id;
use backorder_platform::telemetry::{continue_stored_trace, current_traceparent};
use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use tracing::Instrument;

use super::{OrderApi, line_index, load_order, notify};
use crate::domain::charging::{
    self, ChargeAt, LinePayment, Outcome, PaymentAction, PaymentNews, PaymentState,
};
use crate::domain::notices::Notice;
use crate::domain::timeline::Recorded;
use crate::domain::{Line, Order};
use crate::store::queries::{self, PaymentRequest};

/// Asks for the authorisation of every priced line of a new order under
/// `charge_at` (nothing under NEVER, nothing for a line without a price).
pub(super) async fn authorize_at_sale(
    work: &Work,
    order: &Order,
    lines: &mut [Line],
    charge_at: ChargeAt,
) -> ServiceResult<()> {
    for line in lines.iter_mut() {
        let Some(amount_minor) = charging::at_sale(charge_at, line) else {
            continue;
        };
        line.payment = Some(LinePayment {
            charge_at,
            state: PaymentState::Pending,
            amount_minor,
            reference: String::new(),
            updated_at: now_ms(),
        });
        ask(work, order, line, PaymentAction::Authorize).await?;
    }
    Ok(())
}

/// Makes the request each of `lines` needs after a change (filled,
/// shipped, cancelled), if any.
pub(super) async fn follow(work: &Work, order: &Order, lines: &mut [Line]) -> ServiceResult<()> {
    for line in lines.iter_mut() {
        if let Some(action) = charging::next_request(line) {
            ask(work, order, line, action).await?;
        }
    }
    Ok(())
}

/// Queues `action` for `line`, whose payment is then PENDING, and notes
/// it on the timeline.
async fn ask(
    work: &Work,
    order: &Order,
    line: &mut Line,
    action: PaymentAction,
) -> ServiceResult<()> {
    let Some(payment) = line.payment.as_mut() else {
        return Ok(());
    };
    let now = now_ms();
    payment.state = PaymentState::Pending;
    payment.updated_at = now;
    let request = PaymentRequest {
        id: new_id(),
        order_id: order.id,
        line_id: line.id,
        action,
        amount_minor: payment.amount_minor,
        prior_reference: payment.reference.clone(),
        attempts: 0,
        next_attempt_at: now,
        trace_context: current_traceparent(),
    };
    let news = PaymentNews {
        action,
        outcome: None,
        amount_minor: payment.amount_minor,
        reference: String::new(),
    };
    queries::save_line_payment(work.db(), line).await?;
    queries::insert_request(work.db(), &request).await?;
    queries::record(work.db(), order.id, Some(line.id), Recorded::Payment(&news)).await?;
    tracing::info!(
        order.id = %order.id,
        line.id = %line.id,
        payment.request_id = %request.id,
        payment.action = action.name(),
        "payment requested"
    );
    Ok(())
}

impl OrderApi {
    /// Records the endpoint's `outcome` of `request`, claimed by a worker
    /// until `claimed_until`, with its consequences, in one unit of work in
    /// the trace of the change that made the request. `Ok(false)` when the
    /// claim lapsed meanwhile: another worker owns the request, and nothing
    /// changed.
    pub(crate) async fn record_payment_answer(
        &self,
        request: PaymentRequest,
        claimed_until: i64,
        outcome: Outcome,
        reference: String,
    ) -> ServiceResult<bool> {
        let span = tracing::info_span!(
            "order.payment",
            otel.name = "record payment answer",
            order.id = %request.order_id,
            payment.request_id = %request.id,
        );
        continue_stored_trace(
            &span,
            request.trace_context.as_deref(),
            &tracing::Span::current(),
        );
        self.context
            .internal(move |work| {
                Box::pin(apply_answer(
                    work,
                    request,
                    claimed_until,
                    outcome,
                    reference,
                ))
            })
            .instrument(span)
            .await
    }
}

async fn apply_answer(
    work: &Work,
    request: PaymentRequest,
    claimed_until: i64,
    outcome: Outcome,
    reference: String,
) -> ServiceResult<bool> {
    // The order first: every change to its lines takes this lock, so the
    // line read below is the one the answer applies to.
    let (order, mut lines) = load_order(work.db(), request.order_id, true).await?;
    work.set_resource(order.id.to_string());
    if !queries::record_answer(work.db(), request.id, claimed_until, outcome, &reference).await? {
        return Ok(false);
    }
    let index = line_index(&lines, request.line_id)?;
    let line = lines
        .get_mut(index)
        .ok_or_else(|| ServiceError::not_found("order line", request.line_id.to_string()))?;
    let Some(payment) = line.payment.as_mut() else {
        return Err(ServiceError::Internal(format!(
            "payment request {} answered for line {}, which is not charged",
            request.id, line.id
        )));
    };
    payment.state = charging::after_answer(request.action, outcome);
    payment.updated_at = now_ms();
    if outcome == Outcome::Approved && !reference.is_empty() {
        payment.reference = reference.clone();
    }
    queries::save_line_payment(work.db(), line).await?;
    let news = PaymentNews {
        action: request.action,
        outcome: Some(outcome),
        amount_minor: request.amount_minor,
        reference,
    };
    queries::record(work.db(), order.id, Some(line.id), Recorded::Payment(&news)).await?;
    tracing::info!(
        order.id = %order.id,
        line.id = %line.id,
        payment.request_id = %request.id,
        payment.action = request.action.name(),
        payment.outcome = outcome.name(),
        "payment answered"
    );
    if let Some(told) = charging::told_after(request.action, outcome) {
        notify(
            work,
            &order,
            Notice::payment(told, line, request.amount_minor),
        )
        .await?;
    }
    // What happened to the line while the request was under way (filled,
    // shipped, cancelled) decides the next one.
    follow(work, &order, std::slice::from_mut(line)).await?;
    Ok(true)
}
