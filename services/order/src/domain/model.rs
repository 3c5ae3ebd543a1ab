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

    /// Adds `units` that inventory reserved for a backordered line ahead of
    /// the rest: they may ship now. `Ok(false)` for a line the news no
    /// longer concerns (ready, shipped or cancelled meanwhile).
    pub fn reserve_part(&mut self, units: i64) -> Result<bool, PartRefused> {
        match self.status {
            LineStatus::Backordered => {
                self.ready_quantity = self
                    .ready_quantity
                    .checked_add(units)
                    .filter(|ready| self.shipped_quantity.saturating_add(*ready) < self.quantity)
                    .ok_or(PartRefused::WouldComplete)?;
                Ok(true)
            }
            LineStatus::Pending => Err(PartRefused::NotPlacedYet),
            _ => Ok(false),
        }
    }
}

/// Why a part reservation cannot be recorded on a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartRefused {
    /// The line is still being placed: the news comes too early.
    NotPlacedYet,
    /// The units would leave nothing to wait for: a complete line is
    /// told as complete, never as a part.
    WouldComplete,
}

impl Order {
    /// Re-derives the order's status from `lines`.
    pub fn refresh_status(&mut self, lines: &[Line]) -> OrderStatus {
        let statuses: Vec<LineStatus> = lines.iter().map(|l| l.status).collect();
        self.status = lifecycle::order_status(&statuses);
        self.status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backordered(quantity: i64, ready: i64, shipped: i64) -> Line {
        Line {
            id: Uuid::now_v7(),
            order_id: Uuid::now_v7(),
            line_no: 0,
            sku: "A".to_owned(),
            quantity,
            reserved_quantity: ready,
            backordered_quantity: quantity - ready,
            status: LineStatus::Backordered,
            eta: None,
            purchase_order_id: None,
            shipment_id: None,
            shipped_quantity: shipped,
            ready_quantity: ready,
        }
    }

    #[test]
    fn a_part_reservation_adds_units_that_may_ship_but_never_completes_the_line() {
        let mut line = backordered(5, 1, 2);
        assert_eq!(line.reserve_part(1), Ok(true));
        assert_eq!(line.ready_quantity, 2);
        assert_eq!(line.reserve_part(1), Err(PartRefused::WouldComplete));
        assert_eq!(line.ready_quantity, 2, "a refusal changes nothing");
        line.status = LineStatus::Pending;
        assert_eq!(line.reserve_part(1), Err(PartRefused::NotPlacedYet));
        for stale in [
            LineStatus::Ready,
            LineStatus::Shipped,
            LineStatus::Cancelled,
        ] {
            line.status = stale;
            assert_eq!(line.reserve_part(1), Ok(false));
        }
    }
}
