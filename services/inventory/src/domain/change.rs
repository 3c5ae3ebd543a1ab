//! Changing a waiting line: fewer units of its SKU (waiting units are
//! given up before reserved ones, so stock already in hand stays with the
//! customer as long as possible), or another SKU in its place.

use std::collections::BTreeMap;

use backorder_platform::warehouse::WarehouseCode;

use super::quantity::{QuantityLimit, Total, minus};
use super::reservation::{Reservation, ReservationState};
use super::warehouse::{Part, SkuStock};

/// Why a line cannot change as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeRefusal {
    /// The line waits for nothing (filled, shipped, released or
    /// drop-shipped): only waiting lines change.
    NotWaiting,
    /// The same SKU with at least the units the line has.
    NotAReduction,
    /// The change would give up units that already shipped.
    Shipped {
        /// Units of the line that left a warehouse.
        shipped: i64,
    },
}

/// A reduction worked out: the line after it and what it gives up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reduction {
    /// The line with its new quantity.
    pub line: Reservation,
    /// Waiting units given up (they leave the SKU's backlog).
    pub waiting_cut: i64,
    /// Reserved units given back, per warehouse.
    pub given_back: Vec<Part>,
    /// Where the line's reserved units are afterwards.
    pub kept: Vec<Part>,
}

/// Units of `line` that already shipped: ordered, neither reserved nor
/// waiting.
pub fn shipped_units(line: &Reservation) -> i64 {
    line.quantity
        .saturating_sub(line.reserved)
        .saturating_sub(line.waiting)
        .max(0)
}

/// Whether `line` may change at all.
pub fn check_changeable(line: &Reservation) -> Result<(), ChangeRefusal> {
    if line.state == ReservationState::Waiting && line.waiting > 0 {
        Ok(())
    } else {
        Err(ChangeRefusal::NotWaiting)
    }
}

/// Whether `line` may be replaced by another SKU: it waits, and none of it
/// shipped (a substitute replaces the whole line).
pub fn check_substitutable(line: &Reservation) -> Result<(), ChangeRefusal> {
    check_changeable(line)?;
    match shipped_units(line) {
        0 => Ok(()),
        shipped => Err(ChangeRefusal::Shipped { shipped }),
    }
}

/// `line`, held in `parts`, reduced to `quantity` units: waiting units go
/// first, then reserved ones (see [`cut_parts`]). Units already shipped
/// cannot be given up.
pub fn reduce(
    line: &Reservation,
    parts: &[Part],
    quantity: i64,
) -> Result<Result<Reduction, ChangeRefusal>, QuantityLimit> {
    if let Err(refusal) = check_changeable(line) {
        return Ok(Err(refusal));
    }
    if quantity >= line.quantity {
        return Ok(Err(ChangeRefusal::NotAReduction));
    }
    let shipped = shipped_units(line);
    if quantity <= shipped {
        return Ok(Err(ChangeRefusal::Shipped { shipped }));
    }
    let given_up = minus(Total::LineWaiting, line.quantity, quantity)?;
    let waiting_cut = given_up.min(line.waiting);
    let reserved_cut = given_up - waiting_cut;
    let waiting = minus(Total::LineWaiting, line.waiting, waiting_cut)?;
    let reserved = minus(Total::LineReserved, line.reserved, reserved_cut)?;
    let (kept, given_back) = cut_parts(parts, reserved_cut);
    Ok(Ok(Reduction {
        line: Reservation {
            quantity,
            reserved,
            waiting,
            state: ReservationState::open(waiting),
            ..line.clone()
        },
        waiting_cut,
        given_back,
        kept,
    }))
}

/// Splits `parts` into what stays and `units` given back, taken from the
/// smallest parts first (ties by code) so the line ends up in as few
/// warehouses as possible. Asking more than the parts hold gives back all
/// of them.
pub fn cut_parts(parts: &[Part], units: i64) -> (Vec<Part>, Vec<Part>) {
    let mut order: Vec<&Part> = parts.iter().filter(|(_, u)| *u > 0).collect();
    order.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    let mut left = units.max(0);
    let mut kept: BTreeMap<WarehouseCode, i64> = BTreeMap::new();
    let mut given_back = Vec::new();
    for (warehouse, held) in order {
        let cut = left.min(*held);
        left -= cut;
        if cut > 0 {
            given_back.push((warehouse.clone(), cut));
        }
        if held - cut > 0 {
            kept.insert(warehouse.clone(), held - cut);
        }
    }
    given_back.sort_by(|a, b| a.0.cmp(&b.0));
    (kept.into_iter().collect(), given_back)
}

impl SkuStock {
    /// Takes a reduced line's share off the SKU: `given_back` units to
    /// their shelves, `waiting_cut` units out of the backlog, and the line
    /// out of the waiting count when it `stops_waiting`.
    pub fn shrink_line(
        &mut self,
        given_back: &[Part],
        waiting_cut: i64,
        stops_waiting: bool,
    ) -> Result<(), QuantityLimit> {
        let mut after = self.clone();
        for (warehouse, units) in given_back {
            let mut shelf = after.at(warehouse);
            // Zero waiting units: the backlog is settled below.
            shelf.release(*units, 0)?;
            after.put(warehouse, shelf);
        }
        let home = WarehouseCode::default_warehouse();
        let mut backlog = after.at(&home);
        backlog.backordered = minus(Total::Backordered, backlog.backordered, waiting_cut)?;
        if stops_waiting {
            backlog.waiting_lines = backlog.waiting_lines.saturating_sub(1).max(0);
        }
        after.put(&home, backlog);
        *self = after;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use uuid::Uuid;

    use super::super::StockPosition;
    use super::*;

    fn code(raw: &str) -> WarehouseCode {
        WarehouseCode::parse("warehouse", raw).expect("code")
    }

    fn waiting(quantity: i64, reserved: i64, waiting: i64) -> Reservation {
        Reservation {
            id: Uuid::from_u128(1),
            order_id: Uuid::from_u128(2),
            line_id: Uuid::from_u128(3),
            sku: "LAMP-9".into(),
            quantity,
            reserved,
            waiting,
            state: ReservationState::open(waiting),
            priority: 0,
            priority_reason: String::new(),
            trace_context: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn reduced(line: &Reservation, parts: &[Part], quantity: i64) -> Reduction {
        reduce(line, parts, quantity)
            .expect("in range")
            .expect("a reduction")
    }

    #[test]
    fn waiting_units_are_given_up_before_reserved_ones() {
        let line = waiting(5, 2, 3);
        let parts = vec![(code("default"), 2)];
        let r = reduced(&line, &parts, 3);
        assert_eq!(
            (r.line.quantity, r.line.reserved, r.line.waiting),
            (3, 2, 1)
        );
        assert_eq!(r.line.state, ReservationState::Waiting);
        assert_eq!(r.waiting_cut, 2);
        assert!(r.given_back.is_empty(), "the stock in hand stays");
        assert_eq!(r.kept, parts);
    }

    #[test]
    fn a_reduction_below_what_is_reserved_fills_the_line_and_gives_stock_back() {
        let line = waiting(5, 3, 2);
        let parts = vec![(code("east"), 2), (code("west"), 1)];
        let r = reduced(&line, &parts, 2);
        assert_eq!((r.line.reserved, r.line.waiting), (2, 0));
        assert_eq!(r.line.state, ReservationState::Allocated);
        assert_eq!(r.waiting_cut, 2);
        assert_eq!(r.given_back, vec![(code("west"), 1)], "smallest part first");
        assert_eq!(r.kept, vec![(code("east"), 2)]);
    }

    #[test]
    fn only_waiting_lines_shrink_and_only_to_fewer_unshipped_units() {
        let line = waiting(5, 0, 5);
        assert_eq!(
            reduce(&line, &[], 5).expect("in range"),
            Err(ChangeRefusal::NotAReduction)
        );
        assert_eq!(
            reduce(&line, &[], 7).expect("in range"),
            Err(ChangeRefusal::NotAReduction)
        );
        let filled = waiting(5, 5, 0);
        assert_eq!(
            reduce(&filled, &[], 2).expect("in range"),
            Err(ChangeRefusal::NotWaiting)
        );
        let mut released = waiting(5, 0, 5);
        released.state = ReservationState::Released;
        assert_eq!(check_changeable(&released), Err(ChangeRefusal::NotWaiting));
        // Two of five shipped ahead; one is still reserved, two wait.
        let partly_shipped = waiting(5, 1, 2);
        assert_eq!(
            reduce(&partly_shipped, &[], 2).expect("in range"),
            Err(ChangeRefusal::Shipped { shipped: 2 })
        );
        assert_eq!(reduced(&partly_shipped, &[], 3).line.waiting, 0);
        assert_eq!(
            check_substitutable(&partly_shipped),
            Err(ChangeRefusal::Shipped { shipped: 2 })
        );
        assert_eq!(check_substitutable(&line), Ok(()));
    }

    #[test]
    fn parts_are_cut_smallest_first_and_never_below_zero() {
        let parts = vec![(code("a"), 3), (code("b"), 1), (code("c"), 1)];
        let (kept, back) = cut_parts(&parts, 3);
        assert_eq!(back, vec![(code("a"), 1), (code("b"), 1), (code("c"), 1)]);
        assert_eq!(kept, vec![(code("a"), 2)]);
        let (kept, back) = cut_parts(&parts, 99);
        assert!(kept.is_empty());
        assert_eq!(back.iter().map(|(_, u)| u).sum::<i64>(), 5);
        assert_eq!(cut_parts(&parts, 0), (parts.clone(), vec![]));
    }

    #[test]
    fn a_shrinking_line_leaves_the_backlog_exact() {
        let mut shelves = BTreeMap::new();
        shelves.insert(
            WarehouseCode::default_warehouse(),
            StockPosition {
                on_hand: 2,
                reserved: 2,
                backordered: 7,
                waiting_lines: 2,
            },
        );
        let mut stock = SkuStock::new(shelves).expect("default shelf");
        stock
            .shrink_line(&[(WarehouseCode::default_warehouse(), 1)], 3, false)
            .expect("in range");
        let total = stock.total();
        assert_eq!(
            (total.reserved, total.backordered, total.waiting_lines),
            (1, 4, 2)
        );
        stock.shrink_line(&[], 4, true).expect("in range");
        let total = stock.total();
        assert_eq!((total.backordered, total.waiting_lines), (0, 1));
        assert_eq!(total.available(), 1);
    }
}
