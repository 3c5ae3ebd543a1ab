//! Placing an order: the command a valid PlaceOrder becomes, and the check
//! of inventory's answer before it is recorded.

use uuid::Uuid;

use super::status::ShipPolicy;
use super::warehouses::UnitsByWarehouse;

/// A valid PlaceOrder, SKUs trimmed as they are stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrder {
    /// The caller's request id; a retry with it resumes this order.
    pub request_id: Uuid,
    /// Fingerprint of the whole request: a retry must match it exactly.
    pub request_hash: String,
    /// Customer id.
    pub customer_id: Uuid,
    /// Lines in the order given.
    pub lines: Vec<NewLine>,
    /// Whether the customer accepts waiting for short lines.
    pub accept_backorders: bool,
    /// When lines may ship.
    pub ship_policy: ShipPolicy,
    /// Delivery address, trimmed; empty when none was given.
    pub ship_to_address: String,
}

/// One line of a [`NewOrder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLine {
    /// SKU, trimmed.
    pub sku: String,
    /// Units, inside `1..=MAX_QUANTITY`.
    pub quantity: i64,
}

/// How inventory served one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineOutcome {
    /// Units reserved from stock.
    pub reserved: i64,
    /// Units waiting for stock.
    pub backordered: i64,
    /// Where the reserved units are.
    pub reserved_from: UnitsByWarehouse,
}

/// Inventory's answer for a line does not add up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImpossibleOutcome {
    /// The parts do not make what was ordered.
    #[error("{reserved} reserved + {backordered} backordered does not make the {quantity} ordered")]
    Quantity {
        /// Units ordered.
        quantity: i64,
        /// Units inventory says it reserved.
        reserved: i64,
        /// Units inventory says wait.
        backordered: i64,
    },
    /// The warehouses do not hold what was reserved.
    #[error("{placed} units placed in warehouses, not the {reserved} reserved")]
    Warehouses {
        /// Units inventory says it reserved.
        reserved: i64,
        /// Units its warehouses add up to.
        placed: i64,
    },
}

/// Accepts inventory's answer for a line of `quantity` only when both parts
/// are non-negative and add up (without overflow) to the quantity, and
/// the warehouses named hold exactly the units reserved.
pub fn check_outcome(
    quantity: i64,
    outcome: LineOutcome,
) -> Result<LineOutcome, ImpossibleOutcome> {
    let sum = outcome.reserved.checked_add(outcome.backordered);
    if outcome.reserved < 0 || outcome.backordered < 0 || sum != Some(quantity) {
        return Err(ImpossibleOutcome::Quantity {
            quantity,
            reserved: outcome.reserved,
            backordered: outcome.backordered,
        });
    }
    let placed = outcome.reserved_from.total();
    if placed != outcome.reserved {
        return Err(ImpossibleOutcome::Warehouses {
            reserved: outcome.reserved,
            placed,
        });
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use backorder_platform::warehouse::WarehouseCode;

    use super::*;

    fn outcome(reserved: i64, backordered: i64) -> LineOutcome {
        LineOutcome {
            reserved,
            backordered,
            reserved_from: UnitsByWarehouse::of(WarehouseCode::default_warehouse(), reserved),
        }
    }

    #[test]
    fn an_outcome_must_add_up_to_the_quantity() {
        let fine = outcome(2, 3);
        assert_eq!(check_outcome(5, fine.clone()), Ok(fine));
        assert!(check_outcome(5, outcome(2, 2)).is_err());
        assert!(check_outcome(5, outcome(7, -2)).is_err());
        assert!(
            check_outcome(5, outcome(i64::MAX, i64::MAX)).is_err(),
            "an overflowing sum is refused, not wrapped"
        );
    }

    #[test]
    fn the_warehouses_must_hold_what_was_reserved() {
        let mut short = outcome(2, 3);
        short.reserved_from = UnitsByWarehouse::of(WarehouseCode::default_warehouse(), 1);
        assert_eq!(
            check_outcome(5, short),
            Err(ImpossibleOutcome::Warehouses {
                reserved: 2,
                placed: 1
            })
        );
        assert!(check_outcome(5, outcome(0, 5)).is_ok(), "nothing to place");
    }
}
