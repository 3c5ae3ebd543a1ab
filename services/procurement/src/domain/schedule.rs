//! A supplier's submission schedule: its drafts go out without an operator
//! once they are old enough.

/// Longest schedule, in hours (30 days).
pub const MAX_AUTO_SUBMIT_HOURS: i32 = 720;

const HOUR_MS: i64 = 3_600_000;

/// The newest creation time (Unix ms) a draft may have at `now` to be due
/// under a schedule of `hours`; `None` when the schedule is off (0 hours,
/// or a negative count no stored row holds).
pub fn due_cutoff(now: i64, hours: i32) -> Option<i64> {
    (hours > 0).then(|| now.saturating_sub(i64::from(hours).saturating_mul(HOUR_MS)))
}

/// Whether a draft created at `created_at` is due at `now` under a
/// schedule of `hours`: exactly `hours` old counts.
pub fn is_due(created_at: i64, now: i64, hours: i32) -> bool {
    due_cutoff(now, hours).is_some_and(|cutoff| created_at <= cutoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn a_draft_is_due_once_it_is_as_old_as_the_schedule() {
        assert!(is_due(NOW - 2 * HOUR_MS, NOW, 2));
        assert!(is_due(NOW - 3 * HOUR_MS, NOW, 2));
        assert!(!is_due(NOW - 2 * HOUR_MS + 1, NOW, 2));
        assert!(!is_due(NOW, NOW, 1));
    }

    #[test]
    fn no_schedule_submits_nothing() {
        assert_eq!(due_cutoff(NOW, 0), None);
        assert_eq!(due_cutoff(NOW, -5), None);
        assert!(!is_due(0, NOW, 0));
        assert_eq!(
            due_cutoff(NOW, MAX_AUTO_SUBMIT_HOURS),
            Some(NOW - 720 * HOUR_MS)
        );
        assert_eq!(due_cutoff(i64::MIN, 1), Some(i64::MIN), "saturates");
    }
}
