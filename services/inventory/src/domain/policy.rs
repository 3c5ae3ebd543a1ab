//! Products and their backorder policy.

use super::{InboundSupply, UnknownCode};

/// What happens when an order asks for more than is available.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackorderPolicy {
    /// Any shortage is backordered.
    Allow,
    /// A shortage is a stockout.
    Deny,
    /// Shortages are backordered while the units waiting stay within `cap`.
    Capped {
        /// Most units that may wait at once.
        cap: i64,
    },
    /// Shortages are backordered only up to the inbound units not already
    /// promised to waiting lines, plus `margin`.
    Inbound {
        /// Units that may wait beyond the inbound units.
        margin: i64,
    },
}

impl BackorderPolicy {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Allow => 1,
            Self::Deny => 2,
            Self::Capped { .. } => 3,
            Self::Inbound { .. } => 4,
        }
    }

    /// The stored number beside the code: the cap, or the inbound margin;
    /// 0 for the other policies.
    pub fn cap(self) -> i64 {
        match self {
            Self::Capped { cap } => cap,
            Self::Inbound { margin } => margin,
            _ => 0,
        }
    }

    /// The inbound margin, 0 unless capped by inbound supply.
    pub fn inbound_margin(self) -> i64 {
        match self {
            Self::Inbound { margin } => margin,
            _ => 0,
        }
    }

    /// The policy as the reservation rule applies it, given `inbound` units
    /// on open purchase orders: a cap by inbound supply is a cap of those
    /// units plus the margin (the units already waiting count against it,
    /// as the cap counts them).
    pub fn with_inbound(self, inbound: i64) -> Self {
        match self {
            Self::Inbound { margin } => Self::Capped {
                cap: inbound.saturating_add(margin),
            },
            other => other,
        }
    }
}

/// From the stored code and cap; an unknown code is an error.
impl TryFrom<(i32, i64)> for BackorderPolicy {
    type Error = UnknownCode;

    fn try_from((code, cap): (i32, i64)) -> Result<Self, Self::Error> {
        match code {
            1 => Ok(Self::Allow),
            2 => Ok(Self::Deny),
            3 => Ok(Self::Capped { cap }),
            4 => Ok(Self::Inbound { margin: cap }),
            _ => Err(UnknownCode {
                kind: "backorder policy",
                code,
            }),
        }
    }
}

/// A sellable item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    /// Stock keeping unit, the product's key.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// What to do when short.
    pub policy: BackorderPolicy,
    /// Unix ms.
    pub created_at: i64,
    /// The supplier ships short lines straight to the customer (set by
    /// procurement from the SKU's preferred offer).
    pub drop_ship: bool,
    /// Unit price in the smallest currency unit.
    pub price_minor: i64,
    /// Its inbound supply, as procurement last reported it.
    pub supply: InboundSupply,
}

/// Highest unit price, in the smallest currency unit.
pub const MAX_PRICE_MINOR: i64 = 1_000_000_000_000;

impl Product {
    /// Whether a line of `quantity` is drop-shipped whole: the product is
    /// drop-shipped, stock (`available`) cannot fill the line whole, the
    /// order has an address to ship to and its customer accepts waiting.
    /// Such a line takes nothing from stock, so it never splits between a
    /// warehouse parcel and the supplier's, and it does not wait in the
    /// queue, so a receipt never fills what the supplier already ships.
    pub fn drop_ships(
        &self,
        quantity: i64,
        available: i64,
        has_address: bool,
        accept_backorders: bool,
    ) -> bool {
        self.drop_ship && has_address && accept_backorders && quantity > available
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_short_line_of_a_drop_ship_product_with_an_address_is_drop_shipped() {
        let product = Product {
            sku: "A".into(),
            name: "A".into(),
            policy: BackorderPolicy::Deny,
            created_at: 0,
            drop_ship: true,
            price_minor: 0,
            supply: InboundSupply::default(),
        };
        assert!(product.drop_ships(3, 2, true, true));
        assert!(!product.drop_ships(2, 2, true, true), "stock fills it");
        assert!(!product.drop_ships(3, 2, false, true), "nowhere to send it");
        assert!(
            !product.drop_ships(3, 2, true, false),
            "the customer won't wait"
        );
        let stocked = Product {
            drop_ship: false,
            ..product
        };
        assert!(!stocked.drop_ships(3, 0, true, true));
    }

    #[test]
    fn policies_round_trip_and_unknown_codes_are_refused() {
        for p in [
            BackorderPolicy::Allow,
            BackorderPolicy::Deny,
            BackorderPolicy::Capped { cap: 7 },
            BackorderPolicy::Inbound { margin: 3 },
        ] {
            assert_eq!(BackorderPolicy::try_from((p.code(), p.cap())), Ok(p));
        }
        for code in [0, 5, -1, 99] {
            assert_eq!(
                BackorderPolicy::try_from((code, 0)),
                Err(UnknownCode {
                    kind: "backorder policy",
                    code
                })
            );
        }
    }

    #[test]
    fn a_cap_by_inbound_supply_is_the_inbound_units_plus_the_margin() {
        let policy = BackorderPolicy::Inbound { margin: 2 };
        assert_eq!(policy.with_inbound(10), BackorderPolicy::Capped { cap: 12 });
        assert_eq!(
            BackorderPolicy::Allow.with_inbound(10),
            BackorderPolicy::Allow
        );
        assert_eq!(policy.inbound_margin(), 2);
    }
}
