//! Drop-ship: a supplier ships a customer's line straight to them. Such
//! demand goes on a purchase order of its own, one per supplier and
//! customer order, addressed to the customer and ordering exactly what
//! the customer bought; it is never received, only confirmed shipped.

use std::fmt;

use super::{PoRefusal, PoStatus};

/// Longest delivery address, in characters (after trimming).
pub const MAX_ADDRESS_CHARS: usize = 500;
/// Longest carrier name.
pub const MAX_CARRIER_CHARS: usize = 100;
/// Longest tracking number.
pub const MAX_TRACKING_CHARS: usize = 100;

/// A customer's delivery address: 1 to [`MAX_ADDRESS_CHARS`] characters,
/// trimmed. It is personal data, so its `Debug` never shows the text: a
/// command or row logged whole must not leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct ShipToAddress(String);

impl ShipToAddress {
    /// The address text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address text, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for ShipToAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShipToAddress(<redacted>)")
    }
}

/// Where a demand's units go, from the request's `drop_ship` flag and
/// address: `Some` for a drop-ship demand, `None` for stock. The error is
/// what is wrong with the address field (never its text).
pub fn ship_to(drop_ship: bool, address: &str) -> Result<Option<ShipToAddress>, String> {
    if !drop_ship {
        return if address.is_empty() {
            Ok(None)
        } else {
            Err("must be empty unless drop_ship is set".to_owned())
        };
    }
    let trimmed = address.trim();
    if trimmed.is_empty() {
        return Err("is required with drop_ship (the customer's delivery address)".to_owned());
    }
    if trimmed.chars().count() > MAX_ADDRESS_CHARS {
        return Err(format!("must be at most {MAX_ADDRESS_CHARS} characters"));
    }
    Ok(Some(ShipToAddress(trimmed.to_owned())))
}

/// Confirming that the supplier shipped a purchase order to the customer:
/// it must be drop-ship, with the supplier (submitted or acknowledged), and
/// still serve some line (`open` demands).
pub fn ship(status: PoStatus, drop_ship: bool, open: usize) -> Result<PoStatus, PoRefusal> {
    if !drop_ship {
        return Err(PoRefusal::NotDropShip);
    }
    match status {
        PoStatus::Submitted | PoStatus::Acknowledged if open > 0 => Ok(PoStatus::DropShipped),
        PoStatus::Submitted | PoStatus::Acknowledged => Err(PoRefusal::NothingToShip),
        status => Err(PoRefusal::NotShippable { status }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drop_ship_demand_needs_an_address_and_a_stock_one_has_none() {
        let address = ship_to(true, "  2 Harbour Road, Leith \n")
            .expect("valid")
            .expect("drop-ship");
        assert_eq!(address.as_str(), "2 Harbour Road, Leith", "trimmed");
        assert_eq!(ship_to(false, ""), Ok(None));
        assert!(ship_to(true, "").is_err());
        assert!(ship_to(true, " \t ").is_err(), "blank is no address");
        assert!(ship_to(false, "2 Harbour Road").is_err());
        assert!(ship_to(false, " ").is_err(), "stock demand carries none");
    }

    #[test]
    fn an_address_is_at_most_500_characters_after_trimming() {
        let longest = "é".repeat(MAX_ADDRESS_CHARS);
        assert!(ship_to(true, &format!("  {longest}  ")).is_ok());
        let error = ship_to(true, &format!("{longest}x")).expect_err("too long");
        assert_eq!(error, "must be at most 500 characters");
    }

    #[test]
    fn an_address_never_shows_in_debug_output_or_errors() {
        let address = ship_to(true, "7 Secret Lane").expect("valid");
        assert!(!format!("{address:?}").contains("Secret"));
        let error = ship_to(false, "7 Secret Lane").expect_err("refused");
        assert!(!error.contains("Secret"));
    }

    #[test]
    fn only_a_drop_ship_order_with_the_supplier_and_open_lines_ships() {
        assert_eq!(
            ship(PoStatus::Submitted, true, 1),
            Ok(PoStatus::DropShipped)
        );
        assert_eq!(
            ship(PoStatus::Acknowledged, true, 3),
            Ok(PoStatus::DropShipped)
        );
        for status in PoStatus::ALL {
            assert_eq!(ship(status, false, 1), Err(PoRefusal::NotDropShip));
        }
        for status in [
            PoStatus::Draft,
            PoStatus::PartiallyReceived,
            PoStatus::Received,
            PoStatus::Cancelled,
            PoStatus::DropShipped,
        ] {
            assert_eq!(
                ship(status, true, 1),
                Err(PoRefusal::NotShippable { status }),
                "{status:?}"
            );
        }
        assert_eq!(
            ship(PoStatus::Acknowledged, true, 0),
            Err(PoRefusal::NothingToShip)
        );
        assert_eq!(
            ship(PoStatus::Draft, true, 0),
            Err(PoRefusal::NotShippable {
                status: PoStatus::Draft
            }),
            "a draft is refused as unshippable, whatever it carries"
        );
    }
}
