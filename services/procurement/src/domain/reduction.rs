//! Lowering a demand's units (its order line changed to fewer): what the
//! demand gives up, or why it cannot.

use uuid::Uuid;

use super::Quantity;

/// A demand to lower.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemandReduction {
    /// The demand (the inventory reservation that is short).
    pub demand_id: Uuid,
    /// Units it keeps.
    pub quantity: Quantity,
}

/// Why a demand cannot be lowered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReductionRefusal {
    /// Released (its line was cancelled or filled), or a replenishment
    /// demand already received: nothing is left to lower.
    Released,
    /// The supplier already shipped it to the customer.
    Shipped,
    /// The units asked are not below the demand's.
    NotAReduction {
        /// The demand's units.
        current: i64,
    },
}

impl ReductionRefusal {
    /// The reason callers see.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Released => "DEMAND_RELEASED",
            Self::Shipped => "DEMAND_SHIPPED",
            Self::NotAReduction { .. } => "NOT_A_REDUCTION",
        }
    }

    /// What is wrong, for people.
    pub fn describe(self, demand_id: Uuid, keep: Quantity) -> String {
        match self {
            Self::Released => format!("demand {demand_id} was released; nothing is left to lower"),
            Self::Shipped => {
                format!("demand {demand_id} was shipped by the supplier; it can no longer change")
            }
            Self::NotAReduction { current } => format!(
                "demand {demand_id} has {current} units; {} is not fewer",
                keep.get()
            ),
        }
    }
}

/// The units a demand of `current` units gives up to keep `keep`, when it
/// is still open (neither `closed` nor `shipped`).
pub fn units_given_up(
    current: i64,
    closed: bool,
    shipped: bool,
    keep: Quantity,
) -> Result<i64, ReductionRefusal> {
    if closed {
        return Err(ReductionRefusal::Released);
    }
    if shipped {
        return Err(ReductionRefusal::Shipped);
    }
    if keep.get() >= current {
        return Err(ReductionRefusal::NotAReduction { current });
    }
    Ok(current - keep.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(n: i64) -> Quantity {
        Quantity::new(n).expect("in range")
    }

    #[test]
    fn an_open_demand_gives_up_the_difference() {
        assert_eq!(units_given_up(5, false, false, units(3)), Ok(2));
        assert_eq!(units_given_up(5, false, false, units(1)), Ok(4));
    }

    #[test]
    fn only_fewer_units_of_an_open_demand_are_a_reduction() {
        assert_eq!(
            units_given_up(5, false, false, units(5)),
            Err(ReductionRefusal::NotAReduction { current: 5 })
        );
        assert_eq!(
            units_given_up(5, false, false, units(6)),
            Err(ReductionRefusal::NotAReduction { current: 5 })
        );
        assert_eq!(
            units_given_up(5, true, false, units(3)),
            Err(ReductionRefusal::Released)
        );
        assert_eq!(
            units_given_up(5, false, true, units(3)),
            Err(ReductionRefusal::Shipped)
        );
        assert_eq!(ReductionRefusal::Released.reason(), "DEMAND_RELEASED");
        assert_eq!(
            ReductionRefusal::NotAReduction { current: 5 }.reason(),
            "NOT_A_REDUCTION"
        );
        let text =
            ReductionRefusal::NotAReduction { current: 5 }.describe(Uuid::from_u128(1), units(7));
        assert!(text.contains("5 units") && text.contains("7"), "{text}");
    }
}
