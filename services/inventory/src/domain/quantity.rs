//! Bounds on quantities. Requests are bounded at the API so that no single
//! call can move a total by more than [`MAX_QUANTITY`]; stored totals grow
//! through many calls, so every change to them is checked and refused with
//! [`QuantityLimit`] instead of wrapping around (or panicking in a debug
//! build).

use std::fmt;

/// Most units one order line, one adjustment or one receipt may move.
pub const MAX_QUANTITY: i64 = 1_000_000;

/// Most lines one order (or one shipment) may have.
pub const MAX_LINES: usize = 200;

/// Largest backorder cap a product may have: a thousand full-size lines.
pub const MAX_BACKORDER_CAP: i64 = 1_000_000_000;

/// Whether `quantity` is one a line or a receipt may ask for.
pub fn valid_quantity(quantity: i64) -> bool {
    (1..=MAX_QUANTITY).contains(&quantity)
}

/// Whether `delta` is an adjustment one call may make (never zero).
pub fn valid_delta(delta: i64) -> bool {
    delta != 0 && delta.unsigned_abs() <= MAX_QUANTITY.unsigned_abs()
}

/// A stored total a change would take past what can be stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Total {
    /// A SKU's units on hand.
    OnHand,
    /// A SKU's reserved units.
    Reserved,
    /// A SKU's backordered units.
    Backordered,
    /// Units reserved for one line.
    LineReserved,
    /// Units one line waits for.
    LineWaiting,
    /// Units one shipment takes off the shelf.
    Issued,
}

impl Total {
    /// Its name as callers see it in the API.
    pub fn name(self) -> &'static str {
        match self {
            Self::OnHand => "on_hand",
            Self::Reserved => "reserved",
            Self::Backordered => "backordered",
            Self::LineReserved => "reserved_quantity",
            Self::LineWaiting => "waiting_quantity",
            Self::Issued => "issued_quantity",
        }
    }
}

/// The change would overflow (or underflow) the stored total `total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantityLimit {
    /// Which total.
    pub total: Total,
}

impl fmt::Display for QuantityLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} would leave the storable range", self.total.name())
    }
}

/// `value + by`, or the limit of `total`.
pub(crate) fn plus(total: Total, value: i64, by: i64) -> Result<i64, QuantityLimit> {
    value.checked_add(by).ok_or(QuantityLimit { total })
}

/// `value - by`, or the limit of `total`.
pub(crate) fn minus(total: Total, value: i64, by: i64) -> Result<i64, QuantityLimit> {
    value.checked_sub(by).ok_or(QuantityLimit { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_run_from_one_to_the_maximum() {
        assert!(!valid_quantity(0));
        assert!(valid_quantity(1));
        assert!(valid_quantity(MAX_QUANTITY));
        assert!(!valid_quantity(MAX_QUANTITY + 1));
        assert!(!valid_quantity(-1));
    }

    #[test]
    fn deltas_are_bounded_both_ways_and_never_zero() {
        assert!(!valid_delta(0));
        assert!(valid_delta(MAX_QUANTITY));
        assert!(valid_delta(-MAX_QUANTITY));
        assert!(!valid_delta(MAX_QUANTITY + 1));
        assert!(!valid_delta(-MAX_QUANTITY - 1));
        assert!(!valid_delta(i64::MIN), "no overflow taking its size");
    }

    #[test]
    fn checked_steps_name_the_total_instead_of_wrapping() {
        assert_eq!(plus(Total::OnHand, 1, 2), Ok(3));
        assert_eq!(
            plus(Total::OnHand, i64::MAX, 1),
            Err(QuantityLimit {
                total: Total::OnHand
            })
        );
        assert_eq!(
            minus(Total::Reserved, i64::MIN, 1),
            Err(QuantityLimit {
                total: Total::Reserved
            })
        );
    }
}
