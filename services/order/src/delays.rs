//! The `delays` settings section: how long a customer has to answer a
//! delay offered on a line, what an unanswered one becomes, and how often
//! the delay-rule worker looks for unanswered offers.

use std::time::Duration;

use backorder_platform::config::ConfigError;
use serde::Deserialize;

use crate::domain::delays::{DelayAnswer, DelayRule};

/// Longest time to answer: 30 days.
pub const MAX_ANSWER_HOURS: i32 = 720;

/// Section `delays`, as read.
#[derive(Debug, Clone, Deserialize)]
pub struct DelaysSection {
    /// Hours the customer has to answer (1 to 720).
    pub answer_within_hours: i32,
    /// Milliseconds the customer has to answer, instead of the hours when
    /// above 0: for tests, which cannot wait an hour.
    pub answer_within_ms: i64,
    /// `WAIT` or `CANCEL`: what an unanswered delay becomes.
    pub when_unanswered: String,
    /// Seconds between two looks for unanswered offers (at least 1).
    pub check_interval_seconds: u64,
    /// Milliseconds between two looks, instead of the seconds when above
    /// 0: for tests.
    pub check_interval_ms: u64,
}

/// The delay settings as the service uses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelaySettings {
    /// The merchant's rule.
    pub rule: DelayRule,
    /// Hours to answer, as configured (what GetFulfilmentSettings shows).
    pub answer_within_hours: i32,
    /// Time between two looks for unanswered offers.
    pub check_interval: Duration,
}

impl Default for DelaySettings {
    fn default() -> Self {
        Self {
            rule: DelayRule::default(),
            answer_within_hours: 72,
            check_interval: Duration::from_secs(60),
        }
    }
}

impl DelaysSection {
    /// Checks the section; an unusable value is a configuration error
    /// naming its setting.
    pub fn parse(&self) -> Result<DelaySettings, ConfigError> {
        let fail = |text: String| Err(ConfigError::Message(text));
        if !(1..=MAX_ANSWER_HOURS).contains(&self.answer_within_hours) {
            return fail(format!(
                "delays.answer_within_hours {}: must be 1 to {MAX_ANSWER_HOURS}",
                self.answer_within_hours
            ));
        }
        if self.answer_within_ms < 0 {
            return fail(format!(
                "delays.answer_within_ms {}: must be 0 (use the hours) or more",
                self.answer_within_ms
            ));
        }
        let when_unanswered = match self.when_unanswered.trim().to_ascii_uppercase().as_str() {
            "WAIT" => DelayAnswer::Wait,
            "CANCEL" => DelayAnswer::Cancel,
            other => {
                return fail(format!(
                    "delays.when_unanswered {other:?}: use WAIT or CANCEL"
                ));
            }
        };
        if self.check_interval_seconds == 0 && self.check_interval_ms == 0 {
            return fail("delays.check_interval_seconds must be at least 1".to_owned());
        }
        let answer_within_ms = if self.answer_within_ms > 0 {
            self.answer_within_ms
        } else {
            i64::from(self.answer_within_hours) * 3_600_000
        };
        let check_interval = if self.check_interval_ms > 0 {
            Duration::from_millis(self.check_interval_ms)
        } else {
            Duration::from_secs(self.check_interval_seconds)
        };
        Ok(DelaySettings {
            rule: DelayRule {
                answer_within_ms,
                when_unanswered,
            },
            answer_within_hours: self.answer_within_hours,
            check_interval,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section() -> DelaysSection {
        DelaysSection {
            answer_within_hours: 72,
            answer_within_ms: 0,
            when_unanswered: "WAIT".to_owned(),
            check_interval_seconds: 60,
            check_interval_ms: 0,
        }
    }

    #[test]
    fn the_defaults_give_three_days_and_keep_waiting() {
        assert_eq!(section().parse().expect("valid"), DelaySettings::default());
    }

    #[test]
    fn milliseconds_override_hours_and_seconds() {
        let mut s = section();
        s.answer_within_ms = 300;
        s.check_interval_ms = 20;
        s.when_unanswered = " cancel ".to_owned();
        let parsed = s.parse().expect("valid");
        assert_eq!(parsed.rule.answer_within_ms, 300);
        assert_eq!(parsed.rule.when_unanswered, DelayAnswer::Cancel);
        assert_eq!(parsed.check_interval, Duration::from_millis(20));
        assert_eq!(parsed.answer_within_hours, 72, "shown as configured");
    }

    #[test]
    fn unusable_values_name_their_setting() {
        let mut bad = section();
        bad.answer_within_hours = 721;
        let mut zero = section();
        zero.answer_within_hours = 0;
        let mut rule = section();
        rule.when_unanswered = "REFUND".to_owned();
        let mut interval = section();
        interval.check_interval_seconds = 0;
        for (s, setting) in [
            (bad, "delays.answer_within_hours"),
            (zero, "delays.answer_within_hours"),
            (rule, "delays.when_unanswered"),
            (interval, "delays.check_interval_seconds"),
        ] {
            let error = s.parse().expect_err("refused").to_string();
            assert!(error.contains(setting), "{error}");
        }
    }
}
