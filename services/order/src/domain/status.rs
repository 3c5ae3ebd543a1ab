//! Statuses as stored (the proto enum numbers). A stored code that names no
//! status is corrupt data: it is refused with an error, never read as a
//! default, so a damaged row cannot quietly re-enter the lifecycle.

/// A stored code that names no status of `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("stored {kind} code {code} is not a known {kind}")]
pub struct UnknownCode {
    /// Which status (`line status`, `order status`, `ship policy`).
    pub kind: &'static str,
    /// The code found.
    pub code: i32,
}

/// Where a line stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LineStatus {
    /// Reservation under way.
    Pending,
    /// Waiting for stock.
    Backordered,
    /// All units allocated.
    Ready,
    /// Shipped.
    Shipped,
    /// Delivered.
    Delivered,
    /// Cancelled.
    Cancelled,
}

impl LineStatus {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Pending => 1,
            Self::Backordered => 2,
            Self::Ready => 3,
            Self::Shipped => 4,
            Self::Delivered => 5,
            Self::Cancelled => 6,
        }
    }

    /// Lower-case name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Backordered => "backordered",
            Self::Ready => "ready",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }
}

impl TryFrom<i32> for LineStatus {
    type Error = UnknownCode;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        Ok(match code {
            1 => Self::Pending,
            2 => Self::Backordered,
            3 => Self::Ready,
            4 => Self::Shipped,
            5 => Self::Delivered,
            6 => Self::Cancelled,
            _ => {
                return Err(UnknownCode {
                    kind: "line status",
                    code,
                });
            }
        })
    }
}

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// Reservation under way.
    Pending,
    /// Some open line waits for stock.
    Backordered,
    /// Every open line can ship.
    Ready,
    /// Some lines shipped, others not yet.
    PartiallyShipped,
    /// Every open line shipped.
    Shipped,
    /// Every open line delivered.
    Delivered,
    /// Every line cancelled.
    Cancelled,
}

impl OrderStatus {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Pending => 1,
            Self::Backordered => 2,
            Self::Ready => 3,
            Self::PartiallyShipped => 4,
            Self::Shipped => 5,
            Self::Delivered => 6,
            Self::Cancelled => 7,
        }
    }
}

impl TryFrom<i32> for OrderStatus {
    type Error = UnknownCode;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        Ok(match code {
            1 => Self::Pending,
            2 => Self::Backordered,
            3 => Self::Ready,
            4 => Self::PartiallyShipped,
            5 => Self::Shipped,
            6 => Self::Delivered,
            7 => Self::Cancelled,
            _ => {
                return Err(UnknownCode {
                    kind: "order status",
                    code,
                });
            }
        })
    }
}

/// When lines may ship.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShipPolicy {
    /// Each line as soon as it is ready.
    AsAvailable,
    /// Nothing until every open line is ready.
    Complete,
}

impl ShipPolicy {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::AsAvailable => 1,
            Self::Complete => 2,
        }
    }

    /// From a request, where unspecified (0) means as available.
    pub fn from_request(code: i32) -> Option<Self> {
        match code {
            0 => Some(Self::AsAvailable),
            other => Self::try_from(other).ok(),
        }
    }
}

impl TryFrom<i32> for ShipPolicy {
    type Error = UnknownCode;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        match code {
            1 => Ok(Self::AsAvailable),
            2 => Ok(Self::Complete),
            _ => Err(UnknownCode {
                kind: "ship policy",
                code,
            }),
        }
    }
}

/// Lifecycle of a shipment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShipmentStatus {
    /// Handed to the carrier.
    Shipped,
    /// Delivered to the customer.
    Delivered,
}

impl ShipmentStatus {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Shipped => 1,
            Self::Delivered => 2,
        }
    }
}

impl TryFrom<i32> for ShipmentStatus {
    type Error = UnknownCode;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        match code {
            1 => Ok(Self::Shipped),
            2 => Ok(Self::Delivered),
            _ => Err(UnknownCode {
                kind: "shipment status",
                code,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in [
            LineStatus::Pending,
            LineStatus::Backordered,
            LineStatus::Ready,
            LineStatus::Shipped,
            LineStatus::Delivered,
            LineStatus::Cancelled,
        ] {
            assert_eq!(LineStatus::try_from(s.code()), Ok(s));
        }
        for s in [
            OrderStatus::Pending,
            OrderStatus::Backordered,
            OrderStatus::Ready,
            OrderStatus::PartiallyShipped,
            OrderStatus::Shipped,
            OrderStatus::Delivered,
            OrderStatus::Cancelled,
        ] {
            assert_eq!(OrderStatus::try_from(s.code()), Ok(s));
        }
        for p in [ShipPolicy::AsAvailable, ShipPolicy::Complete] {
            assert_eq!(ShipPolicy::try_from(p.code()), Ok(p));
        }
        for s in [ShipmentStatus::Shipped, ShipmentStatus::Delivered] {
            assert_eq!(ShipmentStatus::try_from(s.code()), Ok(s));
        }
    }

    #[test]
    fn unknown_stored_codes_are_errors_not_defaults() {
        assert_eq!(
            LineStatus::try_from(0),
            Err(UnknownCode {
                kind: "line status",
                code: 0
            })
        );
        assert!(LineStatus::try_from(42).is_err());
        assert!(OrderStatus::try_from(8).is_err());
        assert!(
            ShipPolicy::try_from(0).is_err(),
            "0 is only a request default"
        );
        assert!(ShipmentStatus::try_from(3).is_err());
    }

    #[test]
    fn an_unspecified_ship_policy_in_a_request_means_as_available() {
        assert_eq!(ShipPolicy::from_request(0), Some(ShipPolicy::AsAvailable));
        assert_eq!(ShipPolicy::from_request(2), Some(ShipPolicy::Complete));
        assert_eq!(ShipPolicy::from_request(9), None);
    }
}
