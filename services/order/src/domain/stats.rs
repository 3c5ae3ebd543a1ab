//! Backorder measures from stored counts. Unit totals are summed exactly
//! (as 128-bit integers, from two partial sums that cannot overflow), so
//! rows stored before quantities were bounded can never make the measures
//! fail; a total beyond `i64` is reported at `i64::MAX` while its rate
//! stays exact.

/// A sum of 64-bit values split so neither part overflows in SQL: the sum
/// of each value's high part (`value / 2^32`) and of its low part
/// (`value % 2^32`), both truncating as SQL does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SplitSum {
    /// Sum of the high parts.
    pub high: i64,
    /// Sum of the low parts.
    pub low: i64,
}

/// Divisor that splits a value into its high and low parts.
pub const SPLIT: i64 = 1 << 32;

impl SplitSum {
    /// The exact total.
    pub fn total(self) -> i128 {
        i128::from(self.high) * i128::from(SPLIT) + i128::from(self.low)
    }
}

/// Counts behind the measures of orders placed in a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Orders placed (answered by inventory).
    pub orders_placed: i64,
    /// Orders with a line backordered at placement.
    pub orders_backordered: i64,
    /// Lines placed.
    pub lines_placed: i64,
    /// Lines wholly reserved at placement.
    pub lines_from_stock: i64,
    /// Units ordered.
    pub units_ordered: i128,
    /// Units reserved at placement.
    pub units_from_stock: i128,
}

/// The measures as reported.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measures {
    /// Orders placed.
    pub orders_placed: i64,
    /// Orders with a line backordered at placement.
    pub orders_backordered: i64,
    /// Backordered per 100 placed.
    pub backorder_rate_percent: f64,
    /// Lines placed.
    pub lines_placed: i64,
    /// Lines wholly reserved at placement.
    pub lines_from_stock: i64,
    /// Lines from stock per 100 placed.
    pub line_fill_rate_percent: f64,
    /// Units ordered (saturating at `i64::MAX`).
    pub units_ordered: i64,
    /// Units reserved at placement (saturating at `i64::MAX`).
    pub units_from_stock: i64,
    /// Units from stock per 100 ordered.
    pub unit_fill_rate_percent: f64,
}

/// `part` per 100 of `whole`; 0 when the whole is empty.
pub fn percent(part: i128, whole: i128) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    // Rates need no more than f64's 53 bits of precision.
    #[allow(clippy::cast_precision_loss)]
    let ratio = part as f64 / whole as f64;
    ratio * 100.0
}

fn saturate(total: i128) -> i64 {
    i64::try_from(total).unwrap_or(if total < 0 { i64::MIN } else { i64::MAX })
}

/// The measures of `counts`.
pub fn measures(counts: &Counts) -> Measures {
    Measures {
        orders_placed: counts.orders_placed,
        orders_backordered: counts.orders_backordered,
        backorder_rate_percent: percent(
            counts.orders_backordered.into(),
            counts.orders_placed.into(),
        ),
        lines_placed: counts.lines_placed,
        lines_from_stock: counts.lines_from_stock,
        line_fill_rate_percent: percent(counts.lines_from_stock.into(), counts.lines_placed.into()),
        units_ordered: saturate(counts.units_ordered),
        units_from_stock: saturate(counts.units_from_stock),
        unit_fill_rate_percent: percent(counts.units_from_stock, counts.units_ordered),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_sums_are_exact_past_i64() {
        // Three values of i64::MAX, split the way SQL truncates.
        let value = i64::MAX;
        let sum = SplitSum {
            high: 3 * (value / SPLIT),
            low: 3 * (value % SPLIT),
        };
        assert_eq!(sum.total(), 3 * i128::from(i64::MAX));
        let negative = -5_000_000_000_i64;
        let sum = SplitSum {
            high: negative / SPLIT,
            low: negative % SPLIT,
        };
        assert_eq!(sum.total(), i128::from(negative));
    }

    #[test]
    fn totals_past_i64_saturate_and_keep_their_rate() {
        let huge = 3 * i128::from(i64::MAX);
        let m = measures(&Counts {
            orders_placed: 4,
            orders_backordered: 1,
            lines_placed: 3,
            lines_from_stock: 3,
            units_ordered: huge,
            units_from_stock: huge / 3,
        });
        assert_eq!(m.units_ordered, i64::MAX);
        assert_eq!(m.units_from_stock, i64::MAX);
        assert!((m.unit_fill_rate_percent - 100.0 / 3.0).abs() < 1e-9);
        assert!((m.backorder_rate_percent - 25.0).abs() < 1e-9);
        assert!(measures(&Counts::default()).unit_fill_rate_percent.abs() < f64::EPSILON);
    }
}
