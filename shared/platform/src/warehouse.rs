//! Warehouse codes: the one key every service names a warehouse by.
//! Inventory owns warehouses; order and procurement only carry the code,
//! so its spelling is checked the same way at every edge.

use std::borrow::Borrow;
use std::fmt;

use crate::error::FieldViolation;
use crate::ids::Violations;

/// Most characters in a code.
pub const MAX_CODE_LEN: usize = 32;

/// A well-formed warehouse code: 1-32 of `a-z`, `0-9` and `-`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WarehouseCode(String);

impl WarehouseCode {
    /// The warehouse that always exists and holds everything stored before
    /// there were others.
    pub const DEFAULT: &'static str = "default";

    /// The default warehouse.
    pub fn default_warehouse() -> Self {
        Self(Self::DEFAULT.to_owned())
    }

    /// Parses a required code, naming `field` when it is malformed.
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldViolation> {
        let well_formed = !value.is_empty()
            && value.len() <= MAX_CODE_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if well_formed {
            Ok(Self(value.to_owned()))
        } else {
            Err(FieldViolation {
                field: field.to_owned(),
                description: format!(
                    "must be a warehouse code (1-{MAX_CODE_LEN} of a-z, 0-9 and '-'), got {}",
                    crate::error::quoted(value)
                ),
            })
        }
    }

    /// Parses a code where empty means the default warehouse (fields added
    /// after callers that never name one).
    pub fn parse_or_default(field: &str, value: &str) -> Result<Self, FieldViolation> {
        if value.is_empty() {
            Ok(Self::default_warehouse())
        } else {
            Self::parse(field, value)
        }
    }

    /// A code read back from storage, which the edge already checked.
    pub fn stored(value: String) -> Self {
        Self(value)
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code as owned text.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Maps keyed by code can be read with a `&str` (the order is the text's).
impl Borrow<str> for WarehouseCode {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WarehouseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Violations {
    /// Checks an optional warehouse code (empty: the default warehouse),
    /// recording a violation when malformed.
    pub fn warehouse(&mut self, field: &str, value: &str) -> Option<WarehouseCode> {
        match WarehouseCode::parse_or_default(field, value) {
            Ok(code) => Some(code),
            Err(v) => {
                self.add(v.field, v.description);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_lowercase_words_and_empty_means_default() {
        for good in ["default", "east-1", "w9", &"a".repeat(MAX_CODE_LEN)] {
            assert_eq!(
                WarehouseCode::parse("warehouse", good).map(|c| c.into_string()),
                Ok(good.to_owned())
            );
        }
        for bad in ["", "East", "a b", "a_b", "é", &"a".repeat(MAX_CODE_LEN + 1)] {
            let err = WarehouseCode::parse("warehouse", bad).expect_err(bad);
            assert_eq!(err.field, "warehouse");
        }
        assert_eq!(
            WarehouseCode::parse_or_default("warehouse", ""),
            Ok(WarehouseCode::default_warehouse())
        );
        let mut v = Violations::new();
        assert!(v.warehouse("lines[0].warehouse", "BAD").is_none());
        assert!(v.finish().is_err());
    }
}
