//! Orders, lines and shipments as the rules see them: typed ids and
//! statuses, read from stored rows by `crate::store`.

use backorder_platform::warehouse::WarehouseCode;
use uuid::Uuid;

use super::charging::LinePayment;
use super::lifecycle::{self, LineEvent, Move};
use super::status::{LineStatus, OrderStatus, ShipPolicy, ShipmentStatus};
use super::warehouses::{BadUnits, UnitsByWarehouse};

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
    /// Expected arrival (Unix ms): the earliest date promised.
    pub eta: Option<i64>,
    /// Latest date promised (Unix ms): `eta` when certain, later when the
    /// date is estimated; unset with `eta`.
    pub eta_latest: Option<i64>,
    /// Purchase order carrying its demand.
    pub purchase_order_id: Option<Uuid>,
    /// Shipment that carried its last units.
    pub shipment_id: Option<Uuid>,
    /// Units shipped so far.
    pub shipped_quantity: i64,
    /// Units reserved for it and not shipped: what may ship now.
    pub ready_quantity: i64,
    /// Where those units are (they add up to `ready_quantity`).
    pub ready_in: UnitsByWarehouse,
    /// The supplier ships it straight to the customer: it never holds
    /// stock, never leaves a warehouse, and leaves in a drop shipment.
    pub drop_ship: bool,
    /// Unit price in the smallest currency unit, from inventory at the
    /// sale; 0 when unknown (such a line is never charged).
    pub unit_price_minor: i64,
    /// Its charging; `None` when it is not charged through the service.
    pub payment: Option<LinePayment>,
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
    /// Where the parcel came from.
    pub origin: Origin,
}

/// Where a parcel came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// One of the merchant's warehouses, whose stock it took.
    Warehouse(WarehouseCode),
    /// The supplier, straight to the customer: no stock of the merchant's
    /// moved.
    Supplier {
        /// The drop-ship purchase order the supplier shipped.
        purchase_order_id: Uuid,
    },
}

impl Shipment {
    /// The warehouse the parcel left from; `None` for a drop shipment.
    pub fn warehouse(&self) -> Option<&WarehouseCode> {
        match &self.origin {
            Origin::Warehouse(code) => Some(code),
            Origin::Supplier { .. } => None,
        }
    }

    /// The purchase order of a drop shipment.
    pub fn purchase_order_id(&self) -> Option<Uuid> {
        match &self.origin {
            Origin::Warehouse(_) => None,
            Origin::Supplier { purchase_order_id } => Some(*purchase_order_id),
        }
    }
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
    /// the rest, held in `warehouse`: they may ship now. `Ok(false)` for a
    /// line the news no longer concerns (ready, shipped or cancelled
    /// meanwhile).
    pub fn reserve_part(
        &mut self,
        units: i64,
        warehouse: &WarehouseCode,
    ) -> Result<bool, PartRefused> {
        match self.status {
            LineStatus::Backordered => {
                let ready = self
                    .ready_quantity
                    .checked_add(units)
                    .filter(|ready| self.shipped_quantity.saturating_add(*ready) < self.quantity)
                    .ok_or(PartRefused::WouldComplete)?;
                self.ready_in
                    .add(warehouse.clone(), units)
                    .map_err(|_| PartRefused::WouldComplete)?;
                self.ready_quantity = ready;
                Ok(true)
            }
            LineStatus::Pending => Err(PartRefused::NotPlacedYet),
            _ => Ok(false),
        }
    }

    /// Every unit the line had left to be reserved is now, in `warehouse`
    /// (a complete allocation, after the line moved to READY); the units
    /// it got.
    pub fn reserve_rest(&mut self, warehouse: &WarehouseCode) -> Result<i64, BadUnits> {
        let rest = (self.units_left() - self.ready_quantity).max(0);
        self.ready_in.add(warehouse.clone(), rest)?;
        self.ready_quantity = self.units_left();
        Ok(rest)
    }

    /// Ships every ready unit the line holds in `warehouse`: the units
    /// shipped. A ready line moves to SHIPPED only once nothing is left;
    /// that move is the caller's, through the state machine.
    pub fn ship_from(&mut self, warehouse: &WarehouseCode) -> Result<i64, ShipOverrun> {
        let units = self.ready_in.units_in(warehouse);
        let shipped = self
            .shipped_quantity
            .checked_add(units)
            .filter(|shipped| *shipped <= self.quantity);
        let ready = self.ready_quantity.checked_sub(units).filter(|r| *r >= 0);
        let (Some(shipped), Some(ready)) = (shipped, ready) else {
            return Err(ShipOverrun);
        };
        self.ready_in.take(warehouse);
        self.shipped_quantity = shipped;
        self.ready_quantity = ready;
        Ok(units)
    }

    /// Whether every unit ordered has shipped.
    pub fn fully_shipped(&self) -> bool {
        self.shipped_quantity >= self.quantity
    }

    /// The line no longer has units waiting to ship (it was cancelled:
    /// inventory takes them back).
    pub fn release_ready(&mut self) {
        self.ready_quantity = 0;
        self.ready_in = UnitsByWarehouse::new();
    }

    /// Takes the parts stored for the line, as read. A ready line has all
    /// it has not shipped (rows a version before partial shipments wrote
    /// keep no count of it), a backordered one what it keeps, any other
    /// none; the parts are made to agree with that.
    pub fn settle(&mut self, stored: UnitsByWarehouse) {
        self.ready_quantity = match self.status {
            LineStatus::Ready => self.units_left(),
            LineStatus::Backordered => self.ready_quantity.max(0),
            _ => 0,
        };
        self.ready_in = stored.reconciled(self.ready_quantity);
    }

    fn units_left(&self) -> i64 {
        (self.quantity - self.shipped_quantity).max(0)
    }
}

/// A line's parts would ship more than it ordered or than it holds ready:
/// stored data that does not add up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the line would ship more than it ordered or holds ready")]
pub struct ShipOverrun;

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

    fn code(raw: &str) -> WarehouseCode {
        WarehouseCode::parse("warehouse", raw).expect("a code")
    }

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
            eta_latest: None,
            purchase_order_id: None,
            shipment_id: None,
            shipped_quantity: shipped,
            ready_quantity: ready,
            ready_in: UnitsByWarehouse::of(WarehouseCode::default_warehouse(), ready),
            drop_ship: false,
            unit_price_minor: 0,
            payment: None,
        }
    }

    #[test]
    fn a_part_reservation_adds_units_that_may_ship_but_never_completes_the_line() {
        let east = code("east");
        let mut line = backordered(5, 1, 2);
        assert_eq!(line.reserve_part(1, &east), Ok(true));
        assert_eq!(line.ready_quantity, 2);
        assert_eq!(line.ready_in.units_in(&east), 1, "held where it was given");
        assert_eq!(line.reserve_part(1, &east), Err(PartRefused::WouldComplete));
        assert_eq!(line.ready_quantity, 2, "a refusal changes nothing");
        assert_eq!(line.ready_in.total(), 2);
        line.status = LineStatus::Pending;
        assert_eq!(line.reserve_part(1, &east), Err(PartRefused::NotPlacedYet));
        for stale in [
            LineStatus::Ready,
            LineStatus::Shipped,
            LineStatus::Cancelled,
        ] {
            line.status = stale;
            assert_eq!(line.reserve_part(1, &east), Ok(false));
        }
    }

    #[test]
    fn a_complete_allocation_reserves_what_was_left_where_it_was_given() {
        let mut line = backordered(6, 2, 1);
        line.status = LineStatus::Ready;
        assert_eq!(line.reserve_rest(&code("west")), Ok(3));
        assert_eq!(line.ready_quantity, 5);
        assert_eq!(line.ready_in.units_in(&code("west")), 3);
        assert_eq!(line.ready_in.total(), 5);
    }

    #[test]
    fn a_line_ships_what_it_holds_in_one_warehouse_at_a_time() {
        let mut line = backordered(3, 0, 0);
        line.status = LineStatus::Ready;
        line.settle(
            UnitsByWarehouse::from_entries([(code("east"), 2), (code("default"), 1)])
                .expect("parts"),
        );
        assert_eq!(line.ready_quantity, 3);
        assert_eq!(line.ship_from(&code("east")), Ok(2));
        assert!(!line.fully_shipped(), "the default unit is still to go");
        assert_eq!((line.shipped_quantity, line.ready_quantity), (2, 1));
        assert_eq!(line.ship_from(&code("east")), Ok(0));
        assert_eq!(line.ship_from(&WarehouseCode::default_warehouse()), Ok(1));
        assert!(line.fully_shipped());
        assert!(line.ready_in.is_empty());
    }

    #[test]
    fn parts_that_would_ship_past_the_order_are_refused() {
        let mut line = backordered(3, 1, 2);
        line.ready_in = UnitsByWarehouse::of(code("east"), 2);
        assert_eq!(line.ship_from(&code("east")), Err(ShipOverrun));
        assert_eq!(line.shipped_quantity, 2, "nothing changed");
    }

    #[test]
    fn a_read_line_holds_what_its_status_says() {
        let mut ready = backordered(4, 0, 1);
        ready.status = LineStatus::Ready;
        ready.settle(UnitsByWarehouse::new());
        assert_eq!(ready.ready_quantity, 3, "all it has not shipped");
        assert_eq!(
            ready.ready_in,
            UnitsByWarehouse::of(WarehouseCode::default_warehouse(), 3)
        );
        let mut cancelled = backordered(4, 2, 0);
        cancelled.status = LineStatus::Cancelled;
        cancelled.settle(UnitsByWarehouse::of(code("east"), 2));
        assert_eq!(cancelled.ready_quantity, 0);
        assert!(cancelled.ready_in.is_empty());
    }
}
