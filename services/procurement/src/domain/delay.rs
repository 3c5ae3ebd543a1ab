//! When a purchase order is late: still open past the date it was expected
//! by (the promised date, else submission plus the supplier's lead time),
//! or past the date an earlier delay moved it to. A late purchase order is
//! expected again a lead time from now (at least a day, so that a supplier
//! with no lead time is not caught again on every pass).

use super::{PoStatus, eta};

/// What the delay rule reads of a purchase order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoDates {
    /// Its status.
    pub status: PoStatus,
    /// The date its supplier promised, if any.
    pub promised_at: Option<i64>,
    /// When it was submitted (unset for a draft).
    pub submitted_at: Option<i64>,
    /// The date an earlier delay moved it to, if any.
    pub delayed_until: Option<i64>,
    /// Its supplier's lead time.
    pub lead_time_days: i32,
}

impl PoDates {
    /// The date it was expected by before any delay: the promised date,
    /// else submission plus lead time, computed as every line's ETA is.
    /// `None` before submission (or past the calendar).
    pub fn expected(&self) -> Option<i64> {
        match self.promised_at {
            Some(promised) => Some(promised),
            None => eta(None, self.submitted_at?, self.lead_time_days),
        }
    }

    /// The date it is expected by now: the later of the expected date and
    /// the date a delay moved it to.
    pub fn current_eta(&self) -> Option<i64> {
        latest(self.expected(), self.delayed_until)
    }

    /// Whether its current date is one the supplier promised: a promised
    /// date that no delay has moved past. A date worked out from a lead
    /// time, or by a delay, is an estimate.
    pub fn confirmed(&self) -> bool {
        match (self.promised_at, self.delayed_until) {
            (Some(promised), Some(delayed)) => delayed <= promised,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// Whether it is late at `now`: still on its way (submitted,
    /// acknowledged or partially received, drop-ship or not) and expected
    /// before `now`.
    pub fn is_late(&self, now: i64) -> bool {
        may_be_late(self.status) && self.current_eta().is_some_and(|at| at < now)
    }

    /// The date a late purchase order is expected by from `now` on; `None`
    /// when it is not late (or that date is past the calendar).
    pub fn delay(&self, now: i64) -> Option<i64> {
        if !self.is_late(now) {
            return None;
        }
        delayed_date(now, self.lead_time_days)
    }
}

/// Whether a purchase order in `status` is still awaited and so can be late:
/// drafts are not sent yet; received, cancelled and drop-shipped ones
/// arrived or never will.
pub fn may_be_late(status: PoStatus) -> bool {
    matches!(
        status,
        PoStatus::Submitted | PoStatus::Acknowledged | PoStatus::PartiallyReceived
    )
}

/// Now plus the supplier's lead time, at least one day.
pub fn delayed_date(now: i64, lead_time_days: i32) -> Option<i64> {
    eta(None, now, lead_time_days.max(1))
}

/// The later of an expected date and a delay; either may be unset.
pub fn latest(expected: Option<i64>, delayed_until: Option<i64>) -> Option<i64> {
    expected.max(delayed_until)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: i64 = 86_400_000;
    const NOW: i64 = 1_733_400_000_000;

    fn submitted(submitted_at: i64, lead_time_days: i32) -> PoDates {
        PoDates {
            status: PoStatus::Submitted,
            promised_at: None,
            submitted_at: Some(submitted_at),
            delayed_until: None,
            lead_time_days,
        }
    }

    #[test]
    fn the_expected_date_is_the_promise_else_submission_plus_lead_time() {
        let po = submitted(NOW - 10 * DAY_MS, 3);
        assert_eq!(po.expected(), Some(NOW - 7 * DAY_MS));
        let promised = PoDates {
            promised_at: Some(NOW + DAY_MS),
            ..po
        };
        assert_eq!(promised.expected(), Some(NOW + DAY_MS));
        let draft = PoDates {
            status: PoStatus::Draft,
            submitted_at: None,
            ..po
        };
        assert_eq!(draft.expected(), None);
    }

    #[test]
    fn an_open_order_past_its_expected_date_is_late() {
        let po = submitted(NOW - 10 * DAY_MS, 3);
        assert!(po.is_late(NOW));
        assert_eq!(po.delay(NOW), Some(NOW + 3 * DAY_MS));
        // Not before the expected date, nor at it.
        assert!(!submitted(NOW - 3 * DAY_MS, 3).is_late(NOW));
        assert!(!submitted(NOW - 2 * DAY_MS, 3).is_late(NOW));
        let promised_past = PoDates {
            status: PoStatus::Acknowledged,
            promised_at: Some(NOW - 1),
            ..submitted(NOW - DAY_MS, 30)
        };
        assert_eq!(promised_past.delay(NOW), Some(NOW + 30 * DAY_MS));
        let promised_future = PoDates {
            promised_at: Some(NOW + 1),
            ..promised_past
        };
        assert!(
            !promised_future.is_late(NOW),
            "the promise wins over lead time"
        );
    }

    #[test]
    fn only_orders_still_awaited_can_be_late() {
        let po = submitted(NOW - 10 * DAY_MS, 3);
        for status in PoStatus::ALL {
            let expected = matches!(
                status,
                PoStatus::Submitted | PoStatus::Acknowledged | PoStatus::PartiallyReceived
            );
            assert_eq!(
                PoDates { status, ..po }.is_late(NOW),
                expected,
                "{status:?}"
            );
        }
    }

    #[test]
    fn a_delay_holds_until_its_date_passes_then_is_caught_again() {
        let po = PoDates {
            delayed_until: Some(NOW + 3 * DAY_MS),
            ..submitted(NOW - 10 * DAY_MS, 3)
        };
        assert_eq!(po.current_eta(), Some(NOW + 3 * DAY_MS));
        assert!(!po.is_late(NOW));
        assert!(!po.is_late(NOW + 3 * DAY_MS));
        let later = NOW + 3 * DAY_MS + 1;
        assert_eq!(po.delay(later), Some(later + 3 * DAY_MS));
        // A delay earlier than a later promise does not hide the promise.
        let promised = PoDates {
            promised_at: Some(NOW + 5 * DAY_MS),
            ..po
        };
        assert_eq!(promised.current_eta(), Some(NOW + 5 * DAY_MS));
        assert!(!promised.is_late(NOW + 4 * DAY_MS));
    }

    #[test]
    fn the_new_date_is_at_least_a_day_away() {
        assert_eq!(delayed_date(NOW, 0), Some(NOW + DAY_MS));
        assert_eq!(delayed_date(NOW, -4), Some(NOW + DAY_MS));
        assert_eq!(delayed_date(NOW, 1), Some(NOW + DAY_MS));
        assert_eq!(delayed_date(NOW, 14), Some(NOW + 14 * DAY_MS));
        assert_eq!(delayed_date(NOW, i32::MAX), None, "past the calendar");
        let po = submitted(NOW - 2 * DAY_MS, 0);
        assert_eq!(po.delay(NOW), Some(NOW + DAY_MS));
    }

    #[test]
    fn latest_takes_whichever_date_is_set_and_later() {
        assert_eq!(latest(None, None), None);
        assert_eq!(latest(Some(5), None), Some(5));
        assert_eq!(latest(None, Some(7)), Some(7));
        assert_eq!(latest(Some(9), Some(7)), Some(9));
    }

    #[test]
    fn only_a_promised_date_no_delay_moved_is_confirmed() {
        let dates = |promised_at, delayed_until| PoDates {
            status: PoStatus::Acknowledged,
            promised_at,
            submitted_at: Some(0),
            delayed_until,
            lead_time_days: 5,
        };
        assert!(dates(Some(10), None).confirmed());
        assert!(dates(Some(10), Some(5)).confirmed());
        assert!(!dates(Some(10), Some(20)).confirmed());
        assert!(!dates(None, None).confirmed());
    }
}
