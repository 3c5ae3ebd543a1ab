//! The lifecycle states of a purchase order and their stored codes.

use std::fmt;

/// Lifecycle of a purchase order; stored as the proto enum number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PoStatus {
    /// Collecting demand; not sent.
    Draft,
    /// Sent to the supplier.
    Submitted,
    /// Supplier confirmed with a promised date.
    Acknowledged,
    /// Some goods arrived.
    PartiallyReceived,
    /// Everything arrived.
    Received,
    /// Cancelled.
    Cancelled,
    /// A drop-ship purchase order the supplier shipped to the customer.
    DropShipped,
}

impl PoStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 7] = [
        Self::Draft,
        Self::Submitted,
        Self::Acknowledged,
        Self::PartiallyReceived,
        Self::Received,
        Self::Cancelled,
        Self::DropShipped,
    ];

    /// Stored code (the proto enum number).
    pub const fn code(self) -> i32 {
        match self {
            Self::Draft => 1,
            Self::Submitted => 2,
            Self::Acknowledged => 3,
            Self::PartiallyReceived => 4,
            Self::Received => 5,
            Self::Cancelled => 6,
            Self::DropShipped => 7,
        }
    }

    /// Lower-case name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Acknowledged => "acknowledged",
            Self::PartiallyReceived => "partially received",
            Self::Received => "received",
            Self::Cancelled => "cancelled",
            Self::DropShipped => "drop-shipped",
        }
    }
}

/// A status code that is none of [`PoStatus`]: a corrupt row, or a caller's
/// filter naming no status. Never read as a default status, since a silent
/// `Draft` would let a corrupt purchase order collect demand again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownStatus(pub i32);

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is not a purchase order status code", self.0)
    }
}

impl std::error::Error for UnknownStatus {}

impl TryFrom<i32> for PoStatus {
    type Error = UnknownStatus;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or(UnknownStatus(code))
    }
}

impl From<PoStatus> for i32 {
    fn from(status: PoStatus) -> Self {
        status.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_round_trip_and_match_the_proto() {
        for status in PoStatus::ALL {
            assert_eq!(PoStatus::try_from(status.code()), Ok(status));
            assert_eq!(i32::from(status), status.code());
        }
        assert_eq!(PoStatus::Draft.code(), 1);
        assert_eq!(PoStatus::Cancelled.code(), 6);
        assert_eq!(PoStatus::DropShipped.code(), 7);
    }

    #[test]
    fn unknown_codes_are_refused_not_defaulted() {
        for code in [0, 8, -1, 42, i32::MAX] {
            assert_eq!(PoStatus::try_from(code), Err(UnknownStatus(code)));
        }
        assert_eq!(
            UnknownStatus(42).to_string(),
            "42 is not a purchase order status code"
        );
    }
}
