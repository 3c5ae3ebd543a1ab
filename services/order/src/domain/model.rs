//! Orders, lines and shipments as the rules see them: typed ids and
//! statuses, read from stored rows by `crate::store`.

use uuid::Uuid;

use super::lifecycle::{self, LineEvent, Move};
use super::status::{LineStatus, OrderStatus, ShipPolicy, ShipmentStatus};

/// A customer order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// Order id.
    pub id: Uuid,
    /// `request_id` of the PlaceOrder that created it.
    pub request_id: Uuid,
    /// Customer id.
    pub customer_id: Uuid,
    /// Status derived from the lines.
    pub status: OrderStatus,
    /// Whether the customer accepts backorders.
    pub accept_backorders: bool,
    /// When lines may ship.
    pub ship_policy: ShipPolicy,
    /// Delivery address; empty when none was given.
    pub ship_to_address: String,
    /// `traceparent` of the sale.
    pub trace_context: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

/// One line of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Line id.
    pub id: Uuid,
    /// Order id.
    pub order_id: Uuid,
    /// Position in the order.
    pub line_no: i32,
    /// SKU.
    pub sku: String,
    /// Units ordered.
    pub quantity: i64,
    /// Units reserved at placement.
    pub reserved_quantity: i64,
    /// Units backordered at placement.
    pub backordered_quantity: i64,
    /// Status.
    pub status: LineStatus,
    /// Expected arrival (Unix ms).
    pub eta: Option<i64>,
    /// Purchase order carrying its demand.
    pub purchase_order_id: Option<Uuid>,
    /// Shipment that carried its last units.
    pub shipment_id: Option<Uuid>,
    /// Units shipped so far.
    pub shipped_quantity: i64,
    /// Units reserved for it and not shipped: what may ship now.
    pub ready_quantity: i64,
}

/// A parcel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shipment {
    /// Shipment id.
    pub id: Uuid,
    /// Order id.
    pub order_id: Uuid,
    /// Carrier's tracking number.
    pub tracking_number: String,
    /// Carrier.
    pub carrier: String,
    /// Status.
    pub status: ShipmentStatus,
    /// Unix ms.
    pub shipped_at: i64,
    /// Unix ms.
    pub delivered_at: Option<i64>,
    /// Parcel shared with other orders' shipments, if any.
    pub bundle_id: Option<Uuid>,
    /// Units carried per line (line id, units), in line order.
    pub items: Vec<(Uuid, i64)>,
}

impl Line {
    /// Applies `event`: the move the state machine decides, already made
    /// on the line when it is [`Move::To`].
    pub fn take(&mut self, event: LineEvent) -> Move {
        let decided = lifecycle::apply(self.status, event);
        if let Move::To(next) = decided {
            self.status = next;
        }
        decided
    }
}

impl Order {
    /// Re-derives the order's status from `lines`.
    pub fn refresh_status(&mut self, lines: &[Line]) -> OrderStatus {
        let statuses: Vec<LineStatus> = lines.iter().map(|l| l.status).collect();
        self.status = lifecycle::order_status(&statuses);
        self.status
    }
}
