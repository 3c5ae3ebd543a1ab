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
}

#[cfg(test)]
mod tests {
    use super::*;

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
