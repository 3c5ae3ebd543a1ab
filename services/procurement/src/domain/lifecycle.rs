//! How a purchase order moves: draft, submitted, acknowledged, received in
//! parts, or cancelled before anything arrived (a drop-ship purchase order
//! ends drop-shipped instead of received: see [`super::drop_ship`]).

use super::{PoRefusal, PoStatus};

/// Submitting a draft that orders something (`ordered` per line).
pub fn submit(status: PoStatus, ordered: &[i64]) -> Result<PoStatus, PoRefusal> {
    if status != PoStatus::Draft {
        return Err(PoRefusal::NotDraft { status });
    }
    if !ordered.iter().any(|q| *q > 0) {
        return Err(PoRefusal::Empty);
    }
    Ok(PoStatus::Submitted)
}

/// Recording the supplier's (first or moved) promised date.
pub fn acknowledge(status: PoStatus) -> Result<PoStatus, PoRefusal> {
    match status {
        PoStatus::Submitted | PoStatus::Acknowledged => Ok(PoStatus::Acknowledged),
        status => Err(PoRefusal::NotSubmitted { status }),
    }
}

/// Whether goods may be received against a purchase order in `status`
/// (never a drop-ship one: its supplier ships to the customer).
pub fn check_receivable(status: PoStatus, drop_ship: bool) -> Result<(), PoRefusal> {
    if drop_ship {
        return Err(PoRefusal::DropShipNotReceived);
    }
    match status {
        PoStatus::Acknowledged | PoStatus::PartiallyReceived => Ok(()),
        status => Err(PoRefusal::NotAcknowledged { status }),
    }
}

/// Units received on a line after a receipt of `quantity`.
pub fn receive_line(ordered: i64, received: i64, quantity: i64) -> Result<i64, PoRefusal> {
    received
        .checked_add(quantity)
        .filter(|after| *after <= ordered)
        .ok_or(PoRefusal::OverReceipt {
            ordered,
            received,
            quantity,
        })
}

/// Progress of one line: units ordered and received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineProgress {
    /// Units ordered.
    pub ordered: i64,
    /// Units received.
    pub received: i64,
}

/// Status after a receipt: received once every line has all it ordered.
pub fn status_after_receipt(lines: &[LineProgress]) -> PoStatus {
    if lines.iter().all(|l| l.received >= l.ordered) {
        PoStatus::Received
    } else {
        PoStatus::PartiallyReceived
    }
}

/// Cancelling a purchase order that has received nothing.
pub fn cancel(status: PoStatus, received_any: bool) -> Result<PoStatus, PoRefusal> {
    match status {
        PoStatus::Cancelled => Err(PoRefusal::AlreadyCancelled),
        PoStatus::DropShipped => Err(PoRefusal::AlreadyDropShipped),
        PoStatus::PartiallyReceived | PoStatus::Received => {
            Err(PoRefusal::AlreadyReceived { status })
        }
        status if received_any => Err(PoRefusal::AlreadyReceived { status }),
        _ => Ok(PoStatus::Cancelled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_non_empty_draft_can_be_submitted() {
        assert_eq!(submit(PoStatus::Draft, &[0, 6]), Ok(PoStatus::Submitted));
        assert_eq!(submit(PoStatus::Draft, &[0, 0]), Err(PoRefusal::Empty));
        assert_eq!(submit(PoStatus::Draft, &[]), Err(PoRefusal::Empty));
        for status in PoStatus::ALL.into_iter().filter(|s| *s != PoStatus::Draft) {
            assert_eq!(
                submit(status, &[6]),
                Err(PoRefusal::NotDraft { status }),
                "{status:?}"
            );
        }
    }

    #[test]
    fn submitted_and_acknowledged_orders_can_be_acknowledged() {
        assert_eq!(acknowledge(PoStatus::Submitted), Ok(PoStatus::Acknowledged));
        assert_eq!(
            acknowledge(PoStatus::Acknowledged),
            Ok(PoStatus::Acknowledged)
        );
        for status in [
            PoStatus::Draft,
            PoStatus::PartiallyReceived,
            PoStatus::Received,
            PoStatus::Cancelled,
            PoStatus::DropShipped,
        ] {
            let refusal = acknowledge(status).expect_err("refused");
            assert_eq!(refusal.reason(), "PO_NOT_SUBMITTED", "{status:?}");
        }
    }

    #[test]
    fn goods_are_received_only_after_acknowledgement() {
        assert!(check_receivable(PoStatus::Acknowledged, false).is_ok());
        assert!(check_receivable(PoStatus::PartiallyReceived, false).is_ok());
        for status in [
            PoStatus::Draft,
            PoStatus::Submitted,
            PoStatus::Received,
            PoStatus::Cancelled,
            PoStatus::DropShipped,
        ] {
            assert_eq!(
                check_receivable(status, false),
                Err(PoRefusal::NotAcknowledged { status })
            );
        }
    }

    #[test]
    fn nothing_is_ever_received_against_a_drop_ship_order() {
        for status in PoStatus::ALL {
            assert_eq!(
                check_receivable(status, true),
                Err(PoRefusal::DropShipNotReceived),
                "{status:?}"
            );
        }
    }

    #[test]
    fn receipts_never_exceed_what_was_ordered() {
        assert_eq!(receive_line(12, 0, 5), Ok(5));
        assert_eq!(receive_line(12, 5, 7), Ok(12));
        assert_eq!(
            receive_line(12, 5, 8),
            Err(PoRefusal::OverReceipt {
                ordered: 12,
                received: 5,
                quantity: 8
            })
        );
        assert!(
            receive_line(i64::MAX, i64::MAX, 1).is_err(),
            "an overflowing receipt is refused, not wrapped"
        );
    }

    #[test]
    fn status_after_receipt_is_partial_until_every_line_is_complete() {
        let line = |ordered, received| LineProgress { ordered, received };
        assert_eq!(
            status_after_receipt(&[line(12, 12), line(6, 2)]),
            PoStatus::PartiallyReceived
        );
        assert_eq!(
            status_after_receipt(&[line(12, 12), line(6, 6)]),
            PoStatus::Received
        );
        assert_eq!(
            status_after_receipt(&[line(12, 12), line(0, 0)]),
            PoStatus::Received,
            "a line that orders nothing is complete"
        );
        assert_eq!(
            status_after_receipt(&[line(12, 1)]),
            PoStatus::PartiallyReceived
        );
    }

    #[test]
    fn only_orders_that_received_nothing_can_be_cancelled() {
        for status in [PoStatus::Draft, PoStatus::Submitted, PoStatus::Acknowledged] {
            assert_eq!(cancel(status, false), Ok(PoStatus::Cancelled), "{status:?}");
        }
        assert_eq!(
            cancel(PoStatus::Acknowledged, true),
            Err(PoRefusal::AlreadyReceived {
                status: PoStatus::Acknowledged
            })
        );
        assert_eq!(
            cancel(PoStatus::PartiallyReceived, true),
            Err(PoRefusal::AlreadyReceived {
                status: PoStatus::PartiallyReceived
            })
        );
        assert_eq!(
            cancel(PoStatus::Received, true).map_err(|r| r.reason()),
            Err("PO_ALREADY_RECEIVED")
        );
        assert_eq!(
            cancel(PoStatus::Cancelled, false),
            Err(PoRefusal::AlreadyCancelled)
        );
        assert_eq!(
            cancel(PoStatus::DropShipped, false).map_err(|r| r.reason()),
            Err("PO_DROP_SHIPPED")
        );
    }
}
