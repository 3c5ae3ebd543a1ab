//! What a customer is told about.

use super::UnknownCode;

/// What the customer is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The order was placed.
    OrderConfirmed,
    /// A line is on backorder.
    Backordered,
    /// A backordered line's expected arrival became known.
    EtaKnown,
    /// A backordered line's expected arrival changed.
    EtaChanged,
    /// A backordered line is ready to ship.
    Ready,
    /// Lines shipped.
    Shipped,
    /// A shipment was delivered.
    Delivered,
    /// A line or order was cancelled.
    Cancelled,
    /// A backordered line was changed (another SKU, or fewer units).
    LineChanged,
    /// A backordered line's date slipped: the customer may keep waiting
    /// or cancel it.
    DelayOffered,
    /// A line was charged (its amount captured).
    Charged,
    /// A charged line's amount was refunded.
    Refunded,
}

impl Event {
    /// Every event, in code order.
    pub const ALL: [Self; 12] = [
        Self::OrderConfirmed,
        Self::Backordered,
        Self::EtaKnown,
        Self::EtaChanged,
        Self::Ready,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::LineChanged,
        Self::DelayOffered,
        Self::Charged,
        Self::Refunded,
    ];

    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::OrderConfirmed => 1,
            Self::Backordered => 2,
            Self::EtaKnown => 3,
            Self::EtaChanged => 4,
            Self::Ready => 5,
            Self::Shipped => 6,
            Self::Delivered => 7,
            Self::Cancelled => 8,
            Self::LineChanged => 9,
            Self::DelayOffered => 10,
            Self::Charged => 11,
            Self::Refunded => 12,
        }
    }

    /// Lower-case name, for sink records and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::OrderConfirmed => "order_confirmed",
            Self::Backordered => "backordered",
            Self::EtaKnown => "eta_known",
            Self::EtaChanged => "eta_changed",
            Self::Ready => "ready",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::LineChanged => "line_changed",
            Self::DelayOffered => "delay_offered",
            Self::Charged => "charged",
            Self::Refunded => "refunded",
        }
    }
}

impl TryFrom<i32> for Event {
    type Error = UnknownCode;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|e| e.code() == code)
            .ok_or(UnknownCode {
                kind: "event",
                code,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_codes_round_trip_and_unknown_codes_are_refused() {
        for event in Event::ALL {
            assert_eq!(Event::try_from(event.code()), Ok(event));
        }
        assert_eq!(Event::try_from(9), Ok(Event::LineChanged));
        assert_eq!(Event::try_from(10), Ok(Event::DelayOffered));
        for code in [0, 13, i32::MAX] {
            assert_eq!(
                Event::try_from(code),
                Err(UnknownCode {
                    kind: "event",
                    code
                })
            );
        }
    }
}
