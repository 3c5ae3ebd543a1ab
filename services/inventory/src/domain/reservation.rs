//! Stock promised to one order line, and its place in its SKU's queue.

use backorder_platform::warehouse::WarehouseCode;
use uuid::Uuid;

use super::UnknownCode;
use super::quantity::{QuantityLimit, Total, minus, plus};

/// State of a reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReservationState {
    /// Part of the line waits for stock.
    Waiting,
    /// The whole line is reserved.
    Allocated,
    /// Shipped.
    Issued,
    /// Cancelled.
    Released,
    /// The supplier ships the line to the customer; nothing is held.
    DropShip,
}

impl ReservationState {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Waiting => 1,
            Self::Allocated => 2,
            Self::Issued => 3,
            Self::Released => 4,
            Self::DropShip => 5,
        }
    }

    /// The state of an open line that still waits for `waiting` units.
    pub fn open(waiting: i64) -> Self {
        if waiting > 0 {
            Self::Waiting
        } else {
            Self::Allocated
        }
    }
}

/// From the stored code; an unknown code is an error, never a default.
impl TryFrom<i32> for ReservationState {
    type Error = UnknownCode;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        match code {
            1 => Ok(Self::Waiting),
            2 => Ok(Self::Allocated),
            3 => Ok(Self::Issued),
            4 => Ok(Self::Released),
            5 => Ok(Self::DropShip),
            _ => Err(UnknownCode {
                kind: "reservation state",
                code,
            }),
        }
    }
}

/// Highest backorder priority; 0, the default, is first come, first served.
pub const MAX_PRIORITY: i32 = 1000;

/// Whether `priority` is one a waiting line may take.
pub fn valid_priority(priority: i32) -> bool {
    (0..=MAX_PRIORITY).contains(&priority)
}

/// Stock promised to one order line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// Reservation id; also the demand id in procurement.
    pub id: Uuid,
    /// Order id.
    pub order_id: Uuid,
    /// Order line id.
    pub line_id: Uuid,
    /// SKU.
    pub sku: String,
    /// Units ordered.
    pub quantity: i64,
    /// Units reserved.
    pub reserved: i64,
    /// Units waiting.
    pub waiting: i64,
    /// State.
    pub state: ReservationState,
    /// Higher is served first; equal priorities by arrival.
    pub priority: i32,
    /// Why the line has its priority; empty for first come, first served.
    pub priority_reason: String,
    /// `traceparent` of the sale, so later work joins its trace.
    pub trace_context: Option<String>,
    /// Unix ms; the line's place in the queue.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

impl Reservation {
    /// The line after `quantity` more of its waiting units were reserved.
    pub fn granted(&self, quantity: i64) -> Result<Self, QuantityLimit> {
        let waiting = minus(Total::LineWaiting, self.waiting, quantity)?;
        Ok(Self {
            reserved: plus(Total::LineReserved, self.reserved, quantity)?,
            waiting,
            state: ReservationState::open(waiting),
            ..self.clone()
        })
    }

    /// The line in `state`, quantities unchanged.
    pub fn moved_to(&self, state: ReservationState) -> Self {
        Self {
            state,
            ..self.clone()
        }
    }
}

/// Stock given to one waiting order line by a movement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    /// Order id.
    pub order_id: Uuid,
    /// Order line id.
    pub line_id: Uuid,
    /// Units given.
    pub quantity: i64,
    /// Whether the line now has everything it ordered.
    pub line_complete: bool,
    /// Warehouse the units were given from.
    pub warehouse: WarehouseCode,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_unknown_codes_are_refused() {
        for s in [
            ReservationState::Waiting,
            ReservationState::Allocated,
            ReservationState::Issued,
            ReservationState::Released,
            ReservationState::DropShip,
        ] {
            assert_eq!(ReservationState::try_from(s.code()), Ok(s));
        }
        for code in [0, 6, -1, 99] {
            assert_eq!(
                ReservationState::try_from(code),
                Err(UnknownCode {
                    kind: "reservation state",
                    code
                }),
                "code {code} must not be read as a known state"
            );
        }
        assert_eq!(ReservationState::open(0), ReservationState::Allocated);
        assert_eq!(ReservationState::open(1), ReservationState::Waiting);
    }

    #[test]
    fn priorities_run_from_first_come_to_the_cap() {
        assert!(valid_priority(0));
        assert!(valid_priority(MAX_PRIORITY));
        assert!(!valid_priority(-1));
        assert!(!valid_priority(MAX_PRIORITY + 1));
    }

    #[test]
    fn a_grant_moves_units_from_waiting_to_reserved() {
        let line = Reservation {
            id: Uuid::from_u128(1),
            order_id: Uuid::from_u128(2),
            line_id: Uuid::from_u128(3),
            sku: "A".into(),
            quantity: 5,
            reserved: 1,
            waiting: 4,
            state: ReservationState::Waiting,
            priority: 0,
            priority_reason: String::new(),
            trace_context: None,
            created_at: 0,
            updated_at: 0,
        };
        let part = line.granted(3).expect("partial");
        assert_eq!((part.reserved, part.waiting), (4, 1));
        assert_eq!(part.state, ReservationState::Waiting);
        let whole = part.granted(1).expect("complete");
        assert_eq!(whole.state, ReservationState::Allocated);
        let overflowing = Reservation {
            reserved: i64::MAX,
            ..line
        };
        assert_eq!(
            overflowing.granted(1),
            Err(QuantityLimit {
                total: Total::LineReserved
            })
        );
    }
}
