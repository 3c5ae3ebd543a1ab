//! Notification rules, free of I/O: which channels a customer may choose and
//! what each needs, how channels are stored, what each event says to the
//! customer, when a delivery left pending is sent again, and how the
//! merchant's webhook is retried.

mod channel;
mod contact;
mod delivery;
mod event;
mod notice;
pub mod webhook;
pub mod wording;

pub use channel::{Channel, decode_channels, encode_channels};
pub use contact::{
    Contact, CustomerDetails, Invalid, choose_channels, is_valid_email, is_valid_phone,
    is_valid_push_token,
};
pub use delivery::{DeliveryStatus, RESEND_AFTER_MS, is_due_for_resend};
pub use event::Event;
pub use notice::Notice;

/// Longest customer name kept.
pub const MAX_NAME: usize = 200;
/// Longest e-mail address (RFC 5321 path limit, in octets).
pub const MAX_EMAIL: usize = 254;
/// Longest push token.
pub const MAX_PUSH_TOKEN: usize = 4096;
/// Longest free-text detail of an event, in characters (not bytes): the
/// order service writes order summaries in any script and must be able to
/// count the same way. Documented in the proto as part of the contract.
pub const MAX_DETAIL: usize = 1000;
/// Longest tracking number or carrier name, in characters.
pub const MAX_SHIPPING_TEXT: usize = 100;

/// A stored code that names no known value: the row was written by a newer
/// version or damaged. Refused rather than read as some default.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("stored {kind} code {code} is not a known {kind}")]
pub struct UnknownCode {
    /// What the code was meant to be (`channel`, `event`, ...).
    pub kind: &'static str,
    /// The code found.
    pub code: i32,
}

/// Whether `text` is at most `max` characters long. Counts Unicode scalar
/// values, so a limit means the same for "é" as for "e".
pub fn within_chars(text: &str, max: usize) -> bool {
    text.chars().nth(max).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_characters_not_bytes() {
        let thousand = "é".repeat(MAX_DETAIL);
        assert_eq!(thousand.len(), 2 * MAX_DETAIL, "two bytes each");
        assert!(within_chars(&thousand, MAX_DETAIL));
        assert!(!within_chars(&format!("{thousand}é"), MAX_DETAIL));
        assert!(within_chars("", 0));
        assert!(!within_chars("a", 0));
    }
}
