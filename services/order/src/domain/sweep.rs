//! When the pending-order sweeper tries an order again. Each pending order
//! keeps its own next-attempt time, so orders that keep failing back off and
//! never crowd out the ones behind them.

use std::time::Duration;

/// The sweeper's timings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failed attempt.
    pub initial: Duration,
    /// Longest delay between attempts.
    pub max: Duration,
}

impl Backoff {
    /// Delay before the next attempt of an order already tried `attempts`
    /// times: doubling from `initial`, capped at `max`.
    pub fn delay_ms(&self, attempts: i32) -> i64 {
        let initial = i64::try_from(self.initial.as_millis()).unwrap_or(i64::MAX);
        let max = i64::try_from(self.max.as_millis()).unwrap_or(i64::MAX);
        let doublings = u32::try_from(attempts.max(0)).unwrap_or(0).min(62);
        initial
            .checked_mul(1_i64 << doublings)
            .unwrap_or(i64::MAX)
            .min(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_and_stop_at_the_cap() {
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        let delays: Vec<i64> = (0..6).map(|a| backoff.delay_ms(a)).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff.delay_ms(i32::MAX), 1000, "no overflow");
        assert_eq!(backoff.delay_ms(-3), 100);
    }
}
