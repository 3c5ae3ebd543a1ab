//! How a supplier has delivered, over its fully received purchase orders.

use chrono::{DateTime, NaiveDate, TimeDelta};

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

/// The UTC calendar day of a Unix ms instant.
fn day_of(ms: i64) -> Option<NaiveDate> {
    DateTime::from_timestamp_millis(ms).map(|at| at.date_naive())
}

/// On time means by the end of the promised day: a promise is a date, not
/// an instant.
fn arrived_on_time(promised_at: i64, received_at: i64) -> bool {
    match (day_of(received_at), day_of(promised_at)) {
        (Some(arrival), Some(promise)) => arrival <= promise,
        // Instants outside the calendar cannot come from the API; compare
        // them as instants rather than guess a day.
        _ => received_at <= promised_at,
    }
}

/// The delivery record of a supplier's received purchase orders.
pub fn supplier_performance(pos: &[ReceivedPo]) -> Performance {
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let promised: Vec<(i64, i64)> = pos
        .iter()
        .filter_map(|po| po.promised_at.map(|p| (p, po.received_at)))
        .collect();
    let on_time = count(
        promised
            .iter()
            .filter(|(promise, arrival)| arrived_on_time(*promise, *arrival))
            .count(),
    );
    let total_ms = pos.iter().fold(0i64, |total, po| {
        total.saturating_add(po.received_at.saturating_sub(po.submitted_at).max(0))
    });
    let promised_count = count(promised.len());
    let day_ms = TimeDelta::days(1).num_milliseconds();
    // Durations stay far below 2^53 ms, where f64 is exact.
    #[allow(clippy::cast_precision_loss)]
    let average_days_to_receive = if pos.is_empty() {
        0.0
    } else {
        total_ms as f64 / day_ms as f64 / pos.len() as f64
    };
    Performance {
        received: count(pos.len()),
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

    #[test]
    fn days_are_utc_calendar_days_before_the_epoch_too() {
        let day = 86_400_000;
        // Promised 1969-12-31 at 23:00, arrived 1970-01-01 at 00:30: late.
        assert!(!arrived_on_time(-day / 24, day / 48));
        // Promised at 00:00 of a day, arrived 23:59 the same day: on time.
        assert!(arrived_on_time(-day, -60_000));
    }
}
