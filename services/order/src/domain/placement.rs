//! Placing an order: the command a valid PlaceOrder becomes, the check
//! of inventory's answer before it is recorded, and what that answer makes
//! of each line.

use uuid::Uuid;

use super::lifecycle::LineEvent;
use super::model::Line;
use super::status::ShipPolicy;
use super::warehouses::UnitsByWarehouse;

/// A valid PlaceOrder, SKUs trimmed as they are stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrder {
    /// The caller's request id; a retry with it resumes this order.
    pub request_id: Uuid,
    /// Fingerprint of the whole request: a retry must match it exactly.
    pub request_hash: String,
    /// Customer id.
    pub customer_id: Uuid,
    /// Lines in the order given.
    pub lines: Vec<NewLine>,
    /// Whether the customer accepts waiting for short lines.
    pub accept_backorders: bool,
    /// When lines may ship.
    pub ship_policy: ShipPolicy,
    /// Delivery address, trimmed; empty when none was given.
    pub ship_to_address: String,
}

/// One line of a [`NewOrder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLine {
    /// SKU, trimmed.
    pub sku: String,
    /// Units, inside `1..=MAX_QUANTITY`.
    pub quantity: i64,
}

/// How inventory served one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineOutcome {
    /// Units reserved from stock.
    pub reserved: i64,
    /// Units waiting for stock.
    pub backordered: i64,
    /// Units the supplier ships straight to the customer.
    pub drop_shipped: i64,
    /// Where the reserved units are.
    pub reserved_from: UnitsByWarehouse,
    /// The dates (Unix ms) promised for the waiting units at the sale:
    /// earliest and latest; `None` when nothing waits or no date is known.
    pub promise: Option<(i64, i64)>,
}

/// How a line is served, once inventory's answer for it is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Served {
    /// From stock: some units reserved now, the rest waiting.
    Stock(LineOutcome),
    /// Whole by the supplier, straight to the customer.
    DropShip,
}

/// Inventory's answer for a line does not add up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImpossibleOutcome {
    /// The parts do not make what was ordered.
    #[error("{reserved} reserved + {backordered} backordered does not make the {quantity} ordered")]
    Quantity {
        /// Units ordered.
        quantity: i64,
        /// Units inventory says it reserved.
        reserved: i64,
        /// Units inventory says wait.
        backordered: i64,
    },
    /// The warehouses do not hold what was reserved.
    #[error("{placed} units placed in warehouses, not the {reserved} reserved")]
    Warehouses {
        /// Units inventory says it reserved.
        reserved: i64,
        /// Units its warehouses add up to.
        placed: i64,
    },
    /// A drop-ship share that is not the whole line alone.
    #[error(
        "{drop_shipped} of the {quantity} ordered drop-shipped beside {beside} reserved or backordered: a line is drop-shipped whole or not at all"
    )]
    DropShip {
        /// Units ordered.
        quantity: i64,
        /// Units inventory says the supplier ships.
        drop_shipped: i64,
        /// Units inventory says it reserved or backordered beside them.
        beside: i64,
    },
}

/// Accepts inventory's answer for a line of `quantity` only when it adds
/// up: either the whole line is drop-shipped and nothing else is said of
/// it, or both parts are non-negative and add up (without overflow) to the
/// quantity and the warehouses named hold exactly the units reserved.
pub fn check_outcome(quantity: i64, outcome: LineOutcome) -> Result<Served, ImpossibleOutcome> {
    if outcome.drop_shipped != 0 {
        let beside = outcome.reserved.saturating_add(outcome.backordered);
        let whole = outcome.drop_shipped == quantity
            && outcome.reserved == 0
            && outcome.backordered == 0
            && outcome.reserved_from.is_empty();
        return if whole {
            Ok(Served::DropShip)
        } else {
            Err(ImpossibleOutcome::DropShip {
                quantity,
                drop_shipped: outcome.drop_shipped,
                beside,
            })
        };
    }
    let sum = outcome.reserved.checked_add(outcome.backordered);
    if outcome.reserved < 0 || outcome.backordered < 0 || sum != Some(quantity) {
        return Err(ImpossibleOutcome::Quantity {
            quantity,
            reserved: outcome.reserved,
            backordered: outcome.backordered,
        });
    }
    let placed = outcome.reserved_from.total();
    if placed != outcome.reserved {
        return Err(ImpossibleOutcome::Warehouses {
            reserved: outcome.reserved,
            placed,
        });
    }
    Ok(Served::Stock(outcome))
}

impl Line {
    /// Records how inventory served the line: the event it then takes. A
    /// drop-shipped line waits for the supplier, so it is backordered
    /// whole (none of it came from stock, which keeps the fill rates
    /// honest) and holds nothing a warehouse could ship.
    pub fn take_reservation(&mut self, served: Served) -> LineEvent {
        let (reserved, backordered, reserved_from, drop_ship) = match served {
            Served::Stock(outcome) => {
                if outcome.backordered > 0
                    && let Some((from, to)) = outcome.promise
                {
                    self.eta = Some(from);
                    self.eta_latest = Some(to.max(from));
                }
                (
                    outcome.reserved,
                    outcome.backordered,
                    outcome.reserved_from,
                    false,
                )
            }
            Served::DropShip => (0, self.quantity, UnitsByWarehouse::new(), true),
        };
        self.reserved_quantity = reserved;
        self.backordered_quantity = backordered;
        self.ready_quantity = reserved;
        self.ready_in = reserved_from;
        self.drop_ship = drop_ship;
        LineEvent::Reserved {
            backordered: backordered > 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use backorder_platform::warehouse::WarehouseCode;

    use super::*;

    fn outcome(reserved: i64, backordered: i64) -> LineOutcome {
        LineOutcome {
            reserved,
            backordered,
            drop_shipped: 0,
            reserved_from: UnitsByWarehouse::of(WarehouseCode::default_warehouse(), reserved),
            promise: None,
        }
    }

    fn drop_shipped(units: i64) -> LineOutcome {
        LineOutcome {
            drop_shipped: units,
            ..outcome(0, 0)
        }
    }

    #[test]
    fn an_outcome_must_add_up_to_the_quantity() {
        let fine = outcome(2, 3);
        assert_eq!(check_outcome(5, fine.clone()), Ok(Served::Stock(fine)));
        assert!(check_outcome(5, outcome(2, 2)).is_err());
        assert!(check_outcome(5, outcome(7, -2)).is_err());
        assert!(
            check_outcome(5, outcome(i64::MAX, i64::MAX)).is_err(),
            "an overflowing sum is refused, not wrapped"
        );
    }

    #[test]
    fn the_warehouses_must_hold_what_was_reserved() {
        let mut short = outcome(2, 3);
        short.reserved_from = UnitsByWarehouse::of(WarehouseCode::default_warehouse(), 1);
        assert_eq!(
            check_outcome(5, short),
            Err(ImpossibleOutcome::Warehouses {
                reserved: 2,
                placed: 1
            })
        );
        assert!(check_outcome(5, outcome(0, 5)).is_ok(), "nothing to place");
    }

    #[test]
    fn a_line_is_drop_shipped_whole_and_alone() {
        assert_eq!(check_outcome(5, drop_shipped(5)), Ok(Served::DropShip));
        for (label, answer) in [
            ("part of the line", drop_shipped(3)),
            ("more than the line", drop_shipped(6)),
            ("a negative share", drop_shipped(-5)),
            (
                "beside reserved units",
                LineOutcome {
                    drop_shipped: 5,
                    ..outcome(1, 0)
                },
            ),
            (
                "beside backordered units",
                LineOutcome {
                    drop_shipped: 5,
                    ..outcome(0, 5)
                },
            ),
        ] {
            assert!(
                matches!(
                    check_outcome(5, answer),
                    Err(ImpossibleOutcome::DropShip { .. })
                ),
                "{label}"
            );
        }
    }

    fn pending(quantity: i64) -> Line {
        Line {
            id: Uuid::now_v7(),
            order_id: Uuid::now_v7(),
            line_no: 0,
            sku: "A".to_owned(),
            quantity,
            reserved_quantity: 0,
            backordered_quantity: 0,
            status: super::super::status::LineStatus::Pending,
            eta: None,
            eta_latest: None,
            purchase_order_id: None,
            shipment_id: None,
            shipped_quantity: 0,
            ready_quantity: 0,
            ready_in: UnitsByWarehouse::new(),
            drop_ship: false,
            unit_price_minor: 0,
            payment: None,
        }
    }

    #[test]
    fn a_drop_shipped_line_is_backordered_whole_and_holds_nothing() {
        let mut line = pending(4);
        let event = line.take_reservation(Served::DropShip);
        assert_eq!(event, LineEvent::Reserved { backordered: true });
        assert!(line.drop_ship);
        assert_eq!(
            (
                line.reserved_quantity,
                line.backordered_quantity,
                line.ready_quantity
            ),
            (0, 4, 0),
            "not filled from stock, nothing to ship from a warehouse"
        );
        assert!(line.ready_in.is_empty());
        let mut stocked = pending(4);
        let event = stocked.take_reservation(Served::Stock(outcome(4, 0)));
        assert_eq!(event, LineEvent::Reserved { backordered: false });
        assert!(!stocked.drop_ship);
        assert_eq!(stocked.ready_quantity, 4);
    }

    #[test]
    fn a_waiting_line_takes_the_dates_promised_at_the_sale() {
        let mut line = pending(5);
        let promised = LineOutcome {
            promise: Some((10 * 86_400_000, 12 * 86_400_000)),
            ..outcome(2, 3)
        };
        line.take_reservation(Served::Stock(promised));
        assert_eq!(
            (line.eta, line.eta_latest),
            (Some(10 * 86_400_000), Some(12 * 86_400_000))
        );
        let mut filled = pending(5);
        let in_stock = LineOutcome {
            promise: Some((1, 1)),
            ..outcome(5, 0)
        };
        filled.take_reservation(Served::Stock(in_stock));
        assert_eq!(filled.eta, None, "nothing waits: no date");
    }
}
