//! Demand history: units ordered per UTC day, the series replenishment
//! planning reads its mean and variability from.

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// Most days of history one request may ask for.
pub const MAX_HISTORY_DAYS: i32 = 365;

/// The UTC day number (days since 1970-01-01) of a Unix-ms instant.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// Units per day for the `days` days ending with `today`, oldest first,
/// from (day, units) sums; days without orders are 0 and sums outside the
/// window are ignored.
pub fn daily_series(sums: &[(i64, i64)], today: i64, days: usize) -> Vec<i64> {
    let mut series = vec![0i64; days];
    let first = today - (days as i64 - 1);
    for (day, units) in sums {
        if let Ok(index) = usize::try_from(day - first)
            && let Some(slot) = series.get_mut(index)
        {
            *slot = slot.saturating_add(*units);
        }
    }
    series
}

/// What `units` waiting units are worth at `price_minor` each, saturated to
/// the i64 range (the product of two stored bounds can exceed it).
pub fn value_of(units: i64, price_minor: i64) -> i64 {
    let value = i128::from(units) * i128::from(price_minor);
    i64::try_from(value).unwrap_or(if value > 0 { i64::MAX } else { i64::MIN })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_without_orders_are_zero_and_the_window_ends_today() {
        let today = day_of(1_764_547_200_000); // 2025-12-01
        let sums = [(today, 4), (today - 2, 3), (today - 9, 100), (today + 1, 7)];
        assert_eq!(daily_series(&sums, today, 3), vec![3, 0, 4]);
        assert_eq!(daily_series(&[], today, 2), vec![0, 0]);
    }

    #[test]
    fn days_start_at_utc_midnight() {
        assert_eq!(day_of(DAY_MS - 1), 0);
        assert_eq!(day_of(DAY_MS), 1);
        assert_eq!(day_of(-1), -1);
    }

    #[test]
    fn values_saturate_instead_of_wrapping() {
        assert_eq!(value_of(3, 250), 750);
        assert_eq!(value_of(i64::MAX, 1_000_000_000_000), i64::MAX);
    }
}
