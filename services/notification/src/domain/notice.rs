//! One event a customer must hear about, as `Notify` records it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Event;
use super::wording::MessageFacts;

/// A checked `Notify` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The event id (the request id): one notification per id.
    pub id: Uuid,
    /// Whom it is for.
    pub customer_id: Uuid,
    /// The order it is about.
    pub order_id: Uuid,
    /// The line it is about; `None` for the whole order.
    pub line_id: Option<Uuid>,
    /// What happened.
    pub event: Event,
    /// Expected arrival, when known.
    pub eta: Option<DateTime<Utc>>,
    /// Latest expected arrival, when the date is a range.
    pub eta_latest: Option<DateTime<Utc>>,
    /// Tracking number; empty when not known.
    pub tracking_number: String,
    /// Carrier; empty when not known.
    pub carrier: String,
    /// Free text (SKU, quantities, reason), at most
    /// [`super::MAX_DETAIL`] characters.
    pub detail: String,
}

impl Notice {
    /// What the message about this notice may say, greeting `customer_name`
    /// (empty when the customer is not known yet).
    pub fn facts<'a>(&'a self, customer_name: &'a str) -> MessageFacts<'a> {
        MessageFacts {
            event: self.event,
            customer_name,
            order_id: Some(self.order_id),
            about_line: self.line_id.is_some(),
            detail: &self.detail,
            eta: self.eta,
            eta_latest: self.eta_latest,
            tracking_number: &self.tracking_number,
            carrier: &self.carrier,
        }
    }
}
