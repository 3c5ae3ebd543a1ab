//! Delays offered to the customer: when a waiting line's date slips, the
//! customer may keep waiting or cancel; an offer nobody answers follows the
//! merchant's rule once its time is up. Pure rules: what an ETA update does
//! to a line's offer, what an answer or the rule does, and the words.

use uuid::Uuid;

use super::lifecycle::utc_day;
use super::model::Line;
use super::status::{LineStatus, UnknownCode};
use super::timeline::day;

/// Reason told to the customer when they cancel a delayed line.
pub const CANCELLED_BY_CUSTOMER: &str = "you chose to cancel after the delay";
/// Reason told to the customer when the merchant's rule cancels it.
pub const CANCELLED_BY_RULE: &str = "no answer to the delay in time";

/// The answer to a delay: the customer's, or the merchant's rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DelayAnswer {
    /// Keep waiting for the new date.
    Wait,
    /// Cancel the line.
    Cancel,
}

impl DelayAnswer {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Wait => 1,
            Self::Cancel => 2,
        }
    }

    /// Lower-case name for the timeline.
    pub fn name(self) -> &'static str {
        match self {
            Self::Wait => "wait",
            Self::Cancel => "cancel",
        }
    }
}

impl TryFrom<i32> for DelayAnswer {
    type Error = UnknownCode;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        match code {
            1 => Ok(Self::Wait),
            2 => Ok(Self::Cancel),
            _ => Err(UnknownCode {
                kind: "delay answer",
                code,
            }),
        }
    }
}

/// Where an offer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferState {
    /// Waiting for the customer's answer.
    Open,
    /// The customer answered.
    Answered,
    /// Nobody answered in time; the merchant's rule decided.
    DecidedByRule,
    /// The line stopped waiting, or its date came back, before an answer.
    Moot,
}

impl OfferState {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Open => 1,
            Self::Answered => 2,
            Self::DecidedByRule => 3,
            Self::Moot => 4,
        }
    }
}

impl TryFrom<i32> for OfferState {
    type Error = UnknownCode;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        match code {
            1 => Ok(Self::Open),
            2 => Ok(Self::Answered),
            3 => Ok(Self::DecidedByRule),
            4 => Ok(Self::Moot),
            _ => Err(UnknownCode {
                kind: "delay offer state",
                code,
            }),
        }
    }
}

/// The merchant's rule for delays (settings `delays.*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelayRule {
    /// How long the customer has to answer (ms).
    pub answer_within_ms: i64,
    /// What an unanswered offer becomes.
    pub when_unanswered: DelayAnswer,
}

impl Default for DelayRule {
    fn default() -> Self {
        Self {
            answer_within_ms: 72 * 3_600_000,
            when_unanswered: DelayAnswer::Wait,
        }
    }
}

/// The latest delay offered on a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelayOffer {
    /// Line id (one offer per line: the latest).
    pub line_id: Uuid,
    /// Order id.
    pub order_id: Uuid,
    /// The date before the delay (Unix ms).
    pub previous_eta: i64,
    /// The new earliest date (Unix ms).
    pub new_eta: i64,
    /// The new latest date (Unix ms).
    pub new_eta_latest: i64,
    /// When it was offered, or last refreshed by a further slip (Unix ms).
    pub offered_at: i64,
    /// When the merchant's rule applies if nobody answers (Unix ms).
    pub answer_by: i64,
    /// Where it stands.
    pub state: OfferState,
    /// The answer, once there is one.
    pub answer: Option<DelayAnswer>,
    /// When it was answered, decided or became moot (Unix ms).
    pub answered_at: Option<i64>,
}

impl DelayOffer {
    /// The state as shown: an open offer on a line that no longer waits is
    /// moot, whether or not that was written yet (the moves that end a
    /// wait do not touch offers; the worker and AnswerDelay write it).
    pub fn shown_state(&self, line_status: LineStatus) -> OfferState {
        if self.state == OfferState::Open && line_status != LineStatus::Backordered {
            OfferState::Moot
        } else {
            self.state
        }
    }

    /// Whether the merchant's rule is due on it at `now`.
    pub fn is_due(&self, now: i64) -> bool {
        self.state == OfferState::Open && self.answer_by <= now
    }

    fn closed(&self, state: OfferState, answer: Option<DelayAnswer>, now: i64) -> Self {
        Self {
            state,
            answer,
            answered_at: Some(now),
            ..self.clone()
        }
    }
}

/// What an ETA update does to a line's offer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OfferChange {
    /// A slip: a new offer, or the open one refreshed (new date, the time
    /// to answer starts again). The customer is told.
    Offered {
        /// The offer as it now stands.
        offer: DelayOffer,
        /// Whether an open offer was refreshed rather than a new one made.
        refreshed: bool,
    },
    /// The open offer follows a date that moved again without slipping
    /// past its date (its time to answer is kept).
    Adjusted(DelayOffer),
    /// The date came back to where it was before the delay, or earlier:
    /// nothing left to decide.
    Moot(DelayOffer),
    /// Nothing to change.
    Nothing,
}

/// Whether a line's new earliest date is a delay worth offering: a later
/// UTC day than the date it had, on a line still waiting.
pub fn is_slip(status: LineStatus, previous_eta: Option<i64>, new_eta: i64) -> bool {
    let Some(previous) = previous_eta else {
        return false;
    };
    status == LineStatus::Backordered && utc_day(new_eta) > utc_day(previous)
}

/// What the new promise `(eta, eta_latest)` (Unix ms) does to `line`
/// (as it was before it) and its latest offer `current`, at `now`.
pub fn on_eta(
    line: &Line,
    current: Option<&DelayOffer>,
    (eta, eta_latest): (i64, i64),
    now: i64,
    rule: &DelayRule,
) -> OfferChange {
    let open = current.filter(|o| o.state == OfferState::Open);
    if is_slip(line.status, line.eta, eta) {
        let answer_by = now.saturating_add(rule.answer_within_ms);
        let offer = match open {
            // The customer is still deciding: the delay they weigh is now
            // from the date they had before it, to the newest date.
            Some(open) => DelayOffer {
                new_eta: eta,
                new_eta_latest: eta_latest,
                offered_at: now,
                answer_by,
                ..open.clone()
            },
            None => DelayOffer {
                line_id: line.id,
                order_id: line.order_id,
                previous_eta: line.eta.unwrap_or(eta),
                new_eta: eta,
                new_eta_latest: eta_latest,
                offered_at: now,
                answer_by,
                state: OfferState::Open,
                answer: None,
                answered_at: None,
            },
        };
        return OfferChange::Offered {
            offer,
            refreshed: open.is_some(),
        };
    }
    let Some(open) = open else {
        return OfferChange::Nothing;
    };
    if line.status != LineStatus::Backordered {
        return OfferChange::Nothing;
    }
    if utc_day(eta) <= utc_day(open.previous_eta) {
        return OfferChange::Moot(open.closed(OfferState::Moot, None, now));
    }
    if (open.new_eta, open.new_eta_latest) == (eta, eta_latest) {
        return OfferChange::Nothing;
    }
    OfferChange::Adjusted(DelayOffer {
        new_eta: eta,
        new_eta_latest: eta_latest,
        ..open.clone()
    })
}

/// Why an answer is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerRefused {
    /// The line has no open offer.
    NoOpenOffer,
    /// The offer was open but the line no longer waits: the offer is moot
    /// (write it so) and the answer refused.
    LineNoLongerWaits,
}

/// The customer's answer to `offer` on a line in `status`, at `now`: the
/// offer as answered.
pub fn answer(
    offer: Option<&DelayOffer>,
    status: LineStatus,
    given: DelayAnswer,
    now: i64,
) -> Result<DelayOffer, AnswerRefused> {
    let open = offer
        .filter(|o| o.state == OfferState::Open)
        .ok_or(AnswerRefused::NoOpenOffer)?;
    if status != LineStatus::Backordered {
        return Err(AnswerRefused::LineNoLongerWaits);
    }
    Ok(open.closed(OfferState::Answered, Some(given), now))
}

/// An open offer closed as moot at `now`.
pub fn moot(offer: &DelayOffer, now: i64) -> DelayOffer {
    offer.closed(OfferState::Moot, None, now)
}

/// The merchant's rule on an unanswered `offer` on a line in `status`, at
/// `now`: decided by the rule, or moot when the line no longer waits.
/// `None` when the offer is not open or not due yet.
pub fn apply_rule(
    offer: &DelayOffer,
    status: LineStatus,
    rule: &DelayRule,
    now: i64,
) -> Option<DelayOffer> {
    if !offer.is_due(now) {
        return None;
    }
    Some(if status == LineStatus::Backordered {
        offer.closed(OfferState::DecidedByRule, Some(rule.when_unanswered), now)
    } else {
        moot(offer, now)
    })
}

/// `2026-12-20`, or `between 2026-12-20 and 2026-12-24` for a range.
fn dates(eta: i64, eta_latest: i64) -> String {
    let (from, to) = (day(eta), day(eta_latest));
    if to == from {
        from
    } else {
        format!("between {from} and {to}")
    }
}

/// What the customer reads with a delay offer: the new date, the old one,
/// when to answer and what happens without an answer.
pub fn offer_detail(line: &Line, offer: &DelayOffer, rule: &DelayRule) -> String {
    let otherwise = match rule.when_unanswered {
        DelayAnswer::Wait => "without a reply it stays on order",
        DelayAnswer::Cancel => "without a reply it is cancelled",
    };
    format!(
        "{} x {}: now expected {} (was {}). Reply by {} to keep waiting or cancel; {otherwise}",
        line.quantity,
        line.sku,
        dates(offer.new_eta, offer.new_eta_latest),
        day(offer.previous_eta),
        day(offer.answer_by),
    )
}

/// A change to a line's offer, as the order's timeline records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DelayNews {
    /// A delay was offered (or an open offer refreshed by a further slip).
    Offered {
        /// The offer.
        offer: DelayOffer,
        /// Whether an open offer was refreshed.
        refreshed: bool,
    },
    /// The customer answered.
    Answered(DelayAnswer),
    /// Nobody answered in time; the merchant's rule decided.
    DecidedByRule(DelayAnswer),
    /// The offer became moot.
    Moot {
        /// Why, for people.
        why: &'static str,
    },
}

impl DelayNews {
    /// Event name, lower_snake_case.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Offered { .. } => "delay_offered",
            Self::Answered(_) => "delay_answered",
            Self::DecidedByRule(_) => "delay_decided_by_rule",
            Self::Moot { .. } => "delay_moot",
        }
    }

    /// Detail for people.
    pub fn detail(&self) -> String {
        match self {
            Self::Offered { offer, refreshed } => format!(
                "{}expected {} (was {}); answer by {}",
                if *refreshed { "delayed again: " } else { "" },
                dates(offer.new_eta, offer.new_eta_latest),
                day(offer.previous_eta),
                day(offer.answer_by)
            ),
            Self::Answered(answer) => format!("the customer chose to {}", answer.name()),
            Self::DecidedByRule(answer) => {
                format!(
                    "no answer in time: the merchant's rule is to {}",
                    answer.name()
                )
            }
            Self::Moot { why } => (*why).to_owned(),
        }
    }
}

#[cfg(test)]
mod tests;
