//! What the relay does with each answer of a receiver. Documented for
//! operators in `proto/backorder/outbox/v1/outbox.proto`.

use tonic::Code;

use crate::config::OutboxSettings;

/// `next_attempt_at` of a parked message: never again, until an operator
/// retries it. Written into SQL as a literal so PostgreSQL's partial index
/// on due messages applies.
pub const PARKED: i64 = i64::MAX;

/// Attempts given to an answer that may only mean the message overtook the
/// change it refers to, or that the receiver hit a bug it may get over.
const CONTESTED_ATTEMPTS: i32 = 3;

/// What to do after a failed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Try again after a backoff; later messages to the destination wait.
    Retry,
    /// Set it aside for an operator; later messages go on.
    Park,
}

/// The disposition of a failure with `code` after `attempts` attempts.
///
/// - The request itself is wrong, or the caller is not allowed: the same
///   bytes can never succeed, so park at once.
/// - The receiver does not know the subject, refuses it in its state, or
///   failed internally: a few attempts, then park.
/// - The receiver is down, slow, overloaded or in a conflict: retry until
///   `max_attempts`, then park.
pub fn disposition(code: Code, attempts: i32, max_attempts: i32) -> Disposition {
    let allowed = match code {
        Code::InvalidArgument
        | Code::AlreadyExists
        | Code::Unimplemented
        | Code::OutOfRange
        | Code::PermissionDenied
        | Code::Unauthenticated
        | Code::DataLoss => 1,
        Code::NotFound | Code::FailedPrecondition | Code::Internal => CONTESTED_ATTEMPTS,
        Code::Ok
        | Code::Unavailable
        | Code::DeadlineExceeded
        | Code::ResourceExhausted
        | Code::Aborted
        | Code::Cancelled
        | Code::Unknown => max_attempts,
    };
    if attempts >= allowed {
        Disposition::Park
    } else {
        Disposition::Retry
    }
}

/// Exponential backoff with up to 20% jitter so replicas do not retry in
/// step.
pub fn backoff_ms(settings: &OutboxSettings, attempts: i32) -> i64 {
    use rand::Rng;
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let base = settings
        .initial_backoff_ms
        .saturating_mul(1u64 << exponent)
        .min(settings.max_backoff_ms);
    let jitter = rand::rng().random_range(0..=base / 5 + 1);
    i64::try_from(base + jitter).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> OutboxSettings {
        OutboxSettings {
            poll_interval_ms: 1000,
            batch_size: 10,
            initial_backoff_ms: 100,
            max_backoff_ms: 5_000,
            lease_ms: 1000,
            call_timeout_ms: 1000,
            max_attempts: 50,
        }
    }

    #[test]
    fn wrong_requests_park_at_once() {
        for code in [
            Code::InvalidArgument,
            Code::AlreadyExists,
            Code::PermissionDenied,
            Code::Unauthenticated,
            Code::Unimplemented,
        ] {
            assert_eq!(disposition(code, 1, 50), Disposition::Park, "{code:?}");
        }
    }

    #[test]
    fn contested_answers_get_a_few_attempts() {
        for code in [Code::NotFound, Code::FailedPrecondition, Code::Internal] {
            assert_eq!(disposition(code, 1, 50), Disposition::Retry, "{code:?}");
            assert_eq!(disposition(code, 2, 50), Disposition::Retry, "{code:?}");
            assert_eq!(disposition(code, 3, 50), Disposition::Park, "{code:?}");
        }
    }

    #[test]
    fn transient_failures_retry_until_the_cap() {
        for code in [Code::Unavailable, Code::DeadlineExceeded, Code::Aborted] {
            assert_eq!(disposition(code, 49, 50), Disposition::Retry, "{code:?}");
            assert_eq!(disposition(code, 50, 50), Disposition::Park, "{code:?}");
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let s = settings();
        let first = backoff_ms(&s, 1);
        assert!((100..=121).contains(&first), "{first}");
        let third = backoff_ms(&s, 3);
        assert!((400..=481).contains(&third), "{third}");
        let late = backoff_ms(&s, 30);
        assert!((5_000..=6_001).contains(&late), "{late}");
    }
}
