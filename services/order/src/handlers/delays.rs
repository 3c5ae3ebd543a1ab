//! Delays offered to the customer: a slipped date on a waiting line opens
//! an offer (in the unit that records the date, see [`follow_eta`]), the
//! customer answers it (AnswerDelay), and an offer nobody answers follows
//! the merchant's rule ([`OrderApi::apply_delay_rule`], run by the
//! delay-rule worker). Cancelling, by answer or by rule, is the cancelling
//! CancelOrderLine does.

use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::order::v1 as pb;
use tracing::Instrument;
use uuid::Uuid;

use super::cancellation::cancel_lines;
use super::{OrderApi, line_index, load_order, notify, span_in_sale_trace, view};
use crate::convert::delays::AnswerDelay;
use crate::domain::delays::{
    self, AnswerRefused, CANCELLED_BY_CUSTOMER, CANCELLED_BY_RULE, DelayAnswer, DelayNews,
    DelayOffer, DelayRule, OfferChange, OfferState,
};
use crate::domain::notices::Notice;
use crate::domain::timeline::Recorded;
use crate::domain::{Line, LineStatus, Order};
use crate::store::queries;

/// Reason of every refused answer.
const NO_OPEN_DELAY_OFFER: &str = "NO_OPEN_DELAY_OFFER";

fn no_open_offer(line_id: Uuid, refused: AnswerRefused) -> ServiceError {
    let why = match refused {
        AnswerRefused::NoOpenOffer => "has no delay waiting for an answer",
        AnswerRefused::LineNoLongerWaits => {
            "no longer waits for stock (filled, shipped or cancelled): its delay offer is moot"
        }
    };
    ServiceError::precondition(NO_OPEN_DELAY_OFFER, format!("line {line_id} {why}"))
}

/// Records `news` about the line `line_id`'s offer on the order's
/// timeline.
async fn record(work: &Work, order_id: Uuid, line_id: Uuid, news: &DelayNews) -> ServiceResult<()> {
    queries::record(work.db(), order_id, Some(line_id), Recorded::Delay(news)).await
}

impl OrderApi {
    /// The `AnswerDelay` RPC.
    pub async fn answer_delay(
        &self,
        req: pb::AnswerDelayRequest,
    ) -> ServiceResult<pb::AnswerDelayResponse> {
        let command = AnswerDelay::try_from(&req)?;
        let answered = self
            .context
            .execute(&req, move |work| {
                Box::pin(async move {
                    let (mut order, mut lines) =
                        load_order(work.db(), command.order_id, true).await?;
                    work.set_resource(order.id.to_string());
                    let index = line_index(&lines, command.line_id)?;
                    let status = lines.get(index).map_or(LineStatus::Cancelled, |l| l.status);
                    let offer = queries::offer_of(work.db(), command.line_id).await?;
                    let settled = delays::answer(offer.as_ref(), status, command.answer, now_ms())
                        .map_err(|refused| no_open_offer(command.line_id, refused))?;
                    // The order is locked, so the offer is still open; the
                    // guard says so should that ever change.
                    if !queries::settle_offer(work.db(), &settled).await? {
                        return Err(no_open_offer(command.line_id, AnswerRefused::NoOpenOffer));
                    }
                    let news = DelayNews::Answered(command.answer);
                    record(work, order.id, command.line_id, &news).await?;
                    if command.answer == DelayAnswer::Cancel {
                        let span = span_in_sale_trace("answer delay", &order);
                        cancel_lines(
                            work,
                            &mut order,
                            &mut lines,
                            &[index],
                            CANCELLED_BY_CUSTOMER,
                        )
                        .instrument(span)
                        .await?;
                    }
                    Ok(pb::AnswerDelayResponse {
                        order: Some(view(work.db(), &order, &lines).await?),
                    })
                })
            })
            .await;
        // A refusal rolled its unit back: an open offer on a line that no
        // longer waits is written moot in a unit of its own.
        if let Err(ServiceError::FailedPrecondition { reason, .. }) = &answered
            && *reason == NO_OPEN_DELAY_OFFER
            && let Err(error) = self.settle_moot(command.order_id, command.line_id).await
        {
            tracing::warn!(order.id = %command.order_id, line.id = %command.line_id, %error, "recording a moot delay offer failed");
        }
        answered
    }

    /// Writes line `line_id`'s open offer moot when the line no longer
    /// waits; nothing otherwise.
    async fn settle_moot(&self, order_id: Uuid, line_id: Uuid) -> ServiceResult<()> {
        self.context
            .internal(move |work| {
                Box::pin(async move {
                    let (_, lines) = load_order(work.db(), order_id, true).await?;
                    let index = line_index(&lines, line_id)?;
                    let offer = queries::offer_of(work.db(), line_id).await?;
                    if let (Some(offer), Some(line)) = (offer, lines.get(index))
                        && offer.shown_state(line.status) == OfferState::Moot
                        && offer.state == OfferState::Open
                        && queries::settle_offer(work.db(), &delays::moot(&offer, now_ms())).await?
                    {
                        let news = DelayNews::Moot {
                            why: "the line stopped waiting before an answer",
                        };
                        record(work, order_id, line_id, &news).await?;
                    }
                    Ok(())
                })
            })
            .await
    }

    /// Applies the merchant's rule to `due`, an open offer past its time
    /// to answer, in one unit: the offer is claimed by an update guarded
    /// on its still being open, so of several replicas only one acts.
    /// Whether this call settled it.
    pub async fn apply_delay_rule(&self, due: &DelayOffer) -> ServiceResult<bool> {
        let rule = self.fulfilment.delays.rule;
        let (order_id, line_id) = (due.order_id, due.line_id);
        self.context
            .internal(move |work| {
                Box::pin(async move {
                    let (mut order, mut lines) = load_order(work.db(), order_id, true).await?;
                    let index = line_index(&lines, line_id)?;
                    let status = lines.get(index).map_or(LineStatus::Cancelled, |l| l.status);
                    // Read again under the order's lock: the customer may
                    // have answered since the worker listed it.
                    let Some(offer) = queries::offer_of(work.db(), line_id).await? else {
                        return Ok(false);
                    };
                    let Some(settled) = delays::apply_rule(&offer, status, &rule, now_ms()) else {
                        return Ok(false);
                    };
                    if !queries::settle_offer(work.db(), &settled).await? {
                        return Ok(false);
                    }
                    let Some(answer) = settled
                        .answer
                        .filter(|_| settled.state == OfferState::DecidedByRule)
                    else {
                        let news = DelayNews::Moot {
                            why: "the line stopped waiting before an answer",
                        };
                        record(work, order_id, line_id, &news).await?;
                        return Ok(true);
                    };
                    record(work, order_id, line_id, &DelayNews::DecidedByRule(answer)).await?;
                    if answer == DelayAnswer::Cancel {
                        let span = span_in_sale_trace("delay rule", &order);
                        cancel_lines(work, &mut order, &mut lines, &[index], CANCELLED_BY_RULE)
                            .instrument(span)
                            .await?;
                    }
                    Ok(true)
                })
            })
            .await
    }
}

/// What a new promise `(eta, eta_latest)` on the backordered line `before`
/// (as it was before the promise) does to its delay offer, in the unit
/// that records the promise: a slip opens or refreshes an offer and tells
/// the customer, the date coming back makes it moot. Returns the line's
/// offer as it now stands, and whether the customer was told (then the
/// plain ETA notice is not sent).
pub(super) async fn follow_eta(
    work: &Work,
    order: &Order,
    before: &Line,
    promise: (i64, i64),
    rule: &DelayRule,
) -> ServiceResult<(Option<DelayOffer>, bool)> {
    let current = queries::offer_of(work.db(), before.id).await?;
    match delays::on_eta(before, current.as_ref(), promise, now_ms(), rule) {
        OfferChange::Offered { offer, refreshed } => {
            queries::save_offer(work.db(), &offer).await?;
            let news = DelayNews::Offered {
                offer: offer.clone(),
                refreshed,
            };
            record(work, order.id, before.id, &news).await?;
            let detail = delays::offer_detail(before, &offer, rule);
            let notice = Notice::delay_offered(before, detail, offer.new_eta, offer.new_eta_latest);
            notify(work, order, notice).await?;
            Ok((Some(offer), true))
        }
        OfferChange::Adjusted(offer) => {
            queries::save_offer(work.db(), &offer).await?;
            Ok((Some(offer), false))
        }
        OfferChange::Moot(offer) => {
            queries::save_offer(work.db(), &offer).await?;
            let news = DelayNews::Moot {
                why: "the date came back to where it was before the delay",
            };
            record(work, order.id, before.id, &news).await?;
            Ok((Some(offer), false))
        }
        OfferChange::Nothing => Ok((current, false)),
    }
}
