//! Charging lines when the merchant chooses (setting `payments.charge_at`):
//! which request to the merchant's payment endpoint follows which event,
//! and where a line's payment stands after each answer.
//!
//! A charged line is authorised at the sale. The capture follows once the
//! line reaches the merchant's charge point: at once ([`ChargeAt::Sale`]),
//! when it has all its stock ([`ChargeAt::Filled`]; a line reserved whole
//! at the sale is filled then, a drop-shipped one when the supplier ships
//! it) or when all its units shipped ([`ChargeAt::Shipped`]). Cancelling a
//! captured line refunds it; an authorised one is voided.
//!
//! At most one request per line is under way (the line's payment is
//! PENDING meanwhile). Events that arrive while it is are not lost: the
//! next request is decided from the line as it stands when the answer is
//! recorded ([`next_request`] again), so a line filled or cancelled while
//! its authorisation was under way is captured or voided right after.
//! The charge point is kept with the line at the sale, so changing the
//! setting later only affects new orders.

use super::model::Line;
use super::status::{LineStatus, UnknownCode};

/// When the merchant charges a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChargeAt {
    /// Not through this service: no payment requests.
    Never,
    /// At the sale: authorised, then captured.
    Sale,
    /// When the line has all its stock.
    Filled,
    /// When all the line's units shipped.
    Shipped,
}

impl ChargeAt {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Never => 1,
            Self::Sale => 2,
            Self::Filled => 3,
            Self::Shipped => 4,
        }
    }

    /// The setting's name for it (`NEVER`, `SALE`, `FILLED`, `SHIPPED`).
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_uppercase().as_str() {
            "NEVER" => Some(Self::Never),
            "SALE" => Some(Self::Sale),
            "FILLED" => Some(Self::Filled),
            "SHIPPED" => Some(Self::Shipped),
            _ => None,
        }
    }
}

impl TryFrom<i32> for ChargeAt {
    type Error = UnknownCode;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        [Self::Never, Self::Sale, Self::Filled, Self::Shipped]
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or(UnknownCode {
                kind: "charge point",
                code,
            })
    }
}

/// Where a line's charging stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentState {
    /// A request is under way.
    Pending,
    /// Authorised, not captured.
    Authorised,
    /// Captured: the customer is charged.
    Captured,
    /// The endpoint declined the last request.
    Declined,
    /// Refunded, or the authorisation voided.
    Refunded,
}

impl PaymentState {
    const ALL: [Self; 5] = [
        Self::Pending,
        Self::Authorised,
        Self::Captured,
        Self::Declined,
        Self::Refunded,
    ];

    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Pending => 1,
            Self::Authorised => 2,
            Self::Captured => 3,
            Self::Declined => 4,
            Self::Refunded => 5,
        }
    }
}

impl TryFrom<i32> for PaymentState {
    type Error = UnknownCode;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or(UnknownCode {
                kind: "payment state",
                code,
            })
    }
}

/// What the payment endpoint is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentAction {
    /// Hold the amount.
    Authorize,
    /// Take the authorised amount.
    Capture,
    /// Give a captured amount back.
    Refund,
    /// Release an authorisation never captured.
    Void,
}

impl PaymentAction {
    const ALL: [Self; 4] = [Self::Authorize, Self::Capture, Self::Refund, Self::Void];

    /// Stored code.
    pub fn code(self) -> i32 {
        match self {
            Self::Authorize => 1,
            Self::Capture => 2,
            Self::Refund => 3,
            Self::Void => 4,
        }
    }

    /// Name in the request body and the timeline.
    pub fn name(self) -> &'static str {
        match self {
            Self::Authorize => "authorize",
            Self::Capture => "capture",
            Self::Refund => "refund",
            Self::Void => "void",
        }
    }
}

impl TryFrom<i32> for PaymentAction {
    type Error = UnknownCode;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|a| a.code() == code)
            .ok_or(UnknownCode {
                kind: "payment action",
                code,
            })
    }
}

/// Where one payment request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestState {
    /// Not answered yet.
    Pending,
    /// Answered `approved`.
    Approved,
    /// Answered `declined`.
    Declined,
}

impl RequestState {
    /// Stored code.
    pub fn code(self) -> i32 {
        match self {
            Self::Pending => 1,
            Self::Approved => 2,
            Self::Declined => 3,
        }
    }
}

/// The endpoint's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Approved,
    /// Refused.
    Declined,
}

impl Outcome {
    /// The request's state once answered so.
    pub fn request_state(self) -> RequestState {
        match self {
            Self::Approved => RequestState::Approved,
            Self::Declined => RequestState::Declined,
        }
    }

    /// Name in the answer and the timeline.
    pub fn name(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Declined => "declined",
        }
    }
}

/// A line's charging, as stored with the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinePayment {
    /// The charge point the line was sold under.
    pub charge_at: ChargeAt,
    /// Where it stands.
    pub state: PaymentState,
    /// Units times unit price, in the smallest currency unit.
    pub amount_minor: i64,
    /// The endpoint's reference of its last approved answer; empty before.
    pub reference: String,
    /// When it last changed (Unix ms).
    pub updated_at: i64,
}

/// What `line` costs: units times unit price; `None` for a line without a
/// price (nothing is charged for it) or one whose amount does not fit.
pub fn amount_of(line: &Line) -> Option<i64> {
    (line.unit_price_minor > 0)
        .then(|| line.quantity.checked_mul(line.unit_price_minor))
        .flatten()
}

/// The amount to authorise at the sale of `line` under `charge_at`;
/// `None` when nothing is charged.
pub fn at_sale(charge_at: ChargeAt, line: &Line) -> Option<i64> {
    match charge_at {
        ChargeAt::Never => None,
        ChargeAt::Sale | ChargeAt::Filled | ChargeAt::Shipped => amount_of(line),
    }
}

/// Whether `line` reached the point where an authorised amount is taken.
pub fn capture_due(charge_at: ChargeAt, status: LineStatus) -> bool {
    let filled = matches!(
        status,
        LineStatus::Ready | LineStatus::Shipped | LineStatus::Delivered
    );
    match charge_at {
        ChargeAt::Never => false,
        ChargeAt::Sale => true,
        ChargeAt::Filled => filled,
        ChargeAt::Shipped => matches!(status, LineStatus::Shipped | LineStatus::Delivered),
    }
}

/// The request `line` needs now, given its status and its payment;
/// `None` while a request is under way or when nothing is owed.
pub fn next_request(line: &Line) -> Option<PaymentAction> {
    let payment = line.payment.as_ref()?;
    let cancelled = line.status == LineStatus::Cancelled;
    match payment.state {
        PaymentState::Authorised if cancelled => Some(PaymentAction::Void),
        PaymentState::Authorised if capture_due(payment.charge_at, line.status) => {
            Some(PaymentAction::Capture)
        }
        PaymentState::Captured if cancelled => Some(PaymentAction::Refund),
        _ => None,
    }
}

/// Where a line's payment stands once `action` is answered `outcome`.
pub fn after_answer(action: PaymentAction, outcome: Outcome) -> PaymentState {
    match (outcome, action) {
        (Outcome::Declined, _) => PaymentState::Declined,
        (Outcome::Approved, PaymentAction::Authorize) => PaymentState::Authorised,
        (Outcome::Approved, PaymentAction::Capture) => PaymentState::Captured,
        (Outcome::Approved, PaymentAction::Refund | PaymentAction::Void) => PaymentState::Refunded,
    }
}

/// What the customer is told after an answer: the charge after a capture,
/// the refund after one; nothing else (an authorisation or a void moves
/// no money, and a decline is the merchant's to follow up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Told {
    /// The amount was taken.
    Charged,
    /// The amount was given back.
    Refunded,
}

/// The notice that follows `action` answered `outcome`, if any.
pub fn told_after(action: PaymentAction, outcome: Outcome) -> Option<Told> {
    match (action, outcome) {
        (PaymentAction::Capture, Outcome::Approved) => Some(Told::Charged),
        (PaymentAction::Refund, Outcome::Approved) => Some(Told::Refunded),
        _ => None,
    }
}

/// An amount in minor units as people read it: two decimals, whatever
/// the currency (the service does not know it).
pub fn format_minor(amount_minor: i64) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A payment fact on the order's timeline: a request made, or answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentNews {
    /// What was asked.
    pub action: PaymentAction,
    /// The answer; `None` when the request was just made.
    pub outcome: Option<Outcome>,
    /// Amount asked (minor units).
    pub amount_minor: i64,
    /// The endpoint's reference, when answered with one.
    pub reference: String,
}

impl PaymentNews {
    /// Event name, such as `payment_capture_requested` or
    /// `payment_capture_approved`.
    pub fn name(&self) -> &'static str {
        use Outcome::{Approved, Declined};
        use PaymentAction::{Authorize, Capture, Refund, Void};
        match (self.action, self.outcome) {
            (Authorize, None) => "payment_authorize_requested",
            (Authorize, Some(Approved)) => "payment_authorize_approved",
            (Authorize, Some(Declined)) => "payment_authorize_declined",
            (Capture, None) => "payment_capture_requested",
            (Capture, Some(Approved)) => "payment_capture_approved",
            (Capture, Some(Declined)) => "payment_capture_declined",
            (Refund, None) => "payment_refund_requested",
            (Refund, Some(Approved)) => "payment_refund_approved",
            (Refund, Some(Declined)) => "payment_refund_declined",
            (Void, None) => "payment_void_requested",
            (Void, Some(Approved)) => "payment_void_approved",
            (Void, Some(Declined)) => "payment_void_declined",
        }
    }

    /// Detail for operators.
    pub fn detail(&self) -> String {
        let amount = format_minor(self.amount_minor);
        let action = self.action.name();
        match self.outcome {
            None => format!("{action} of {amount} asked of the payment endpoint"),
            Some(outcome) if self.reference.is_empty() => {
                format!("{action} of {amount} {}", outcome.name())
            }
            Some(outcome) => format!(
                "{action} of {amount} {} (reference {})",
                outcome.name(),
                self.reference
            ),
        }
    }
}

#[cfg(test)]
mod tests;
