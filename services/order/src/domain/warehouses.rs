//! Where a line's ready units are: units per warehouse, the warehouse a
//! parcel leaves from when the caller names none, and the wording of both
//! for the timeline. Inventory owns warehouses; order only carries codes.

use std::collections::BTreeMap;

use backorder_platform::warehouse::WarehouseCode;

/// Units of one line per warehouse, by code. Only warehouses holding some
/// are kept, so two equal splits compare equal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitsByWarehouse(BTreeMap<WarehouseCode, i64>);

/// Units that cannot be a line's share of a warehouse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadUnits {
    /// A negative count.
    #[error("{units} units in {warehouse} is negative")]
    Negative {
        /// The warehouse.
        warehouse: WarehouseCode,
        /// The count found.
        units: i64,
    },
    /// The counts do not fit in an `i64` together.
    #[error("the units overflow")]
    Overflow,
}

impl UnitsByWarehouse {
    /// No units anywhere.
    pub fn new() -> Self {
        Self::default()
    }

    /// `units` in one warehouse (nothing when `units` is 0).
    pub fn of(warehouse: WarehouseCode, units: i64) -> Self {
        let mut parts = Self::new();
        if units > 0 {
            parts.0.insert(warehouse, units);
        }
        parts
    }

    /// From `(warehouse, units)` entries; a warehouse named twice counts
    /// both, an entry of 0 units is dropped.
    pub fn from_entries(
        entries: impl IntoIterator<Item = (WarehouseCode, i64)>,
    ) -> Result<Self, BadUnits> {
        let mut parts = Self::new();
        for (warehouse, units) in entries {
            if units < 0 {
                return Err(BadUnits::Negative { warehouse, units });
            }
            parts.add(warehouse, units)?;
        }
        parts.checked_total()?;
        Ok(parts)
    }

    /// Adds `units` (at least 0) to `warehouse`.
    pub fn add(&mut self, warehouse: WarehouseCode, units: i64) -> Result<(), BadUnits> {
        if units < 0 {
            return Err(BadUnits::Negative { warehouse, units });
        }
        if units == 0 {
            return Ok(());
        }
        let held = self.0.entry(warehouse).or_insert(0);
        *held = held.checked_add(units).ok_or(BadUnits::Overflow)?;
        Ok(())
    }

    /// Removes and returns every unit held in `warehouse`.
    pub fn take(&mut self, warehouse: &WarehouseCode) -> i64 {
        self.0.remove(warehouse).unwrap_or(0)
    }

    /// Units held in `warehouse`.
    pub fn units_in(&self, warehouse: &WarehouseCode) -> i64 {
        self.0.get(warehouse).copied().unwrap_or(0)
    }

    /// Units over every warehouse (saturating: stored rows are bounded far
    /// below, see `limits`).
    pub fn total(&self) -> i64 {
        self.0.values().fold(0i64, |sum, u| sum.saturating_add(*u))
    }

    fn checked_total(&self) -> Result<i64, BadUnits> {
        self.0
            .values()
            .try_fold(0i64, |sum, u| sum.checked_add(*u))
            .ok_or(BadUnits::Overflow)
    }

    /// Whether no unit is held anywhere.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `(warehouse, units)` by code.
    pub fn iter(&self) -> impl Iterator<Item = (&WarehouseCode, i64)> {
        self.0.iter().map(|(w, u)| (w, *u))
    }

    /// These parts made to account for exactly `units`, the count the line
    /// itself keeps. They already do, except for lines a version that knew
    /// no warehouses changed while a rollout ran: it kept the count and
    /// wrote no parts. Units the parts do not place are in the default
    /// warehouse (the only one that version served); parts beyond the
    /// count were shipped or given back, taken from the default first.
    pub fn reconciled(mut self, units: i64) -> Self {
        let units = units.max(0);
        let total = self.total();
        if total < units {
            let default = WarehouseCode::default_warehouse();
            let held = self.0.entry(default).or_insert(0);
            *held = held.saturating_add(units - total);
        } else if total > units {
            let mut excess = total - units;
            let mut order: Vec<WarehouseCode> = self.0.keys().cloned().collect();
            order.sort_by_key(|w| w.as_str() != WarehouseCode::DEFAULT);
            for warehouse in order {
                if excess == 0 {
                    break;
                }
                if let Some(held) = self.0.get_mut(&warehouse) {
                    let cut = excess.min(*held);
                    *held -= cut;
                    excess -= cut;
                }
            }
            self.0.retain(|_, u| *u > 0);
        }
        self
    }

    /// `"2 from east, 1 from default"`: most units first, ties by code.
    pub fn describe(&self) -> String {
        let mut parts: Vec<(&WarehouseCode, i64)> = self.iter().collect();
        parts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        parts
            .iter()
            .map(|(w, u)| format!("{u} from {w}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The warehouse a parcel leaves from when none is named: the one holding
/// the most units of the lines it may take, ties going to the lowest code
/// so the choice never depends on the order lines are read in. `None` when
/// those lines hold no unit anywhere.
pub fn choose_warehouse<'a>(
    lines: impl IntoIterator<Item = &'a UnitsByWarehouse>,
) -> Option<WarehouseCode> {
    let mut held: BTreeMap<&WarehouseCode, i64> = BTreeMap::new();
    for parts in lines {
        for (warehouse, units) in parts.iter() {
            let sum = held.entry(warehouse).or_insert(0);
            *sum = sum.saturating_add(units);
        }
    }
    // `max_by_key` keeps the last of equal maxima; walking codes from the
    // highest down leaves the lowest code last.
    held.into_iter()
        .rev()
        .filter(|(_, units)| *units > 0)
        .max_by_key(|(_, units)| *units)
        .map(|(warehouse, _)| warehouse.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> WarehouseCode {
        WarehouseCode::parse("warehouse", raw).expect("a code")
    }

    fn units(entries: &[(&str, i64)]) -> UnitsByWarehouse {
        UnitsByWarehouse::from_entries(entries.iter().map(|(w, u)| (code(w), *u))).expect("units")
    }

    #[test]
    fn entries_add_up_per_warehouse_and_zero_is_nothing() {
        let parts = units(&[("east", 2), ("default", 1), ("east", 1), ("west", 0)]);
        assert_eq!(parts.units_in(&code("east")), 3);
        assert_eq!(parts.total(), 4);
        assert_eq!(parts.iter().count(), 2, "west holds nothing");
        assert_eq!(
            UnitsByWarehouse::from_entries([(code("east"), -1)]),
            Err(BadUnits::Negative {
                warehouse: code("east"),
                units: -1
            })
        );
        assert_eq!(
            UnitsByWarehouse::from_entries([(code("a"), i64::MAX), (code("b"), 1)]),
            Err(BadUnits::Overflow)
        );
    }

    #[test]
    fn taking_a_warehouse_leaves_the_rest() {
        let mut parts = units(&[("east", 2), ("default", 1)]);
        assert_eq!(parts.take(&code("east")), 2);
        assert_eq!(parts.take(&code("east")), 0);
        assert_eq!(parts, units(&[("default", 1)]));
    }

    #[test]
    fn the_most_units_choose_the_warehouse_and_ties_go_to_the_lowest_code() {
        let a = units(&[("default", 2), ("west", 1)]);
        let b = units(&[("east", 3)]);
        assert_eq!(choose_warehouse([&a, &b]), Some(code("east")));
        let c = units(&[("west", 3)]);
        assert_eq!(
            choose_warehouse([&a, &b, &c]),
            Some(code("west")),
            "summed over the lines"
        );
        let tie = [units(&[("east", 2)]), units(&[("default", 2)])];
        assert_eq!(choose_warehouse(&tie), Some(code("default")));
        assert_eq!(
            choose_warehouse(tie.iter().rev()),
            Some(code("default")),
            "whatever the order of the lines"
        );
        assert_eq!(choose_warehouse([&UnitsByWarehouse::new()]), None);
    }

    #[test]
    fn parts_are_reconciled_with_the_count_the_line_keeps() {
        let parts = units(&[("east", 2)]);
        assert_eq!(parts.clone().reconciled(2), parts, "in agreement");
        assert_eq!(
            parts.clone().reconciled(5),
            units(&[("east", 2), ("default", 3)]),
            "units nobody placed are in the default warehouse"
        );
        assert_eq!(
            units(&[("east", 2), ("default", 2)]).reconciled(3),
            units(&[("east", 2), ("default", 1)]),
            "the default gives up the excess first"
        );
        assert_eq!(units(&[("east", 2), ("west", 2)]).reconciled(1).total(), 1);
        assert!(parts.reconciled(0).is_empty());
    }

    #[test]
    fn a_split_is_told_most_units_first() {
        assert_eq!(
            units(&[("default", 1), ("east", 2)]).describe(),
            "2 from east, 1 from default"
        );
        assert_eq!(
            units(&[("west", 1), ("east", 1)]).describe(),
            "1 from east, 1 from west"
        );
        assert_eq!(UnitsByWarehouse::new().describe(), "");
    }
}
