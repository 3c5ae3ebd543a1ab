//! Rates reported by the services' measures (backorder and fill rates,
//! supplier on-time rate), computed one way everywhere.

/// `part` per 100 of `whole`; 0 when the whole is empty, since there is
/// nothing to measure.
pub fn percent(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    // Counts stay far below 2^53, where f64 is exact.
    #[allow(clippy::cast_precision_loss)]
    let ratio = part as f64 / whole as f64;
    ratio * 100.0
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn rates_are_per_hundred_and_zero_when_there_is_nothing_to_measure() {
        assert!((percent(1, 4) - 25.0).abs() < 1e-9);
        assert!((percent(3, 3) - 100.0).abs() < 1e-9);
        assert!((percent(2, 3) - 66.666_666_666).abs() < 1e-6);
        assert!(percent(0, 0).abs() < f64::EPSILON);
    }
}
