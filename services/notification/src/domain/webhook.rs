//! The merchant's webhook: which answers deliver an event, which are worth
//! another attempt and when, and when to give up.
//!
//! - 2xx: delivered.
//! - No answer (connection refused or reset, TLS failure, timeout), 408,
//!   429 and 5xx: the endpoint is down, slow or busy; retried with
//!   exponential backoff (a `Retry-After` in seconds stretches the wait, up
//!   to the longest backoff) until `max_attempts` attempts, then given up.
//! - Anything else (3xx, other 4xx): the endpoint refuses this request
//!   (wrong path, rejected signature, no such route); retried
//!   [`REFUSED_ATTEMPTS`] times in case it was a deployment in progress,
//!   then given up.
//!
//! A delivery given up on is FAILED with the last answer as its error; it
//! is not retried again.

/// Channel code of a webhook delivery in the `delivery` table. It is not a
/// customer's channel and not in the proto's `Channel` enum: such rows never
/// appear among a notification's deliveries on the wire.
pub const WEBHOOK_CHANNEL: i32 = 100;

/// Attempts given to an answer that refuses the request itself.
pub const REFUSED_ATTEMPTS: i32 = 3;

/// What the endpoint answered to one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP status, with the `Retry-After` seconds when given.
    Status {
        /// Status code.
        code: u16,
        /// `Retry-After`, in seconds.
        retry_after: Option<u64>,
    },
    /// No HTTP answer: not reachable, TLS refused, or too slow.
    Unreachable(String),
}

impl Answer {
    /// Whether the endpoint is down, slow or busy rather than refusing
    /// the request.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Status { code, .. } => *code == 408 || *code == 429 || (500..600).contains(code),
            Self::Unreachable(_) => true,
        }
    }

    /// The reason stored with the delivery.
    pub fn describe(&self) -> String {
        match self {
            Self::Status { code, .. } => format!("webhook answered HTTP {code}"),
            Self::Unreachable(reason) => format!("webhook not reached: {reason}"),
        }
    }
}

/// How the webhook is retried (`channels.webhook_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failed attempt, in ms; doubles per attempt.
    pub initial_backoff_ms: u64,
    /// Longest wait between attempts, in ms.
    pub max_backoff_ms: u64,
    /// Attempts after which an endpoint that keeps failing transiently is
    /// given up on.
    pub max_attempts: i32,
}

/// What to do after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// The endpoint has it.
    Delivered,
    /// Try again this many ms from now.
    RetryAfter(i64),
    /// Stop: the delivery fails.
    GiveUp,
}

impl RetryPolicy {
    /// What follows `answer` to attempt number `attempts` (1 for the first).
    /// `jitter` in `0.0..=1.0` spreads retries by up to a fifth of the wait,
    /// so replicas and deliveries do not retry in step.
    pub fn next(&self, answer: &Answer, attempts: i32, jitter: f64) -> Next {
        let (allowed, retry_after) = match answer {
            Answer::Status { code, .. } if (200..300).contains(code) => return Next::Delivered,
            Answer::Status { retry_after, .. } if answer.is_transient() => {
                (self.max_attempts, *retry_after)
            }
            Answer::Unreachable(_) => (self.max_attempts, None),
            Answer::Status { .. } => (REFUSED_ATTEMPTS.min(self.max_attempts), None),
        };
        if attempts >= allowed {
            return Next::GiveUp;
        }
        let backoff = self.backoff_ms(attempts);
        let asked = retry_after.map_or(0, |s| s.saturating_mul(1000));
        let wait = backoff.max(asked.min(self.max_backoff_ms));
        let spread = (wait as f64 * 0.2 * jitter.clamp(0.0, 1.0)) as u64;
        Next::RetryAfter(i64::try_from(wait.saturating_add(spread)).unwrap_or(i64::MAX))
    }

    /// The wait after attempt number `attempts`, before jitter.
    fn backoff_ms(&self, attempts: i32) -> u64 {
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        self.initial_backoff_ms
            .saturating_mul(1u64 << exponent)
            .min(self.max_backoff_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        initial_backoff_ms: 1_000,
        max_backoff_ms: 60_000,
        max_attempts: 10,
    };

    fn status(code: u16) -> Answer {
        Answer::Status {
            code,
            retry_after: None,
        }
    }

    #[test]
    fn two_hundreds_deliver_whatever_the_attempt() {
        for code in [200, 201, 202, 204, 299] {
            assert_eq!(POLICY.next(&status(code), 1, 0.0), Next::Delivered);
            assert_eq!(POLICY.next(&status(code), 99, 0.0), Next::Delivered);
        }
    }

    #[test]
    fn transient_answers_back_off_doubling_up_to_the_cap_then_give_up() {
        let down = Answer::Unreachable("connection refused".to_owned());
        for answer in [status(500), status(503), status(408), status(429), down] {
            assert_eq!(POLICY.next(&answer, 1, 0.0), Next::RetryAfter(1_000));
            assert_eq!(POLICY.next(&answer, 2, 0.0), Next::RetryAfter(2_000));
            assert_eq!(POLICY.next(&answer, 4, 0.0), Next::RetryAfter(8_000));
            assert_eq!(POLICY.next(&answer, 9, 0.0), Next::RetryAfter(60_000));
            assert_eq!(POLICY.next(&answer, 10, 0.0), Next::GiveUp);
        }
    }

    #[test]
    fn refusals_get_three_attempts() {
        for code in [301, 400, 401, 403, 404, 410, 422] {
            assert_eq!(POLICY.next(&status(code), 1, 0.0), Next::RetryAfter(1_000));
            assert_eq!(POLICY.next(&status(code), 2, 0.0), Next::RetryAfter(2_000));
            assert_eq!(POLICY.next(&status(code), 3, 0.0), Next::GiveUp, "{code}");
        }
    }

    #[test]
    fn retry_after_stretches_the_wait_up_to_the_cap_and_jitter_adds_a_fifth_at_most() {
        let busy = |seconds| Answer::Status {
            code: 429,
            retry_after: Some(seconds),
        };
        assert_eq!(POLICY.next(&busy(30), 1, 0.0), Next::RetryAfter(30_000));
        assert_eq!(POLICY.next(&busy(3_600), 1, 0.0), Next::RetryAfter(60_000));
        assert_eq!(POLICY.next(&busy(0), 3, 0.0), Next::RetryAfter(4_000));
        assert_eq!(POLICY.next(&status(500), 1, 1.0), Next::RetryAfter(1_200));
        assert_eq!(POLICY.next(&status(500), 1, 7.0), Next::RetryAfter(1_200));
        let patient = RetryPolicy {
            max_attempts: i32::MAX,
            ..POLICY
        };
        assert_eq!(
            patient.next(&status(500), i32::MAX - 1, 0.0),
            Next::RetryAfter(60_000),
            "no overflow"
        );
    }
}
