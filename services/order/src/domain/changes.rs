//! Changing a backordered line (ChangeOrderLine): another SKU in its place,
//! or fewer units of its own. What the line may become is decided here
//! before inventory is asked; inventory's answer is checked and applied
//! here once it comes back; the words the customer and the timeline get
//! are built here too.

use uuid::Uuid;

use super::lifecycle::LineEvent;
use super::model::Line;
use super::status::LineStatus;
use super::warehouses::UnitsByWarehouse;

/// A valid ChangeOrderLine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineChange {
    /// The caller's request id; inventory is asked under an id derived
    /// from it, so a retry gets inventory's stored answer.
    pub request_id: Uuid,
    /// Order id.
    pub order_id: Uuid,
    /// Line id.
    pub line_id: Uuid,
    /// Substitute SKU (trimmed); `None` keeps the line's.
    pub sku: Option<String>,
    /// New number of units; `None` keeps the line's.
    pub quantity: Option<i64>,
}

/// What a line becomes: its SKU and units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// SKU.
    pub sku: String,
    /// Units.
    pub quantity: i64,
}

/// Why a line cannot change as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeRefused {
    /// Only a backordered line that holds stock (not a drop-ship one)
    /// changes.
    NotBackordered(LineStatus),
    /// The same SKU with at least the units the line has.
    NotAReduction {
        /// The line's units.
        quantity: i64,
    },
    /// Units already shipped cannot be given up, nor replaced.
    PartlyShipped {
        /// Units of the line that shipped.
        shipped: i64,
    },
}

/// What `line` becomes under `change`, or why it cannot change: it must
/// be backordered and not drop-shipped; a substitute keeps the line's
/// units unless told otherwise and replaces a line none of which shipped;
/// the same SKU must come with fewer units, more than shipped.
pub fn target(line: &Line, change: &LineChange) -> Result<Target, ChangeRefused> {
    if line.status != LineStatus::Backordered || line.drop_ship {
        return Err(ChangeRefused::NotBackordered(line.status));
    }
    let shipped = line.shipped_quantity;
    match &change.sku {
        Some(sku) if *sku != line.sku => {
            if shipped > 0 {
                return Err(ChangeRefused::PartlyShipped { shipped });
            }
            Ok(Target {
                sku: sku.clone(),
                quantity: change.quantity.unwrap_or(line.quantity),
            })
        }
        _ => {
            let quantity = change.quantity.unwrap_or(line.quantity);
            if quantity >= line.quantity {
                return Err(ChangeRefused::NotAReduction {
                    quantity: line.quantity,
                });
            }
            if quantity <= shipped {
                return Err(ChangeRefused::PartlyShipped { shipped });
            }
            Ok(Target {
                sku: line.sku.clone(),
                quantity,
            })
        }
    }
}

/// Inventory's answer for a changed line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    /// SKU the line now has.
    pub sku: String,
    /// Units reserved now, and where.
    pub reserved_from: UnitsByWarehouse,
    /// Units reserved now (what has not shipped and does not wait).
    pub reserved: i64,
    /// Units waiting for stock.
    pub backordered: i64,
    /// The date promised for the waiting units (Unix ms), when inventory
    /// promised one.
    pub promised: Option<i64>,
}

/// The line as it was before a change, for the words about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Was {
    /// SKU.
    pub sku: String,
    /// Units.
    pub quantity: i64,
}

/// Inventory's answer does not fit the change asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{sku}: {reserved} reserved ({placed} in warehouses) + {backordered} waiting does not make the {unshipped} unshipped of {quantity} x {asked}"
)]
pub struct AnswerMismatch {
    sku: String,
    asked: String,
    quantity: i64,
    unshipped: i64,
    reserved: i64,
    placed: i64,
    backordered: i64,
}

impl Line {
    /// Applies inventory's answer for `target`: the line's SKU and units,
    /// what is reserved (and may ship) and what waits. A line with nothing
    /// left to wait for is READY. A substitute waits for a new purchase
    /// order: its ETA and purchase order are those of the promise, if any,
    /// else unknown until procurement tells them; a reduction keeps its
    /// purchase order, and its ETA unless a promise replaces it. Returns
    /// the line as it was.
    pub fn take_change(
        &mut self,
        target: &Target,
        changed: Changed,
    ) -> Result<Was, AnswerMismatch> {
        let unshipped = target.quantity - self.shipped_quantity;
        let placed = changed.reserved_from.total();
        let adds_up = changed.reserved >= 0
            && changed.backordered >= 0
            && changed.reserved.checked_add(changed.backordered) == Some(unshipped)
            && placed == changed.reserved
            && changed.sku == target.sku;
        if !adds_up {
            return Err(AnswerMismatch {
                sku: changed.sku,
                asked: target.sku.clone(),
                quantity: target.quantity,
                unshipped,
                reserved: changed.reserved,
                placed,
                backordered: changed.backordered,
            });
        }
        let was = Was {
            sku: self.sku.clone(),
            quantity: self.quantity,
        };
        if was.sku != target.sku {
            self.eta = changed.promised;
            self.purchase_order_id = None;
        } else if changed.promised.is_some() {
            self.eta = changed.promised;
        }
        self.sku = target.sku.clone();
        self.quantity = target.quantity;
        self.reserved_quantity = changed.reserved;
        self.backordered_quantity = changed.backordered;
        self.ready_quantity = changed.reserved;
        self.ready_in = changed.reserved_from;
        if changed.backordered == 0 {
            // Everything left is in hand: the same move a complete
            // allocation makes.
            self.take(LineEvent::Allocated);
        }
        Ok(was)
    }
}

/// `"LAMP-9 x 3 replaced by LAMP-10 x 3"` or `"LAMP-9: 5 units now 3"`.
pub fn describe(was: &Was, line: &Line) -> String {
    if was.sku == line.sku {
        format!("{}: {} units now {}", line.sku, was.quantity, line.quantity)
    } else {
        format!(
            "{} x {} replaced by {} x {}",
            was.sku, was.quantity, line.sku, line.quantity
        )
    }
}

/// The change for the customer: what changed, and whether the line now
/// waits or can ship.
pub fn notice_detail(was: &Was, line: &Line) -> String {
    let now = if line.status == LineStatus::Ready {
        "in stock and ready to ship".to_owned()
    } else {
        format!("{} on backorder", line.backordered_quantity)
    };
    format!("{}; {now}", describe(was, line))
}

/// The change for the timeline: what changed, and what is reserved and
/// waits now.
pub fn timeline_detail(was: &Was, line: &Line) -> String {
    format!(
        "{}: {} reserved, {} backordered",
        describe(was, line),
        line.reserved_quantity,
        line.backordered_quantity
    )
}

#[cfg(test)]
mod tests {
    use backorder_platform::warehouse::WarehouseCode;

    use super::*;

    fn backordered(sku: &str, quantity: i64, reserved: i64) -> Line {
        Line {
            id: Uuid::now_v7(),
            order_id: Uuid::now_v7(),
            line_no: 0,
            sku: sku.to_owned(),
            quantity,
            reserved_quantity: reserved,
            backordered_quantity: quantity - reserved,
            status: LineStatus::Backordered,
            eta: Some(86_400_000),
            eta_latest: None,
            purchase_order_id: Some(Uuid::now_v7()),
            shipment_id: None,
            shipped_quantity: 0,
            ready_quantity: reserved,
            ready_in: UnitsByWarehouse::of(WarehouseCode::default_warehouse(), reserved),
            drop_ship: false,
            unit_price_minor: 0,
            payment: None,
        }
    }

    fn change(sku: Option<&str>, quantity: Option<i64>) -> LineChange {
        LineChange {
            request_id: Uuid::now_v7(),
            order_id: Uuid::now_v7(),
            line_id: Uuid::now_v7(),
            sku: sku.map(str::to_owned),
            quantity,
        }
    }

    fn answer(sku: &str, reserved: i64, backordered: i64) -> Changed {
        Changed {
            sku: sku.to_owned(),
            reserved_from: UnitsByWarehouse::of(WarehouseCode::default_warehouse(), reserved),
            reserved,
            backordered,
            promised: None,
        }
    }

    #[test]
    fn a_substitute_keeps_the_units_unless_told_and_a_reduction_needs_fewer() {
        let line = backordered("LAMP-9", 5, 1);
        let same_units = target(&line, &change(Some("LAMP-10"), None)).expect("substitute");
        assert_eq!(
            (same_units.sku.as_str(), same_units.quantity),
            ("LAMP-10", 5)
        );
        let fewer = target(&line, &change(Some("LAMP-10"), Some(2))).expect("substitute");
        assert_eq!(fewer.quantity, 2);
        let reduced = target(&line, &change(None, Some(3))).expect("reduction");
        assert_eq!((reduced.sku.as_str(), reduced.quantity), ("LAMP-9", 3));
        // Naming the line's own SKU is a reduction too.
        let own = target(&line, &change(Some("LAMP-9"), Some(3))).expect("reduction");
        assert_eq!(own, reduced);
        for not_fewer in [Some(5), Some(6), None] {
            assert_eq!(
                target(&line, &change(Some("LAMP-9"), not_fewer)),
                Err(ChangeRefused::NotAReduction { quantity: 5 })
            );
        }
    }

    #[test]
    fn only_a_backordered_stock_line_changes_and_shipped_units_stay() {
        let mut line = backordered("LAMP-9", 5, 0);
        for status in [
            LineStatus::Pending,
            LineStatus::Ready,
            LineStatus::Shipped,
            LineStatus::Cancelled,
        ] {
            line.status = status;
            assert_eq!(
                target(&line, &change(Some("LAMP-10"), None)),
                Err(ChangeRefused::NotBackordered(status))
            );
        }
        line.status = LineStatus::Backordered;
        line.drop_ship = true;
        assert!(matches!(
            target(&line, &change(None, Some(1))),
            Err(ChangeRefused::NotBackordered(_))
        ));
        line.drop_ship = false;
        line.shipped_quantity = 2;
        assert_eq!(
            target(&line, &change(Some("LAMP-10"), None)),
            Err(ChangeRefused::PartlyShipped { shipped: 2 })
        );
        assert_eq!(
            target(&line, &change(None, Some(2))),
            Err(ChangeRefused::PartlyShipped { shipped: 2 })
        );
        assert!(target(&line, &change(None, Some(3))).is_ok());
    }

    #[test]
    fn a_substitute_in_stock_makes_the_line_ready_and_forgets_the_old_eta() {
        let mut line = backordered("LAMP-9", 3, 0);
        let to = target(&line, &change(Some("LAMP-10"), None)).expect("substitute");
        let was = line
            .take_change(&to, answer("LAMP-10", 3, 0))
            .expect("fits");
        assert_eq!(line.status, LineStatus::Ready);
        assert_eq!((line.sku.as_str(), line.quantity), ("LAMP-10", 3));
        assert_eq!((line.ready_quantity, line.backordered_quantity), (3, 0));
        assert_eq!((line.eta, line.purchase_order_id), (None, None));
        assert_eq!(describe(&was, &line), "LAMP-9 x 3 replaced by LAMP-10 x 3");
        assert_eq!(
            notice_detail(&was, &line),
            "LAMP-9 x 3 replaced by LAMP-10 x 3; in stock and ready to ship"
        );
    }

    #[test]
    fn a_reduction_keeps_waiting_with_its_purchase_order() {
        let mut line = backordered("LAMP-9", 5, 1);
        let (eta, po) = (line.eta, line.purchase_order_id);
        let to = target(&line, &change(None, Some(3))).expect("reduction");
        let was = line.take_change(&to, answer("LAMP-9", 1, 2)).expect("fits");
        assert_eq!(line.status, LineStatus::Backordered);
        assert_eq!((line.eta, line.purchase_order_id), (eta, po));
        assert_eq!((line.ready_quantity, line.backordered_quantity), (1, 2));
        assert_eq!(describe(&was, &line), "LAMP-9: 5 units now 3");
        assert_eq!(
            timeline_detail(&was, &line),
            "LAMP-9: 5 units now 3: 1 reserved, 2 backordered"
        );
        let mut promised = answer("LAMP-9", 1, 1);
        promised.promised = Some(7);
        let to = target(&line, &change(None, Some(2))).expect("reduction");
        line.take_change(&to, promised).expect("fits");
        assert_eq!(line.eta, Some(7), "a promise replaces the ETA");
    }

    #[test]
    fn an_answer_that_does_not_add_up_changes_nothing() {
        let mut line = backordered("LAMP-9", 5, 0);
        let before = line.clone();
        let to = target(&line, &change(Some("LAMP-10"), None)).expect("substitute");
        assert!(line.take_change(&to, answer("LAMP-10", 2, 2)).is_err());
        assert!(line.take_change(&to, answer("LAMP-11", 5, 0)).is_err());
        let mut misplaced = answer("LAMP-10", 3, 2);
        misplaced.reserved_from = UnitsByWarehouse::new();
        assert!(line.take_change(&to, misplaced).is_err());
        assert_eq!(line, before);
    }
}
