//! Bounds on every quantity the API accepts and every total it stores. A
//! bound at the edge keeps stored sums far from `i64` overflow, so a total
//! that would pass a limit is refused with a reason instead of wrapping
//! (release) or panicking (debug) later, for every reader of the row.

use std::fmt;

/// Most units in one demand, receipt line, minimum order quantity or case
/// pack.
pub const MAX_QUANTITY: i64 = 1_000_000;

/// Most units of open demand one purchase order line may carry (a thousand
/// demands at [`MAX_QUANTITY`]); rounding to MOQ and case pack adds at most
/// two [`MAX_QUANTITY`] on top, so every line stays far below `i64::MAX`.
pub const MAX_LINE_QUANTITY: i64 = 1_000_000_000;

/// Most lines one receipt may have.
pub const MAX_RECEIPT_LINES: usize = 500;

/// Longest lead time a supplier may state, in days (ten years).
pub const MAX_LEAD_TIME_DAYS: i32 = 3_650;

/// A unit count from a caller: 1 to [`MAX_QUANTITY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i64);

/// Why a caller's unit count was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfRange(pub i64);

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 1 {
            f.write_str("must be at least 1")
        } else {
            write!(f, "must be at most {MAX_QUANTITY}")
        }
    }
}

impl Quantity {
    /// One unit.
    pub const ONE: Self = Self(1);

    /// `units` when it is within 1..=[`MAX_QUANTITY`].
    pub fn new(units: i64) -> Result<Self, OutOfRange> {
        if (1..=MAX_QUANTITY).contains(&units) {
            Ok(Self(units))
        } else {
            Err(OutOfRange(units))
        }
    }

    /// The unit count.
    pub const fn get(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_one_to_the_maximum() {
        assert_eq!(Quantity::new(1).map(Quantity::get), Ok(1));
        assert_eq!(
            Quantity::new(MAX_QUANTITY).map(Quantity::get),
            Ok(MAX_QUANTITY)
        );
        assert_eq!(
            Quantity::new(MAX_QUANTITY + 1),
            Err(OutOfRange(MAX_QUANTITY + 1))
        );
        assert_eq!(Quantity::new(0), Err(OutOfRange(0)));
        assert_eq!(Quantity::new(i64::MIN), Err(OutOfRange(i64::MIN)));
        assert_eq!(OutOfRange(0).to_string(), "must be at least 1");
        assert_eq!(
            OutOfRange(MAX_QUANTITY + 1).to_string(),
            "must be at most 1000000"
        );
    }

    #[test]
    fn a_full_line_rounded_up_stays_far_from_overflow() {
        let worst = MAX_LINE_QUANTITY
            .checked_add(2 * MAX_QUANTITY)
            .expect("fits");
        assert!(worst < i64::MAX / 1_000_000);
    }
}
