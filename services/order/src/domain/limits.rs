//! Bounds on what the order service accepts. They are chosen together: an
//! order inside them always produces customer notices the notification
//! service accepts, and totals over stored lines stay far inside `i64`.

/// Most units on one order line.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// Most lines on one order.
pub const MAX_LINES: usize = 200;
/// Longest SKU, in bytes (inventory's own bound).
pub const MAX_SKU_BYTES: usize = 64;
/// Longest cancellation reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest tracking number or carrier name, in characters (the
/// notification service's bound).
pub const MAX_SHIPPING_TEXT_CHARS: usize = 100;
/// Most characters of a delivery address.
pub const MAX_ADDRESS_CHARS: usize = 500;
/// Longest free-text detail of a customer notice, in characters (the
/// notification service refuses longer ones).
pub const MAX_NOTICE_DETAIL_CHARS: usize = 1000;

/// Why a SKU is refused, or `None` when it is acceptable. The SKU is
/// checked as it will be stored (trimmed).
pub fn sku_problem(sku: &str) -> Option<&'static str> {
    if sku.is_empty() {
        Some("is required")
    } else if sku.len() > MAX_SKU_BYTES || sku.chars().any(char::is_whitespace) {
        Some("must be 1-64 characters without spaces")
    } else {
        None
    }
}

/// Whether a line quantity is inside `1..=MAX_QUANTITY`.
pub fn quantity_in_bounds(quantity: i64) -> bool {
    (1..=MAX_QUANTITY).contains(&quantity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_bounded_at_both_ends() {
        assert!(!quantity_in_bounds(0));
        assert!(quantity_in_bounds(1));
        assert!(quantity_in_bounds(MAX_QUANTITY));
        assert!(!quantity_in_bounds(MAX_QUANTITY + 1));
        assert!(!quantity_in_bounds(i64::MAX));
        assert!(!quantity_in_bounds(i64::MIN));
    }

    #[test]
    fn skus_follow_inventorys_rule() {
        assert_eq!(sku_problem(""), Some("is required"));
        assert!(sku_problem(&"A".repeat(64)).is_none());
        assert!(sku_problem(&"A".repeat(65)).is_some());
        assert!(sku_problem("A B").is_some());
    }
}
