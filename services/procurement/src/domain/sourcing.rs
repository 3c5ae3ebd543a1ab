//! Sourcing: which supplier gets a SKU's demand, how demand becomes units
//! ordered, and when the units are expected.

use chrono::{DateTime, Days};

use super::{MAX_LINE_QUANTITY, PoRefusal};

/// What ordering `demand` units from a supplier selling at least `moq` units
/// in whole cases of `case_pack` means: the demand raised to the MOQ, then
/// rounded up to whole cases. No demand orders nothing. Refused (rather
/// than saturated) when the rounded total does not fit.
pub fn ordered_quantity(demand: i64, moq: i64, case_pack: i64) -> Result<i64, PoRefusal> {
    if demand <= 0 {
        return Ok(0);
    }
    let wanted = demand.max(moq);
    let case_pack = case_pack.max(1);
    let cases = wanted / case_pack + i64::from(wanted % case_pack != 0);
    cases
        .checked_mul(case_pack)
        .ok_or(PoRefusal::QuantityLimit {
            current: demand,
            adding: 0,
            limit: i64::MAX,
        })
}

/// How a purchase order line orders its demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineTerms {
    /// Stock: rounded to the supplier's minimum and whole cases.
    Stock {
        /// Minimum order quantity.
        moq: i64,
        /// Units per case.
        case_pack: i64,
    },
    /// Drop-ship: exactly the demand. The supplier ships each customer
    /// what they bought; there is no stock to fill up to a minimum or a
    /// whole case.
    DropShip,
}

/// What a line carrying `demand` units orders under `terms`.
pub fn line_ordered(demand: i64, terms: LineTerms) -> Result<i64, PoRefusal> {
    match terms {
        LineTerms::Stock { moq, case_pack } => ordered_quantity(demand, moq, case_pack),
        LineTerms::DropShip => Ok(demand.max(0)),
    }
}

/// A line's open demand after `adding` more units, within
/// [`MAX_LINE_QUANTITY`].
pub fn add_to_line(current: i64, adding: i64) -> Result<i64, PoRefusal> {
    current
        .checked_add(adding)
        .filter(|total| *total <= MAX_LINE_QUANTITY)
        .ok_or(PoRefusal::QuantityLimit {
            current,
            adding,
            limit: MAX_LINE_QUANTITY,
        })
}

/// A line's open demand after a released demand of `removing` units leaves
/// it; never below zero.
pub fn remove_from_line(current: i64, removing: i64) -> i64 {
    current.saturating_sub(removing).max(0)
}

/// When a line served by a purchase order is expected: the date the supplier
/// promised, else `from` (submission, or now for a draft) plus the
/// supplier's lead time in calendar days (UTC). `None` when that date is
/// past the calendar's range, which only a lead time beyond
/// [`super::MAX_LEAD_TIME_DAYS`] stored before the bound can reach.
pub fn eta(promised_at: Option<i64>, from: i64, lead_time_days: i32) -> Option<i64> {
    if promised_at.is_some() {
        return promised_at;
    }
    let days = u64::try_from(lead_time_days).unwrap_or(0);
    DateTime::from_timestamp_millis(from)?
        .checked_add_days(Days::new(days))
        .map(|at| at.timestamp_millis())
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
/// (ties go to the oldest supplier, whose UUID v7 id sorts first). Drop-ship
/// demand goes to the preferred offer only: the SKU is drop-shipped because
/// of that offer, and a merely cheaper supplier never agreed to ship to
/// customers; without one the demand waits.
pub fn pick_offer(offers: &[Offer], drop_ship: bool) -> Option<&Offer> {
    if drop_ship {
        return offers.iter().find(|o| o.preferred);
    }
    offers.iter().min_by(|a, b| {
        b.preferred
            .cmp(&a.preferred)
            .then(a.unit_cost_minor.cmp(&b.unit_cost_minor))
            .then(a.supplier_id.cmp(&b.supplier_id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MAX_QUANTITY;

    const DAY_MS: i64 = 86_400_000;

    #[test]
    fn demand_below_moq_orders_the_moq_in_whole_cases() {
        assert_eq!(ordered_quantity(3, 10, 1), Ok(10));
        assert_eq!(ordered_quantity(3, 10, 4), Ok(12));
        assert_eq!(ordered_quantity(1, 1, 1), Ok(1));
    }

    #[test]
    fn demand_above_moq_rounds_up_to_whole_cases() {
        assert_eq!(ordered_quantity(13, 10, 6), Ok(18));
        assert_eq!(ordered_quantity(25, 1, 12), Ok(36));
        assert_eq!(ordered_quantity(11, 10, 1), Ok(11));
    }

    #[test]
    fn exact_multiples_are_not_rounded() {
        assert_eq!(ordered_quantity(12, 10, 6), Ok(12));
        assert_eq!(ordered_quantity(24, 24, 12), Ok(24));
        assert_eq!(ordered_quantity(10, 10, 5), Ok(10));
    }

    #[test]
    fn no_demand_orders_nothing() {
        assert_eq!(ordered_quantity(0, 10, 6), Ok(0));
        assert_eq!(ordered_quantity(-3, 10, 6), Ok(0));
    }

    #[test]
    fn rounding_that_would_overflow_is_refused_not_saturated() {
        let refusal = ordered_quantity(i64::MAX - 1, 1, 1_000_000).expect_err("overflows");
        assert_eq!(refusal.reason(), "QUANTITY_LIMIT");
        assert_eq!(ordered_quantity(i64::MAX, 1, 1), Ok(i64::MAX));
        // The largest line the API can build rounds up without trouble.
        let worst =
            ordered_quantity(MAX_LINE_QUANTITY, MAX_QUANTITY, MAX_QUANTITY - 1).expect("fits");
        assert!((MAX_LINE_QUANTITY..MAX_LINE_QUANTITY + 2 * MAX_QUANTITY).contains(&worst));
    }

    #[test]
    fn a_line_carries_at_most_its_limit() {
        assert_eq!(add_to_line(1, 2), Ok(3));
        assert_eq!(add_to_line(MAX_LINE_QUANTITY - 5, 5), Ok(MAX_LINE_QUANTITY));
        assert_eq!(
            add_to_line(MAX_LINE_QUANTITY - 5, 6),
            Err(PoRefusal::QuantityLimit {
                current: MAX_LINE_QUANTITY - 5,
                adding: 6,
                limit: MAX_LINE_QUANTITY
            })
        );
        assert!(add_to_line(i64::MAX, 1).is_err(), "no wrap-around");
        assert_eq!(remove_from_line(5, 3), 2);
        assert_eq!(remove_from_line(2, 3), 0);
        assert_eq!(remove_from_line(i64::MIN, 1), 0);
    }

    #[test]
    fn promised_date_wins_over_lead_time() {
        let now = 1_700_000_000_000;
        assert_eq!(eta(Some(now + 5), now, 30), Some(now + 5));
    }

    #[test]
    fn without_a_promise_eta_is_lead_time_in_calendar_days_from_now() {
        let now = 1_700_000_000_000;
        assert_eq!(eta(None, now, 7), Some(now + 7 * DAY_MS));
        assert_eq!(eta(None, now, 0), Some(now));
        assert_eq!(
            eta(None, now, -3),
            Some(now),
            "a negative lead time is none"
        );
        // Across a leap day: 2024-02-28 plus 2 days is 2024-03-01.
        let feb_28 = 1_709_078_400_000;
        assert_eq!(eta(None, feb_28, 2), Some(1_709_251_200_000));
        assert_eq!(eta(None, now, i32::MAX), None, "past the calendar");
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
            pick_offer(&offers, false).map(|o| o.supplier_id.as_str()),
            Some("b")
        );
        let offers = vec![
            offer("a", 500, false),
            offer("c", 100, false),
            offer("b", 100, false),
        ];
        assert_eq!(
            pick_offer(&offers, false).map(|o| o.supplier_id.as_str()),
            Some("b")
        );
        assert_eq!(pick_offer(&[], false), None);
    }

    #[test]
    fn drop_ship_demand_goes_to_the_preferred_offer_or_waits() {
        let offer = |id: &str, cost, preferred| Offer {
            supplier_id: id.to_owned(),
            unit_cost_minor: cost,
            preferred,
        };
        let offers = vec![offer("a", 100, false), offer("b", 900, true)];
        assert_eq!(
            pick_offer(&offers, true).map(|o| o.supplier_id.as_str()),
            Some("b")
        );
        let unpreferred = vec![offer("a", 100, false), offer("c", 50, false)];
        assert_eq!(pick_offer(&unpreferred, true), None, "waits");
        assert!(pick_offer(&unpreferred, false).is_some(), "stock does not");
    }

    #[test]
    fn a_drop_ship_line_orders_exactly_its_demand() {
        let stock = LineTerms::Stock {
            moq: 10,
            case_pack: 6,
        };
        assert_eq!(line_ordered(3, LineTerms::DropShip), Ok(3));
        assert_eq!(line_ordered(13, LineTerms::DropShip), Ok(13));
        assert_eq!(line_ordered(0, LineTerms::DropShip), Ok(0));
        assert_eq!(line_ordered(3, stock), Ok(12));
        assert_eq!(
            line_ordered(MAX_LINE_QUANTITY, LineTerms::DropShip),
            Ok(MAX_LINE_QUANTITY)
        );
    }
}
