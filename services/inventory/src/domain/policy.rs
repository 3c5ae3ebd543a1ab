//! Products and their backorder policy.

use super::UnknownCode;

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
}

impl BackorderPolicy {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Allow => 1,
            Self::Deny => 2,
            Self::Capped { .. } => 3,
        }
    }

    /// The cap, 0 unless capped.
    pub fn cap(self) -> i64 {
        match self {
            Self::Capped { cap } => cap,
            _ => 0,
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
        ] {
            assert_eq!(BackorderPolicy::try_from((p.code(), p.cap())), Ok(p));
        }
        for code in [0, 4, -1, 99] {
            assert_eq!(
                BackorderPolicy::try_from((code, 0)),
                Err(UnknownCode {
                    kind: "backorder policy",
                    code
                })
            );
        }
    }
}
