//! How handing one notification to one channel went, and when a delivery
//! left pending is tried again.

use super::UnknownCode;

/// A delivery still pending this long after its last attempt is sent again:
/// the service stopped between recording it and handing it over.
pub const RESEND_AFTER_MS: i64 = 30_000;

/// Outcome of one delivery, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Handed to the channel.
    Sent,
    /// The channel refused it.
    Failed,
    /// Recorded, not yet handed over.
    Pending,
}

impl DeliveryStatus {
    /// Every status, in code order.
    pub const ALL: [Self; 3] = [Self::Sent, Self::Failed, Self::Pending];

    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Sent => 1,
            Self::Failed => 2,
            Self::Pending => 3,
        }
    }

    /// Lower-case name, for logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Pending => "pending",
        }
    }
}

impl TryFrom<i32> for DeliveryStatus {
    type Error = UnknownCode;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or(UnknownCode {
                kind: "delivery status",
                code,
            })
    }
}

/// Whether a delivery still pending, last attempted at `attempted_at`, is
/// due to be sent again at `now` (both Unix ms).
pub fn is_due_for_resend(attempted_at: i64, now: i64) -> bool {
    now.saturating_sub(attempted_at) >= RESEND_AFTER_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_round_trip_and_unknown_codes_are_refused() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::try_from(status.code()), Ok(status));
        }
        for code in [0, 4, -3] {
            let error = DeliveryStatus::try_from(code).expect_err("unknown status");
            assert_eq!((error.kind, error.code), ("delivery status", code));
        }
    }

    #[test]
    fn pending_deliveries_are_resent_after_the_grace_period() {
        let attempted = 1_000_000;
        assert!(!is_due_for_resend(attempted, attempted));
        assert!(!is_due_for_resend(
            attempted,
            attempted + RESEND_AFTER_MS - 1
        ));
        assert!(is_due_for_resend(attempted, attempted + RESEND_AFTER_MS));
        assert!(is_due_for_resend(i64::MIN, i64::MAX), "no overflow");
    }
}
