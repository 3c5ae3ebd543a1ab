//! Procurement rules, free of I/O: which supplier gets a SKU's demand, how
//! demand is rounded to what a supplier sells, when a line is expected, and
//! how a purchase order moves through its lifecycle.

use backorder_platform::time::DAY_MS;

/// Lifecycle of a purchase order; stored as the proto enum number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
}

impl PoStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 6] = [
        Self::Draft,
        Self::Submitted,
        Self::Acknowledged,
        Self::PartiallyReceived,
        Self::Received,
        Self::Cancelled,
    ];

    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Draft => 1,
            Self::Submitted => 2,
            Self::Acknowledged => 3,
            Self::PartiallyReceived => 4,
            Self::Received => 5,
            Self::Cancelled => 6,
        }
    }

    /// From the stored code.
    pub fn from_code(code: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Lower-case name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Acknowledged => "acknowledged",
            Self::PartiallyReceived => "partially received",
            Self::Received => "received",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Why a purchase order refuses a move.
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
        }
    }
}

/// What ordering `demand` units from a supplier selling at least `moq` units
/// in whole cases of `case_pack` means: the demand raised to the MOQ, then
/// rounded up to whole cases. No demand orders nothing.
pub fn ordered_quantity(demand: i64, moq: i64, case_pack: i64) -> i64 {
    if demand <= 0 {
        return 0;
    }
    let wanted = demand.max(moq);
    let case_pack = case_pack.max(1);
    let cases = wanted / case_pack + i64::from(wanted % case_pack != 0);
    cases.saturating_mul(case_pack)
}

/// When a line served by a purchase order is expected: the date the supplier
/// promised, else `from` (submission, or now for a draft) plus the supplier's
/// lead time.
pub fn eta(promised_at: Option<i64>, from: i64, lead_time_days: i32) -> i64 {
    promised_at.unwrap_or_else(|| from.saturating_add(i64::from(lead_time_days) * DAY_MS))
}

/// One supplier's offer for a SKU, as far as sourcing cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Supplier id.
    pub supplier_id: String,
    /// Cost per unit.
    pub unit_cost_minor: i64,
    /// Whether it is the SKU's preferred supplier.
    pub preferred: bool,
}

/// The offer that gets a SKU's demand: the preferred one, else the cheapest
/// (ties go to the oldest supplier, whose UUID v7 id sorts first).
pub fn pick_offer(offers: &[Offer]) -> Option<&Offer> {
    offers.iter().min_by(|a, b| {
        b.preferred
            .cmp(&a.preferred)
            .then(a.unit_cost_minor.cmp(&b.unit_cost_minor))
            .then(a.supplier_id.cmp(&b.supplier_id))
    })
}

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

/// Whether goods may be received against a purchase order in `status`.
pub fn check_receivable(status: PoStatus) -> Result<(), PoRefusal> {
    match status {
        PoStatus::Acknowledged | PoStatus::PartiallyReceived => Ok(()),
        status => Err(PoRefusal::NotAcknowledged { status }),
    }
}

/// Units received on a line after a receipt of `quantity`.
pub fn receive_line(ordered: i64, received: i64, quantity: i64) -> Result<i64, PoRefusal> {
    let after = received.saturating_add(quantity);
    if after > ordered {
        return Err(PoRefusal::OverReceipt {
            ordered,
            received,
            quantity,
        });
    }
    Ok(after)
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
        PoStatus::PartiallyReceived | PoStatus::Received => {
            Err(PoRefusal::AlreadyReceived { status })
        }
        status if received_any => Err(PoRefusal::AlreadyReceived { status }),
        _ => Ok(PoStatus::Cancelled),
    }
}

/// A fully received purchase order, for supplier performance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceivedPo {
    /// When it was submitted (Unix ms).
    pub submitted_at: i64,
    /// The date the supplier promised (Unix ms), if it did.
    pub promised_at: Option<i64>,
    /// When the last units arrived (Unix ms).
    pub received_at: i64,
}

/// How a supplier has delivered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Performance {
    /// Purchase orders fully received.
    pub received: i64,
    /// Of those, how many had a promised date.
    pub promised: i64,
    /// Of those, how many arrived on or before the promised day (UTC).
    pub on_time: i64,
    /// `on_time` per 100 `promised`; 0 when nothing was promised.
    pub on_time_rate_percent: f64,
    /// Mean days from submission to the last units; 0 when none arrived.
    pub average_days_to_receive: f64,
}

/// On time means by the end of the promised day: a promise is a date, not
/// an instant.
pub fn supplier_performance(pos: &[ReceivedPo]) -> Performance {
    let received = i64::try_from(pos.len()).unwrap_or(i64::MAX);
    let promised: Vec<(i64, i64)> = pos
        .iter()
        .filter_map(|po| po.promised_at.map(|p| (p, po.received_at)))
        .collect();
    let on_time = promised
        .iter()
        .filter(|(promise, arrival)| arrival.div_euclid(DAY_MS) <= promise.div_euclid(DAY_MS))
        .count();
    let total_ms: i64 = pos
        .iter()
        .map(|po| (po.received_at - po.submitted_at).max(0))
        .sum();
    let promised_count = i64::try_from(promised.len()).unwrap_or(i64::MAX);
    let on_time = i64::try_from(on_time).unwrap_or(i64::MAX);
    // Durations stay far below 2^53 ms, where f64 is exact.
    #[allow(clippy::cast_precision_loss)]
    let average_days_to_receive = if pos.is_empty() {
        0.0
    } else {
        total_ms as f64 / DAY_MS as f64 / pos.len() as f64
    };
    Performance {
        received,
        promised: promised_count,
        on_time,
        on_time_rate_percent: backorder_platform::measure::percent(on_time, promised_count),
        average_days_to_receive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demand_below_moq_orders_the_moq_in_whole_cases() {
        assert_eq!(ordered_quantity(3, 10, 1), 10);
        assert_eq!(ordered_quantity(3, 10, 4), 12);
        assert_eq!(ordered_quantity(1, 1, 1), 1);
    }

    #[test]
    fn demand_above_moq_rounds_up_to_whole_cases() {
        assert_eq!(ordered_quantity(13, 10, 6), 18);
        assert_eq!(ordered_quantity(25, 1, 12), 36);
        assert_eq!(ordered_quantity(11, 10, 1), 11);
    }

    #[test]
    fn exact_multiples_are_not_rounded() {
        assert_eq!(ordered_quantity(12, 10, 6), 12);
        assert_eq!(ordered_quantity(24, 24, 12), 24);
        assert_eq!(ordered_quantity(10, 10, 5), 10);
    }

    #[test]
    fn no_demand_orders_nothing() {
        assert_eq!(ordered_quantity(0, 10, 6), 0);
        assert_eq!(ordered_quantity(-3, 10, 6), 0);
    }

    #[test]
    fn promised_date_wins_over_lead_time() {
        let now = 1_700_000_000_000;
        assert_eq!(eta(Some(now + 5), now, 30), now + 5);
    }

    #[test]
    fn without_a_promise_eta_is_lead_time_from_now() {
        let now = 1_700_000_000_000;
        assert_eq!(eta(None, now, 7), now + 7 * DAY_MS);
        assert_eq!(eta(None, now, 0), now);
    }

    #[test]
    fn preferred_offer_wins_else_the_cheapest() {
        let offer = |id: &str, cost, preferred| Offer {
            supplier_id: id.to_owned(),
            unit_cost_minor: cost,
            preferred,
        };
        let offers = vec![
            offer("a", 500, false),
            offer("b", 900, true),
            offer("c", 100, false),
        ];
        assert_eq!(
            pick_offer(&offers).map(|o| o.supplier_id.as_str()),
            Some("b")
        );
        let offers = vec![
            offer("a", 500, false),
            offer("c", 100, false),
            offer("b", 100, false),
        ];
        assert_eq!(
            pick_offer(&offers).map(|o| o.supplier_id.as_str()),
            Some("b")
        );
        assert_eq!(pick_offer(&[]), None);
    }

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
        ] {
            let refusal = acknowledge(status).expect_err("refused");
            assert_eq!(refusal.reason(), "PO_NOT_SUBMITTED", "{status:?}");
        }
    }

    #[test]
    fn goods_are_received_only_after_acknowledgement() {
        assert!(check_receivable(PoStatus::Acknowledged).is_ok());
        assert!(check_receivable(PoStatus::PartiallyReceived).is_ok());
        for status in [
            PoStatus::Draft,
            PoStatus::Submitted,
            PoStatus::Received,
            PoStatus::Cancelled,
        ] {
            assert_eq!(
                check_receivable(status),
                Err(PoRefusal::NotAcknowledged { status })
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
    }

    #[test]
    fn status_codes_round_trip_and_match_the_proto() {
        for status in PoStatus::ALL {
            assert_eq!(PoStatus::from_code(status.code()), Some(status));
        }
        assert_eq!(PoStatus::Draft.code(), 1);
        assert_eq!(PoStatus::Cancelled.code(), 6);
        assert_eq!(PoStatus::from_code(0), None);
        assert_eq!(PoStatus::from_code(7), None);
    }

    #[test]
    fn on_time_is_by_the_end_of_the_promised_day_and_days_are_averaged() {
        let day = 86_400_000;
        let promised_noon = 20_000 * day + day / 2;
        let pos = [
            // Later on the promised day: on time. Took 2 days.
            ReceivedPo {
                submitted_at: promised_noon - 2 * day + day / 4,
                promised_at: Some(promised_noon),
                received_at: promised_noon + day / 4,
            },
            // The next day: late. Took 4 days.
            ReceivedPo {
                submitted_at: promised_noon - 3 * day,
                promised_at: Some(promised_noon),
                received_at: promised_noon + day,
            },
            // Never promised: counts for time to receive only. Took 3 days.
            ReceivedPo {
                submitted_at: 0,
                promised_at: None,
                received_at: 3 * day,
            },
        ];
        let p = supplier_performance(&pos);
        assert_eq!((p.received, p.promised, p.on_time), (3, 2, 1));
        assert!((p.on_time_rate_percent - 50.0).abs() < 1e-9);
        assert!((p.average_days_to_receive - 3.0).abs() < 1e-9);

        let none = supplier_performance(&[]);
        assert_eq!((none.received, none.promised, none.on_time), (0, 0, 0));
        assert!(none.on_time_rate_percent.abs() < f64::EPSILON);
        assert!(none.average_days_to_receive.abs() < f64::EPSILON);
    }
}
