//! Placing an order: the command a valid PlaceOrder becomes, and the check
//! of inventory's answer before it is recorded.

use uuid::Uuid;

use super::status::ShipPolicy;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineOutcome {
    /// Units reserved from stock.
    pub reserved: i64,
    /// Units waiting for stock.
    pub backordered: i64,
}

/// Inventory's answer for a line does not add up to what was ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reserved} reserved + {backordered} backordered does not make the {quantity} ordered")]
pub struct ImpossibleOutcome {
    /// Units ordered.
    pub quantity: i64,
    /// Units inventory says it reserved.
    pub reserved: i64,
    /// Units inventory says wait.
    pub backordered: i64,
}

/// Accepts inventory's answer for a line of `quantity` only when both parts
/// are non-negative and add up (without overflow) to the quantity.
pub fn check_outcome(
    quantity: i64,
    outcome: LineOutcome,
) -> Result<LineOutcome, ImpossibleOutcome> {
    let sum = outcome.reserved.checked_add(outcome.backordered);
    if outcome.reserved >= 0 && outcome.backordered >= 0 && sum == Some(quantity) {
        Ok(outcome)
    } else {
        Err(ImpossibleOutcome {
            quantity,
            reserved: outcome.reserved,
            backordered: outcome.backordered,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_must_add_up_to_the_quantity() {
        let fine = LineOutcome {
            reserved: 2,
            backordered: 3,
        };
        assert_eq!(check_outcome(5, fine), Ok(fine));
        assert!(
            check_outcome(
                5,
                LineOutcome {
                    reserved: 2,
                    backordered: 2
                }
            )
            .is_err()
        );
        assert!(
            check_outcome(
                5,
                LineOutcome {
                    reserved: 7,
                    backordered: -2
                }
            )
            .is_err()
        );
        assert!(
            check_outcome(
                5,
                LineOutcome {
                    reserved: i64::MAX,
                    backordered: i64::MAX
                }
            )
            .is_err(),
            "an overflowing sum is refused, not wrapped"
        );
    }
}
