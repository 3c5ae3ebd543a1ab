//! Everything inventory says to its callers, in one place: field
//! violations, refusals and the reasons written to the stock ledger.

use backorder_platform::ServiceError;
use backorder_platform::error::PreconditionViolation;
use uuid::Uuid;

use crate::domain::{
    ChangeRefusal, MAX_BACKORDER_CAP, MAX_LINES, MAX_PRIORITY, MAX_QUANTITY, QuantityLimit, Refusal,
};

/// Field violation: a missing field.
pub const REQUIRED: &str = "is required";
/// Field violation: a malformed SKU.
pub const SKU_FORMAT: &str = "must be 1-64 characters without spaces";
/// Field violation: an unknown backorder policy.
pub const POLICY: &str = "must be ALLOW, DENY, CAPPED or INBOUND";
/// Field violation: a cap on a policy that has none.
pub const CAP_NOT_ALLOWED: &str = "is only allowed with BACKORDER_POLICY_CAPPED";
/// Field violation: an inbound margin with another policy.
pub const MARGIN_NOT_ALLOWED: &str = "is only allowed with BACKORDER_POLICY_INBOUND";
/// Field violation: a zero adjustment.
pub const ZERO_DELTA: &str = "must not be zero: positive adds stock, negative removes it";
/// Field violation: an order with no lines.
pub const NO_LINES: &str = "must have at least one line";
/// Field violation: a shipment with no lines.
pub const NO_SHIPPED_LINES: &str = "must name at least one line";
/// Field violation: a line id given twice.
pub const REPEATED_LINE: &str = "repeats an earlier line id";
/// Field violation: neither or both list filters.
pub const ONE_FILTER: &str =
    "set exactly one of order_id (an order's reservations) or sku (a SKU's waiting queue)";
/// Field violation: a queue cursor from elsewhere.
pub const QUEUE_TOKEN: &str = "is not a token of this queue";

/// Field violation: a cap by inbound supply's margin out of range.
pub fn margin_range() -> String {
    format!("must be between 0 and {MAX_BACKORDER_CAP} with BACKORDER_POLICY_INBOUND")
}

/// Field violation: a capped policy's cap out of range.
pub fn cap_range() -> String {
    format!("must be between 1 and {MAX_BACKORDER_CAP} with BACKORDER_POLICY_CAPPED")
}

/// Field violation: a quantity out of range.
pub fn quantity_range() -> String {
    format!("must be between 1 and {MAX_QUANTITY}")
}

/// Field violation: an adjustment out of range.
pub fn delta_range() -> String {
    format!(
        "must be between -{MAX_QUANTITY} and {MAX_QUANTITY}, not zero: positive adds stock, negative removes it"
    )
}

/// Field violation: too many lines.
pub fn too_many_lines() -> String {
    format!("must have at most {MAX_LINES} lines")
}

/// Field violation: a priority out of range.
pub fn priority_range() -> String {
    format!("must be between 0 (first come, first served) and {MAX_PRIORITY}")
}

/// No product with this SKU.
pub fn product_not_found(sku: &str) -> ServiceError {
    ServiceError::not_found("product", sku)
}

/// No warehouse with this code.
pub fn warehouse_not_found(code: &backorder_platform::warehouse::WarehouseCode) -> ServiceError {
    ServiceError::not_found("warehouse", code.as_str())
}

/// No reservation for this order line.
pub fn reservation_not_found(order_id: Uuid, line_id: Uuid) -> ServiceError {
    ServiceError::not_found("reservation", format!("{order_id}/{line_id}"))
}

/// The SKU is taken.
pub fn sku_exists(sku: &str) -> ServiceError {
    ServiceError::AlreadyExists {
        reason: "SKU_EXISTS",
        message: format!("product {sku} already exists"),
    }
}

/// Why one line of an order is a stockout.
pub fn stockout(index: usize, sku: &str, refusal: Refusal) -> PreconditionViolation {
    let (kind, description) = match refusal {
        Refusal::PolicyDenies { short } => (
            "POLICY_DENIES",
            format!("{sku} is {short} short and its policy does not allow backorders"),
        ),
        Refusal::CustomerDeclines { short } => (
            "CUSTOMER_DECLINES",
            format!("{sku} is {short} short and the order does not accept backorders"),
        ),
        Refusal::CapReached { short, room } => (
            "CAP_REACHED",
            format!("{sku} is {short} short but only {room} more may be backordered (cap reached)"),
        ),
    };
    PreconditionViolation {
        kind: kind.to_owned(),
        subject: format!("lines[{index}] sku:{sku}"),
        description,
    }
}

/// A short line of a product capped by inbound supply, with the earliest
/// date the merchant could promise it.
pub fn beyond_inbound(sku: &str, short: i64, earliest: Option<i64>) -> String {
    match earliest.and_then(chrono::DateTime::from_timestamp_millis) {
        Some(at) => format!(
            "{sku} is {short} short and its open purchase orders are promised to waiting lines; the earliest date it could be promised is {}",
            at.format("%Y-%m-%d")
        ),
        None => format!(
            "{sku} is {short} short and its open purchase orders are promised to waiting lines; no supplier offers it, so no date can be promised"
        ),
    }
}

/// An order refused for its stockouts; `earliest_date` (Unix ms), when
/// known, is the first date the merchant could promise a line refused
/// for want of inbound supply.
pub fn order_refused(
    stockouts: Vec<PreconditionViolation>,
    earliest_date: Option<i64>,
) -> ServiceError {
    let message = format!(
        "order refused, nothing reserved: {}",
        stockouts
            .iter()
            .map(|r| r.description.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );
    let earliest = earliest_date.and_then(chrono::DateTime::from_timestamp_millis);
    match earliest {
        Some(at) => ServiceError::RefusedWithFacts {
            reason: "STOCKOUT",
            message,
            violations: stockouts,
            facts: vec![("earliest_promise_date", at.format("%Y-%m-%d").to_string())],
        },
        None => ServiceError::FailedPrecondition {
            reason: "STOCKOUT",
            message,
            violations: stockouts,
        },
    }
}

/// A removal below what is reserved.
pub fn below_reserved(removed: i64, on_hand_after: i64, reserved: i64) -> ServiceError {
    ServiceError::precondition(
        "BELOW_RESERVED",
        format!(
            "removing {removed} would leave {on_hand_after} on hand but {reserved} are reserved; cancel reservations first"
        ),
    )
}

/// A stored total that would leave the storable range.
pub fn quantity_limit(subject: &str, limit: QuantityLimit) -> ServiceError {
    let total = limit.total.name();
    ServiceError::FailedPrecondition {
        reason: "QUANTITY_LIMIT",
        message: format!(
            "{subject}: {total} would exceed the largest quantity that can be stored; nothing was changed"
        ),
        violations: vec![PreconditionViolation {
            kind: "QUANTITY_LIMIT".to_owned(),
            subject: format!("{subject} {total}"),
            description: format!("{total} would leave the 64-bit range"),
        }],
    }
}

/// A shipped line that still waits for stock.
pub fn line_not_allocated(line_id: Uuid, waiting: i64) -> ServiceError {
    ServiceError::precondition(
        "LINE_NOT_ALLOCATED",
        format!("line {line_id} still waits for {waiting} units"),
    )
}

/// A shipment asks for more units of a line than it holds.
pub fn not_enough_reserved(
    line_id: Uuid,
    warehouse: &backorder_platform::warehouse::WarehouseCode,
    reserved: i64,
    asked: i64,
) -> ServiceError {
    ServiceError::precondition(
        "LINE_NOT_ALLOCATED",
        format!(
            "line {line_id} holds {reserved} reserved units in warehouse {warehouse}; {asked} cannot ship from there"
        ),
    )
}

/// A line the supplier ships: no stock of it is here to issue.
pub fn line_drop_shipped(line_id: Uuid) -> ServiceError {
    ServiceError::precondition(
        "LINE_DROP_SHIPPED",
        format!(
            "line {line_id} is drop-shipped by the supplier; no stock of it leaves a warehouse"
        ),
    )
}

/// A shipped line that was cancelled.
pub fn line_released(line_id: Uuid) -> ServiceError {
    ServiceError::precondition("LINE_RELEASED", format!("line {line_id} was cancelled"))
}

/// A cancelled line that was already shipped.
pub fn line_shipped(line_id: Uuid) -> ServiceError {
    ServiceError::precondition(
        "LINE_SHIPPED",
        format!("line {line_id} already shipped; it cannot be released"),
    )
}

/// A priority for a line that no longer waits.
pub fn line_not_waiting(line_id: Uuid) -> ServiceError {
    ServiceError::precondition(
        "LINE_NOT_WAITING",
        format!(
            "line {line_id} no longer waits for stock; only waiting lines have a place in the queue"
        ),
    )
}

/// Ledger reason of a new order's reservation.
pub const LEDGER_ORDER_PLACED: &str = "order placed";
/// Ledger reason of a receipt.
pub const LEDGER_RECEIVED: &str = "goods received";
/// Ledger reason of a shipment.
pub const LEDGER_SHIPPED: &str = "shipped";
/// Ledger reason of a cancellation.
pub const LEDGER_CANCELLED: &str = "line cancelled";

/// Ledger reason of a priority change.
pub fn ledger_priority(line_id: Uuid, before: i32, after: i32, reason: &str) -> String {
    format!("line {line_id} priority {before} -> {after}: {reason}")
}

/// A line given another SKU while this request waited for its old one.
pub fn line_changed_meanwhile(line_id: Uuid) -> ServiceError {
    ServiceError::Aborted {
        reason: "CONCURRENT_UPDATE",
        message: format!("line {line_id} was given another SKU while this request ran; retry"),
    }
}

/// Why a line cannot change as asked (ChangeReservation).
pub fn change_refused(line_id: Uuid, quantity: i64, refusal: ChangeRefusal) -> ServiceError {
    match refusal {
        ChangeRefusal::NotWaiting => ServiceError::precondition(
            "LINE_NOT_WAITING",
            format!("line {line_id} no longer waits for stock; only waiting lines change"),
        ),
        ChangeRefusal::NotAReduction => ServiceError::invalid(
            "quantity",
            format!(
                "must be below the line's units to reduce it with its own SKU; {quantity} is not"
            ),
        ),
        ChangeRefusal::Shipped { shipped } => ServiceError::precondition(
            "LINE_PARTLY_SHIPPED",
            format!(
                "{shipped} units of line {line_id} already shipped; it can only keep more than those, and only its own SKU"
            ),
        ),
    }
}

/// A substitute that is short and may not wait: nothing changed.
pub fn substitute_refused(sku: &str, refusal: Refusal) -> ServiceError {
    let violation = PreconditionViolation {
        subject: format!("sku:{sku}"),
        ..stockout(0, sku, refusal)
    };
    ServiceError::FailedPrecondition {
        reason: "STOCKOUT",
        message: format!(
            "substitute refused, nothing changed: {}",
            violation.description
        ),
        violations: vec![violation],
    }
}

/// Ledger reason of a line given another SKU.
pub fn ledger_substituted(line_id: Uuid, from: &str, to: &str) -> String {
    format!("line {line_id} changed from {from} to {to}")
}

/// Ledger reason of a line reduced to fewer units.
pub fn ledger_reduced(line_id: Uuid, from: i64, to: i64) -> String {
    format!("line {line_id} changed from {from} to {to} units")
}
