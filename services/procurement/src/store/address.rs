//! A customer's delivery address as stored on a drop-ship purchase order
//! (and on drop-ship demand while it waits for a supplier). Personal data:
//! its `Debug` never shows the text, so a row logged whole leaks nothing.

use std::fmt;

use sea_orm::DeriveValueType;

use crate::domain::ShipToAddress;

/// A stored delivery address.
#[derive(Clone, PartialEq, Eq, DeriveValueType)]
pub struct Address(pub String);

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Address(<redacted>)")
    }
}

impl From<ShipToAddress> for Address {
    fn from(address: ShipToAddress) -> Self {
        Self(address.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_address() {
        let row = Some(Address("7 Secret Lane".to_owned()));
        assert!(!format!("{row:?}").contains("Secret"));
    }
}
