//! Lost sales: an order refused at placement for a stockout sells nothing.
//! Inventory names each short line (`lines[i] sku:SKU`) and why; these
//! rules turn that into what the measures count.

use super::stats::percent;

/// Why a sale was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LostSaleReason {
    /// The product's policy does not allow backorders.
    PolicyDenies,
    /// The product's backorder cap was reached.
    CapReached,
    /// The customer would not wait.
    CustomerDeclined,
}

impl LostSaleReason {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::PolicyDenies => 1,
            Self::CapReached => 2,
            Self::CustomerDeclined => 3,
        }
    }

    /// From a stored code; `None` for one this version does not know.
    pub fn from_code(code: i32) -> Option<Self> {
        match code {
            1 => Some(Self::PolicyDenies),
            2 => Some(Self::CapReached),
            3 => Some(Self::CustomerDeclined),
            _ => None,
        }
    }

    /// From the type of inventory's precondition violation.
    pub fn from_violation(kind: &str) -> Option<Self> {
        match kind {
            "POLICY_DENIES" => Some(Self::PolicyDenies),
            "CAP_REACHED" => Some(Self::CapReached),
            "CUSTOMER_DECLINES" => Some(Self::CustomerDeclined),
            _ => None,
        }
    }
}

/// One short line of a refused order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostLine {
    /// Position of the line in the order (0-based, as inventory was asked).
    pub index: usize,
    /// SKU.
    pub sku: String,
    /// Why.
    pub reason: LostSaleReason,
    /// Units ordered on the line.
    pub units: i64,
}

/// The short lines of a refused order from inventory's violations (type,
/// subject) and the order's lines (SKU, units) in the order inventory was
/// asked; a violation naming no line of the order, or of an unknown type,
/// is left out rather than guessed.
pub fn short_lines(violations: &[(String, String)], lines: &[(String, i64)]) -> Vec<LostLine> {
    violations
        .iter()
        .filter_map(|(kind, subject)| {
            let reason = LostSaleReason::from_violation(kind)?;
            let index: usize = subject
                .strip_prefix("lines[")?
                .split_once(']')?
                .0
                .parse()
                .ok()?;
            let (sku, units) = lines.get(index)?;
            Some(LostLine {
                index,
                sku: sku.clone(),
                reason,
                units: *units,
            })
        })
        .collect()
}

/// Refused orders per 100 orders asked for (placed plus refused).
pub fn lost_sale_rate_percent(refused: i64, placed: i64) -> f64 {
    percent(
        i128::from(refused),
        i128::from(refused) + i128::from(placed),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(kind: &str, subject: &str) -> (String, String) {
        (kind.to_owned(), subject.to_owned())
    }

    #[test]
    fn violations_name_the_short_lines_and_why() {
        let lines = vec![("A".to_owned(), 2), ("B".to_owned(), 5)];
        let lost = short_lines(
            &[
                v("CAP_REACHED", "lines[1] sku:B"),
                v("POLICY_DENIES", "lines[7] sku:Z"),
                v("SOMETHING_NEW", "lines[0] sku:A"),
                v("CUSTOMER_DECLINES", "order"),
            ],
            &lines,
        );
        assert_eq!(
            lost,
            vec![LostLine {
                index: 1,
                sku: "B".into(),
                reason: LostSaleReason::CapReached,
                units: 5
            }]
        );
    }

    #[test]
    fn codes_round_trip_and_the_rate_counts_what_was_asked() {
        for r in [
            LostSaleReason::PolicyDenies,
            LostSaleReason::CapReached,
            LostSaleReason::CustomerDeclined,
        ] {
            assert_eq!(LostSaleReason::from_code(r.code()), Some(r));
        }
        assert_eq!(LostSaleReason::from_code(9), None);
        assert!((lost_sale_rate_percent(1, 3) - 25.0).abs() < 1e-9);
        assert!(lost_sale_rate_percent(0, 0).abs() < 1e-9);
    }
}
