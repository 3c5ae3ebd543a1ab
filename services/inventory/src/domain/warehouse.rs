//! Warehouses, a SKU's stock across them, and the rule that decides which
//! warehouse an order's units are taken from.
//!
//! The rule, fewest splits first, warehouses tried in rank order (lowest
//! first, ties by code):
//! 1. the whole order from the first warehouse that can fill every unit
//!    the order reserves now;
//! 2. else each line from the first warehouse that can fill that line;
//! 3. else the line is split, taking what each warehouse has in rank order.

use std::collections::BTreeMap;

use backorder_platform::warehouse::WarehouseCode;

use super::StockPosition;
use super::quantity::{QuantityLimit, Total, plus};

/// Highest rank a warehouse may have.
pub const MAX_RANK: i32 = 1000;

/// Whether `rank` is one a warehouse may have.
pub fn valid_rank(rank: i32) -> bool {
    (0..=MAX_RANK).contains(&rank)
}

/// A place stock is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warehouse {
    /// Code, the key.
    pub code: WarehouseCode,
    /// Display name.
    pub name: String,
    /// Place in the order stock is taken from: lowest first.
    pub rank: i32,
    /// Unix ms.
    pub created_at: i64,
}

/// Units of a line in one warehouse.
pub type Part = (WarehouseCode, i64);

/// A SKU's stock in every warehouse that has held it. The SKU's backlog
/// (units and lines waiting) belongs to no warehouse: a receipt anywhere
/// serves the queue. It is kept on the default warehouse's shelf, which
/// every SKU has from its creation; other shelves keep it at zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkuStock {
    shelves: BTreeMap<WarehouseCode, StockPosition>,
}

impl SkuStock {
    /// The stock from its shelves; `None` without the default one.
    pub fn new(shelves: BTreeMap<WarehouseCode, StockPosition>) -> Option<Self> {
        shelves
            .contains_key(WarehouseCode::DEFAULT)
            .then_some(Self { shelves })
    }

    /// A new SKU's stock: an empty default shelf.
    pub fn empty() -> Self {
        Self {
            shelves: BTreeMap::from([(
                WarehouseCode::default_warehouse(),
                StockPosition::default(),
            )]),
        }
    }

    fn home(&self) -> StockPosition {
        self.shelves
            .get(WarehouseCode::DEFAULT)
            .copied()
            .unwrap_or_default()
    }

    /// Summed over every warehouse (saturating: a display total), with the
    /// SKU's backlog. The domain's single-shelf rules run on this.
    pub fn total(&self) -> StockPosition {
        let home = self.home();
        let (on_hand, reserved) = self.shelves.values().fold((0i64, 0i64), |(o, r), s| {
            (o.saturating_add(s.on_hand), r.saturating_add(s.reserved))
        });
        StockPosition {
            on_hand,
            reserved,
            backordered: home.backordered,
            waiting_lines: home.waiting_lines,
        }
    }

    /// One warehouse's shelf (empty when it never held the SKU) with the
    /// SKU's backlog: what a movement in that warehouse works on.
    pub fn at(&self, warehouse: &WarehouseCode) -> StockPosition {
        let home = self.home();
        let shelf = self.shelves.get(warehouse).copied().unwrap_or_default();
        StockPosition {
            backordered: home.backordered,
            waiting_lines: home.waiting_lines,
            ..shelf
        }
    }

    /// Writes back what a movement in `warehouse` made of [`Self::at`].
    pub fn put(&mut self, warehouse: &WarehouseCode, position: StockPosition) {
        let shelf = self.shelves.entry(warehouse.clone()).or_default();
        shelf.on_hand = position.on_hand;
        shelf.reserved = position.reserved;
        let home = self
            .shelves
            .entry(WarehouseCode::default_warehouse())
            .or_default();
        home.backordered = position.backordered;
        home.waiting_lines = position.waiting_lines;
    }

    /// Sets the backlog after lines were reserved against [`Self::total`].
    pub fn set_backlog(&mut self, total: StockPosition) {
        let at_home = StockPosition {
            backordered: total.backordered,
            waiting_lines: total.waiting_lines,
            ..self.home()
        };
        self.put(&WarehouseCode::default_warehouse(), at_home);
    }

    /// Reserves `parts` on their shelves.
    pub fn reserve_parts(&mut self, parts: &[Part]) -> Result<(), QuantityLimit> {
        let mut after = self.clone();
        for (warehouse, units) in parts {
            let shelf = after.shelves.entry(warehouse.clone()).or_default();
            shelf.reserved = plus(Total::Reserved, shelf.reserved, *units)?;
        }
        *self = after;
        Ok(())
    }

    /// Gives back what a cancelled line held: each part to its shelf, its
    /// `waiting` units out of the backlog.
    pub fn release(&mut self, parts: &[Part], waiting: i64) -> Result<(), QuantityLimit> {
        let mut after = self.clone();
        for (warehouse, units) in parts {
            let mut position = after.at(warehouse);
            position.release(*units, 0)?;
            after.put(warehouse, position);
        }
        let home = WarehouseCode::default_warehouse();
        let mut position = after.at(&home);
        position.release(0, waiting)?;
        after.put(&home, position);
        *self = after;
        Ok(())
    }

    /// Every shelf as stored (the backlog on the default one).
    pub fn shelves(&self) -> &BTreeMap<WarehouseCode, StockPosition> {
        &self.shelves
    }

    /// What each warehouse has free now.
    fn available(&self) -> BTreeMap<WarehouseCode, i64> {
        self.shelves
            .iter()
            .map(|(code, shelf)| (code.clone(), shelf.available()))
            .collect()
    }
}

/// Units one line takes from stock now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Take<'a> {
    /// SKU.
    pub sku: &'a str,
    /// Units reserved from stock (decided on the SKU's total).
    pub units: i64,
}

/// Where each line's units come from, by the module's rule; `ranks` gives
/// each warehouse's rank (one missing from it goes last). Each line's
/// parts add up to its units provided its SKU has that much free in all.
pub fn place(
    takes: &[Take<'_>],
    stocks: &BTreeMap<String, SkuStock>,
    ranks: &BTreeMap<WarehouseCode, i32>,
) -> Vec<Vec<Part>> {
    let mut free: BTreeMap<&str, BTreeMap<WarehouseCode, i64>> = stocks
        .iter()
        .map(|(sku, stock)| (sku.as_str(), stock.available()))
        .collect();
    let mut order: Vec<WarehouseCode> = free
        .values()
        .flat_map(|shelves| shelves.keys().cloned())
        .collect();
    order.sort_by_key(|code| (ranks.get(code).copied().unwrap_or(i32::MAX), code.clone()));
    order.dedup();
    let mut need: BTreeMap<&str, i64> = BTreeMap::new();
    for take in takes {
        let units = need.entry(take.sku).or_default();
        *units = units.saturating_add(take.units);
    }
    let whole_order_from = order.iter().find(|code| {
        need.iter().all(|(sku, units)| {
            *units == 0
                || free
                    .get(sku)
                    .and_then(|shelves| shelves.get(*code))
                    .is_some_and(|available| available >= units)
        })
    });
    if let Some(code) = whole_order_from {
        return takes
            .iter()
            .map(|take| {
                if take.units > 0 {
                    vec![(code.clone(), take.units)]
                } else {
                    Vec::new()
                }
            })
            .collect();
    }
    takes
        .iter()
        .map(|take| {
            let Some(shelves) = free.get_mut(take.sku) else {
                return Vec::new();
            };
            if take.units <= 0 {
                return Vec::new();
            }
            let whole_line_from = order
                .iter()
                .find(|code| shelves.get(*code).is_some_and(|a| *a >= take.units));
            if let Some(code) = whole_line_from {
                if let Some(available) = shelves.get_mut(code) {
                    *available -= take.units;
                }
                return vec![(code.clone(), take.units)];
            }
            let mut left = take.units;
            let mut parts = Vec::new();
            for code in &order {
                let Some(available) = shelves.get_mut(code) else {
                    continue;
                };
                let units = left.min(*available);
                if units > 0 {
                    *available -= units;
                    left -= units;
                    parts.push((code.clone(), units));
                }
                if left == 0 {
                    break;
                }
            }
            parts
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: &str) -> WarehouseCode {
        WarehouseCode::parse("warehouse", c).expect("code")
    }

    fn shelf(on_hand: i64, reserved: i64) -> StockPosition {
        StockPosition {
            on_hand,
            reserved,
            ..StockPosition::default()
        }
    }

    fn sku(shelves: &[(&str, i64)]) -> SkuStock {
        let mut map = BTreeMap::from([(code("default"), shelf(0, 0))]);
        for (c, on_hand) in shelves {
            map.insert(code(c), shelf(*on_hand, 0));
        }
        SkuStock::new(map).expect("default shelf")
    }

    fn ranks() -> BTreeMap<WarehouseCode, i32> {
        BTreeMap::from([
            (code("east"), 10),
            (code("default"), 100),
            (code("west"), 50),
        ])
    }

    fn parts(list: &[(&str, i64)]) -> Vec<Part> {
        list.iter().map(|(c, u)| (code(c), *u)).collect()
    }

    #[test]
    fn the_whole_order_comes_from_the_first_warehouse_that_can_fill_it() {
        // east ranks first but lacks B; west has both.
        let stocks = BTreeMap::from([
            ("A".to_owned(), sku(&[("east", 5), ("west", 2)])),
            ("B".to_owned(), sku(&[("west", 1), ("default", 9)])),
        ]);
        let takes = [Take { sku: "A", units: 2 }, Take { sku: "B", units: 1 }];
        assert_eq!(
            place(&takes, &stocks, &ranks()),
            vec![parts(&[("west", 2)]), parts(&[("west", 1)])]
        );
    }

    #[test]
    fn without_one_warehouse_for_all_each_line_comes_whole_from_the_first_that_can() {
        let stocks = BTreeMap::from([
            ("A".to_owned(), sku(&[("east", 5)])),
            ("B".to_owned(), sku(&[("west", 1), ("default", 9)])),
        ]);
        let takes = [Take { sku: "A", units: 2 }, Take { sku: "B", units: 3 }];
        assert_eq!(
            place(&takes, &stocks, &ranks()),
            vec![parts(&[("east", 2)]), parts(&[("default", 3)])]
        );
    }

    #[test]
    fn a_line_no_warehouse_can_fill_is_split_in_rank_order() {
        let stocks = BTreeMap::from([(
            "A".to_owned(),
            sku(&[("east", 2), ("west", 1), ("default", 4)]),
        )]);
        let takes = [Take { sku: "A", units: 2 }, Take { sku: "A", units: 4 }];
        // Together they need 6: no warehouse has it. The first line fits
        // in east; the second fits nowhere whole any more (east has 0,
        // west 1, default 4): default is the first that can.
        assert_eq!(
            place(&takes, &stocks, &ranks()),
            vec![parts(&[("east", 2)]), parts(&[("default", 4)])]
        );
        let takes = [Take { sku: "A", units: 6 }];
        assert_eq!(
            place(&takes, &stocks, &ranks()),
            vec![parts(&[("east", 2), ("west", 1), ("default", 3)])]
        );
    }

    #[test]
    fn a_backlog_lives_with_the_default_shelf_and_totals_sum_the_shelves() {
        let mut stock = sku(&[("east", 4)]);
        let east = code("east");
        let mut at_east = stock.at(&east);
        at_east
            .reserve_line(6, crate::domain::BackorderPolicy::Allow, true)
            .expect("short line waits");
        stock.put(&east, at_east);
        assert_eq!(stock.shelves()[&east], shelf(4, 4), "east keeps no backlog");
        let total = stock.total();
        assert_eq!(
            (total.on_hand, total.reserved, total.backordered),
            (4, 4, 2)
        );
        assert_eq!(total.waiting_lines, 1);
        stock.release(&parts(&[("east", 4)]), 2).expect("cancelled");
        assert_eq!(
            stock.total(),
            StockPosition {
                on_hand: 4,
                ..StockPosition::default()
            }
        );
    }

    #[test]
    fn ranks_outside_the_range_are_refused() {
        assert!(valid_rank(0) && valid_rank(MAX_RANK));
        assert!(!valid_rank(-1) && !valid_rank(MAX_RANK + 1));
    }
}
