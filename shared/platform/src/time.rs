//! Time as stored (Unix milliseconds, portable across SQLite and PostgreSQL)
//! and as sent (`google.protobuf.Timestamp`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Unix milliseconds to a protobuf timestamp.
pub fn to_timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

/// Optional Unix milliseconds to an optional timestamp.
pub fn to_timestamp_opt(ms: Option<i64>) -> Option<prost_types::Timestamp> {
    ms.map(to_timestamp)
}

/// A protobuf timestamp to Unix milliseconds.
pub fn from_timestamp(ts: &prost_types::Timestamp) -> i64 {
    ts.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(ts.nanos) / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_including_before_the_epoch() {
        for ms in [0, 1, 999, 1_700_000_000_123, -1, -1001] {
            assert_eq!(from_timestamp(&to_timestamp(ms)), ms);
        }
    }
}
