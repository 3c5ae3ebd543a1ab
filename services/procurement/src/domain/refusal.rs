//! Why procurement refuses a change, and the words an operator reads about
//! it: every refusal's reason code and explanation are written here.

use super::PoStatus;

/// Why a purchase order (or one of its lines) refuses a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoRefusal {
    /// Only drafts can be submitted.
    NotDraft {
        /// Current status.
        status: PoStatus,
    },
    /// A draft with nothing to order cannot be submitted.
    Empty,
    /// Only submitted or acknowledged orders can be acknowledged.
    NotSubmitted {
        /// Current status.
        status: PoStatus,
    },
    /// Goods can only be received against an acknowledged order.
    NotAcknowledged {
        /// Current status.
        status: PoStatus,
    },
    /// A receipt would exceed what was ordered.
    OverReceipt {
        /// Units ordered.
        ordered: i64,
        /// Units received before.
        received: i64,
        /// Units in this receipt.
        quantity: i64,
    },
    /// Goods already arrived on it; it can no longer be cancelled.
    AlreadyReceived {
        /// Current status.
        status: PoStatus,
    },
    /// It is already cancelled.
    AlreadyCancelled,
    /// It was drop-shipped to the customer; nothing of it can be undone.
    AlreadyDropShipped,
    /// A drop-ship purchase order's goods never reach a warehouse.
    DropShipNotReceived,
    /// Only a drop-ship purchase order is shipped by its supplier.
    NotDropShip,
    /// Only a submitted or acknowledged drop-ship order can have shipped.
    NotShippable {
        /// Current status.
        status: PoStatus,
    },
    /// Every line it served was cancelled.
    NothingToShip,
    /// A line's total would pass its bound (or `i64`).
    QuantityLimit {
        /// Units the line carries now.
        current: i64,
        /// Units the change adds.
        adding: i64,
        /// The bound.
        limit: i64,
    },
}

impl PoRefusal {
    /// UPPER_SNAKE_CASE reason for the error details.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotDraft { .. } => "PO_NOT_DRAFT",
            Self::Empty => "PO_EMPTY",
            Self::NotSubmitted { .. } => "PO_NOT_SUBMITTED",
            Self::NotAcknowledged { .. } => "PO_NOT_ACKNOWLEDGED",
            Self::OverReceipt { .. } => "OVER_RECEIPT",
            Self::AlreadyReceived { .. } => "PO_ALREADY_RECEIVED",
            Self::AlreadyCancelled => "PO_CANCELLED",
            Self::AlreadyDropShipped => "PO_DROP_SHIPPED",
            Self::DropShipNotReceived => "DROP_SHIP_NOT_RECEIVED",
            Self::NotDropShip => "NOT_DROP_SHIP",
            Self::NotShippable { .. } => "PO_NOT_SHIPPABLE",
            Self::NothingToShip => "NOTHING_TO_SHIP",
            Self::QuantityLimit { .. } => "QUANTITY_LIMIT",
        }
    }

    /// Person-readable explanation.
    pub fn describe(&self) -> String {
        match self {
            Self::NotDraft { status } => {
                format!(
                    "the purchase order is {}; only drafts can be submitted",
                    status.name()
                )
            }
            Self::Empty => "the draft orders nothing; add demand before submitting it".to_owned(),
            Self::NotSubmitted { status } => format!(
                "the purchase order is {}; only submitted or acknowledged purchase orders can be acknowledged",
                status.name()
            ),
            Self::NotAcknowledged { status } => format!(
                "the purchase order is {}; goods can only be received once it is acknowledged",
                status.name()
            ),
            Self::OverReceipt {
                ordered,
                received,
                quantity,
            } => format!(
                "receiving {quantity} would exceed the {ordered} ordered ({received} already received)"
            ),
            Self::AlreadyReceived { status } => format!(
                "the purchase order is {}; goods arrived on it, so it cannot be cancelled",
                status.name()
            ),
            Self::AlreadyCancelled => "the purchase order is already cancelled".to_owned(),
            Self::AlreadyDropShipped => {
                "the supplier already shipped the purchase order to the customer; it cannot be cancelled"
                    .to_owned()
            }
            Self::DropShipNotReceived => {
                "the purchase order is drop-ship: the supplier ships it to the customer and nothing arrives at a warehouse; record the supplier's shipment with ConfirmDropShipment"
                    .to_owned()
            }
            Self::NotDropShip => {
                "the purchase order is not drop-ship: its goods come to a warehouse; book them with ReceivePurchaseOrder"
                    .to_owned()
            }
            Self::NotShippable { status } => format!(
                "the purchase order is {}; only a submitted or acknowledged drop-ship purchase order can be confirmed shipped",
                status.name()
            ),
            Self::NothingToShip => {
                "every line the purchase order served was cancelled, so nothing is left to ship; cancel the purchase order instead"
                    .to_owned()
            }
            Self::QuantityLimit {
                current,
                adding,
                limit,
            } => format!(
                "adding {adding} units to a purchase order line that carries {current} would pass its limit of {limit}; submit the draft and let later demand open a new one"
            ),
        }
    }
}

/// Summary of a receipt refused line by line (the lines are in the error's
/// details).
pub fn receipt_refused(lines: &[(String, String)]) -> String {
    format!(
        "receipt refused, nothing booked: {}",
        lines
            .iter()
            .map(|(subject, description)| format!("{subject}: {description}"))
            .collect::<Vec<_>>()
            .join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_reason_and_words() {
        let all = [
            PoRefusal::NotDraft {
                status: PoStatus::Submitted,
            },
            PoRefusal::Empty,
            PoRefusal::NotSubmitted {
                status: PoStatus::Draft,
            },
            PoRefusal::NotAcknowledged {
                status: PoStatus::Draft,
            },
            PoRefusal::OverReceipt {
                ordered: 1,
                received: 1,
                quantity: 1,
            },
            PoRefusal::AlreadyReceived {
                status: PoStatus::Received,
            },
            PoRefusal::AlreadyCancelled,
            PoRefusal::AlreadyDropShipped,
            PoRefusal::DropShipNotReceived,
            PoRefusal::NotDropShip,
            PoRefusal::NotShippable {
                status: PoStatus::Draft,
            },
            PoRefusal::NothingToShip,
            PoRefusal::QuantityLimit {
                current: 1,
                adding: 1,
                limit: 1,
            },
        ];
        for refusal in all {
            assert!(!refusal.describe().is_empty());
            assert!(
                refusal
                    .reason()
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_')
            );
        }
        assert_eq!(
            receipt_refused(&[("lines[0] sku:A".into(), "too many".into())]),
            "receipt refused, nothing booked: lines[0] sku:A: too many"
        );
    }
}
