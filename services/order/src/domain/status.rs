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
    /// At most this many parcels; the last allowed one takes everything
    /// left, once all of it is ready.
    UpToShipments(u32),
}

/// Most parcels an order may ask for.
pub const MAX_SHIPMENTS: u32 = 20;

/// A stored or requested policy that is not one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadPolicy {
    /// An unknown policy code.
    #[error("unknown ship policy {0}")]
    Unknown(i32),
    /// A parcel count with a policy that takes none, or a count outside
    /// `1..=MAX_SHIPMENTS` with one that does.
    #[error("max_shipments {0} does not fit the policy")]
    Count(i32),
}

impl ShipPolicy {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::AsAvailable => 1,
            Self::Complete => 2,
            Self::UpToShipments(_) => 3,
        }
    }

    /// The parcel limit as stored and answered (0 without one).
    pub fn max_shipments(self) -> i32 {
        match self {
            Self::UpToShipments(n) => i32::try_from(n).unwrap_or(i32::MAX),
            _ => 0,
        }
    }

    /// From a code and a parcel count, as stored or requested.
    pub fn from_parts(code: i32, max_shipments: i32) -> Result<Self, BadPolicy> {
        let policy = match code {
            1 => Self::AsAvailable,
            2 => Self::Complete,
            3 => match u32::try_from(max_shipments) {
                Ok(n) if (1..=MAX_SHIPMENTS).contains(&n) => Self::UpToShipments(n),
                _ => return Err(BadPolicy::Count(max_shipments)),
            },
            other => return Err(BadPolicy::Unknown(other)),
        };
        if code != 3 && max_shipments != 0 {
            return Err(BadPolicy::Count(max_shipments));
        }
        Ok(policy)
    }

    /// The policy's name in the API, for messages and the timeline.
    pub fn describe(self) -> String {
        match self {
            Self::AsAvailable => "ships as available".to_owned(),
            Self::Complete => "ships complete".to_owned(),
            Self::UpToShipments(n) => format!("ships in at most {n} parcel(s)"),
        }
    }
}

impl TryFrom<i32> for ShipPolicy {
    type Error = UnknownCode;

    /// A policy without a parcel count (the count is read with
    /// [`ShipPolicy::from_parts`]).
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
    fn a_parcel_limit_comes_only_with_its_policy_and_within_bounds() {
        assert_eq!(
            ShipPolicy::from_parts(3, 2),
            Ok(ShipPolicy::UpToShipments(2))
        );
        assert_eq!(ShipPolicy::from_parts(3, 0), Err(BadPolicy::Count(0)));
        assert_eq!(ShipPolicy::from_parts(3, 21), Err(BadPolicy::Count(21)));
        assert_eq!(ShipPolicy::from_parts(1, 2), Err(BadPolicy::Count(2)));
        assert_eq!(ShipPolicy::from_parts(9, 0), Err(BadPolicy::Unknown(9)));
        let policy = ShipPolicy::UpToShipments(3);
        assert_eq!(
            ShipPolicy::from_parts(policy.code(), policy.max_shipments()),
            Ok(policy)
        );
    }
}
