//! Drop shipments: what a supplier's confirmation that it shipped
//! drop-ship lines straight to the customer does to them. No stock of the
//! merchant's moves; the lines' shipped units grow, and a line that has
//! shipped all it ordered is SHIPPED.

use super::lifecycle::LineEvent;
use super::model::{Line, ShipOverrun};
use super::status::LineStatus;

/// Why a drop shipment cannot be recorded; nothing of it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropRefusal {
    /// A named line is still being placed: whether it is drop-shipped is
    /// not known yet.
    NotPlacedYet,
    /// Named lines are not drop-shipped (indices).
    NotDropShip(Vec<usize>),
    /// Named lines would ship more than they have left to ship (index,
    /// units named, units left).
    Exceeds(Vec<(usize, i64, i64)>),
}

/// What a drop shipment carries: `(line index, units)` in line order, and
/// the named lines it leaves out because they were cancelled meanwhile
/// (the customer was told; inventory released their demand).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DropPlan {
    /// Lines shipped and their units.
    pub items: Vec<(usize, i64)>,
    /// Cancelled lines named (indices).
    pub skipped: Vec<usize>,
}

/// Checks the `(line index, units)` a supplier says it shipped against the
/// order's `lines`: every named line must be drop-shipped and have those
/// units left to ship. Checks stop at the first kind of problem, reporting
/// every line that has it.
pub fn plan_drop_shipment(lines: &[Line], named: &[(usize, i64)]) -> Result<DropPlan, DropRefusal> {
    let named: Vec<(usize, i64, &Line)> = named
        .iter()
        .filter_map(|&(i, units)| lines.get(i).map(|line| (i, units, line)))
        .collect();
    if named
        .iter()
        .any(|(_, _, l)| l.status == LineStatus::Pending)
    {
        return Err(DropRefusal::NotPlacedYet);
    }
    let not_drop_ship: Vec<usize> = named
        .iter()
        .filter(|(_, _, l)| !l.drop_ship)
        .map(|(i, _, _)| *i)
        .collect();
    if !not_drop_ship.is_empty() {
        return Err(DropRefusal::NotDropShip(not_drop_ship));
    }
    let mut plan = DropPlan::default();
    let mut exceeding = Vec::new();
    for (i, units, line) in named {
        match line.status {
            LineStatus::Cancelled => plan.skipped.push(i),
            LineStatus::Backordered if units <= line.units_to_ship() => {
                plan.items.push((i, units));
            }
            // A drop-ship line is never ready, and one shipped has
            // nothing left: either way the units are more than it has.
            _ => exceeding.push((i, units, line.units_to_ship())),
        }
    }
    if !exceeding.is_empty() {
        return Err(DropRefusal::Exceeds(exceeding));
    }
    plan.items.sort_unstable_by_key(|(i, _)| *i);
    plan.skipped.sort_unstable();
    Ok(plan)
}

impl Line {
    /// Units of a waiting line not shipped yet; none once it is ready,
    /// shipped or cancelled.
    pub fn units_to_ship(&self) -> i64 {
        match self.status {
            LineStatus::Backordered => (self.quantity - self.shipped_quantity).max(0),
            _ => 0,
        }
    }

    /// Records `units` of a drop-ship line as shipped by the supplier: the
    /// event the line then takes when it has shipped all it ordered (the
    /// caller's move, through the state machine), else `None`.
    pub fn drop_shipped(&mut self, units: i64) -> Result<Option<LineEvent>, ShipOverrun> {
        let shipped = self
            .shipped_quantity
            .checked_add(units)
            .filter(|shipped| units > 0 && *shipped <= self.quantity)
            .ok_or(ShipOverrun)?;
        self.shipped_quantity = shipped;
        Ok(self.fully_shipped().then_some(LineEvent::DropShipped))
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::super::warehouses::UnitsByWarehouse;
    use super::*;
    use LineStatus as S;

    fn line(status: LineStatus, drop_ship: bool, quantity: i64, shipped: i64) -> Line {
        Line {
            id: Uuid::now_v7(),
            order_id: Uuid::now_v7(),
            line_no: 0,
            sku: "A".to_owned(),
            quantity,
            reserved_quantity: 0,
            backordered_quantity: quantity,
            status,
            eta: None,
            eta_latest: None,
            purchase_order_id: None,
            shipment_id: None,
            shipped_quantity: shipped,
            ready_quantity: 0,
            ready_in: UnitsByWarehouse::new(),
            drop_ship,
            unit_price_minor: 0,
            payment: None,
        }
    }

    #[test]
    fn drop_ship_lines_ship_what_they_have_left_in_line_order() {
        let lines = [
            line(S::Backordered, true, 3, 0),
            line(S::Backordered, true, 5, 2),
        ];
        assert_eq!(
            plan_drop_shipment(&lines, &[(1, 3), (0, 1)]),
            Ok(DropPlan {
                items: vec![(0, 1), (1, 3)],
                skipped: vec![]
            })
        );
        assert_eq!(
            plan_drop_shipment(&lines, &[(1, 4)]),
            Err(DropRefusal::Exceeds(vec![(1, 4, 3)]))
        );
    }

    #[test]
    fn only_drop_ship_lines_are_named_and_only_once_they_are_placed() {
        let lines = [
            line(S::Backordered, true, 3, 0),
            line(S::Ready, false, 2, 0),
            line(S::Backordered, false, 2, 0),
            line(S::Pending, false, 1, 0),
        ];
        assert_eq!(
            plan_drop_shipment(&lines, &[(0, 3), (1, 2), (2, 2)]),
            Err(DropRefusal::NotDropShip(vec![1, 2])),
            "a line waiting for stock is not the supplier's to ship either"
        );
        assert_eq!(
            plan_drop_shipment(&lines, &[(0, 3), (3, 1)]),
            Err(DropRefusal::NotPlacedYet)
        );
    }

    #[test]
    fn cancelled_lines_are_skipped_and_shipped_ones_have_nothing_left() {
        let lines = [
            line(S::Cancelled, true, 3, 0),
            line(S::Backordered, true, 2, 0),
            line(S::Shipped, true, 2, 2),
        ];
        assert_eq!(
            plan_drop_shipment(&lines, &[(0, 3), (1, 2)]),
            Ok(DropPlan {
                items: vec![(1, 2)],
                skipped: vec![0]
            })
        );
        assert_eq!(
            plan_drop_shipment(&lines, &[(0, 3)]),
            Ok(DropPlan {
                items: vec![],
                skipped: vec![0]
            }),
            "nothing left to ship"
        );
        assert_eq!(
            plan_drop_shipment(&lines, &[(2, 1)]),
            Err(DropRefusal::Exceeds(vec![(2, 1, 0)]))
        );
    }

    #[test]
    fn a_line_is_shipped_once_the_supplier_sent_all_it_ordered() {
        let mut waiting = line(S::Backordered, true, 5, 0);
        assert_eq!(waiting.drop_shipped(2), Ok(None));
        assert_eq!(waiting.shipped_quantity, 2);
        assert_eq!(waiting.drop_shipped(3), Ok(Some(LineEvent::DropShipped)));
        assert_eq!(waiting.drop_shipped(1), Err(ShipOverrun));
        assert_eq!(waiting.drop_shipped(0), Err(ShipOverrun));
        assert_eq!(waiting.shipped_quantity, 5, "a refusal changes nothing");
    }
}
