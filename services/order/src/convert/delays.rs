//! Delays on the wire: AnswerDelay parsed, and the offers shown on the
//! lines of an answered order.

use std::collections::BTreeMap;

use backorder_platform::ServiceError;
use backorder_platform::ids::Violations;
use backorder_platform::time::{to_timestamp, to_timestamp_opt};
use backorder_proto::order::v1 as pb;
use uuid::Uuid;

use super::views;
use crate::domain::Line;
use crate::domain::delays::{DelayAnswer, DelayOffer};

/// The customer's answer to the delay offered on a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnswerDelay {
    /// Order id.
    pub order_id: Uuid,
    /// Line id.
    pub line_id: Uuid,
    /// The answer.
    pub answer: DelayAnswer,
}

impl TryFrom<&pb::AnswerDelayRequest> for AnswerDelay {
    type Error = ServiceError;

    fn try_from(req: &pb::AnswerDelayRequest) -> Result<Self, Self::Error> {
        let mut v = Violations::new();
        let order_id = v.uuid("order_id", &req.order_id);
        let line_id = v.uuid("line_id", &req.line_id);
        let answer = DelayAnswer::try_from(req.answer).ok();
        if answer.is_none() {
            v.add("answer", "must be DELAY_ANSWER_WAIT or DELAY_ANSWER_CANCEL");
        }
        v.finish()?;
        match (order_id, line_id, answer) {
            (Some(order_id), Some(line_id), Some(answer)) => Ok(Self {
                order_id,
                line_id,
                answer,
            }),
            _ => Err(ServiceError::Internal(
                "a checked request lost a field".to_owned(),
            )),
        }
    }
}

/// An offer as answered, on a line of `line`'s status.
pub fn offer_to_proto(offer: &DelayOffer, line: &Line) -> pb::DelayOffer {
    pb::DelayOffer {
        previous_eta: Some(to_timestamp(offer.previous_eta)),
        new_eta: Some(to_timestamp(offer.new_eta)),
        offer_time: Some(to_timestamp(offer.offered_at)),
        answer_by: Some(to_timestamp(offer.answer_by)),
        state: offer.shown_state(line.status).code(),
        answer: offer.answer.map_or(0, DelayAnswer::code),
        answer_time: to_timestamp_opt(offer.answered_at),
    }
}

/// A line as answered, with its latest offer.
pub fn line_with_offer(line: &Line, offer: Option<&DelayOffer>) -> pb::OrderLine {
    pb::OrderLine {
        delay_offer: offer.map(|o| offer_to_proto(o, line)),
        ..views::line_to_proto(line)
    }
}

/// Puts each line's latest offer (from `offers`, by line id) on the lines
/// of `order`, an answered order whose lines are `lines`, in order.
pub fn attach_offers(order: &mut pb::Order, lines: &[Line], offers: &BTreeMap<Uuid, DelayOffer>) {
    for (shown, line) in order.lines.iter_mut().zip(lines) {
        shown.delay_offer = offers.get(&line.id).map(|o| offer_to_proto(o, line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_must_be_wait_or_cancel_on_named_ids() {
        let good = pb::AnswerDelayRequest {
            request_id: Uuid::now_v7().to_string(),
            order_id: Uuid::now_v7().to_string(),
            line_id: Uuid::now_v7().to_string(),
            answer: pb::DelayAnswer::Cancel as i32,
        };
        let parsed = AnswerDelay::try_from(&good).expect("valid");
        assert_eq!(parsed.answer, DelayAnswer::Cancel);
        let bad = pb::AnswerDelayRequest {
            order_id: "x".to_owned(),
            answer: 0,
            ..good
        };
        let ServiceError::InvalidArgument(violations) =
            AnswerDelay::try_from(&bad).expect_err("refused")
        else {
            panic!("invalid argument expected");
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["order_id", "answer"]);
    }
}
