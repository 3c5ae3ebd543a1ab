//! Available to promise: the date a waiting line can be promised, from the
//! SKU's inbound supply (its open purchase orders, as procurement last
//! reported them) taken in queue order.
//!
//! Lots are consumed earliest first by the queue, head first: a line whose
//! last waiting unit is the `end`-th unit of the queue is filled by the
//! first lot at which the inbound units add up to `end`. A line past every
//! inbound unit is promised the preferred supplier's lead time from today,
//! since the units it waits for are not ordered yet. A date the supplier
//! confirmed is promised as that day; an estimated one (a lead time) as a
//! range, because suppliers are seldom exact.

use chrono::{DateTime, Days, Utc};
use serde::{Deserialize, Serialize};

use super::DAY_MS;

/// Most lots a snapshot may carry.
pub const MAX_LOTS: usize = 1_000;
/// Longest lead time accepted, in days.
pub const MAX_LEAD_TIME_DAYS: i32 = 3_650;

/// Units of a SKU on one open purchase order, not yet received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// Purchase order id.
    pub purchase_order_id: String,
    /// Units still to come.
    pub quantity: i64,
    /// When they are expected (Unix ms).
    pub expected_at: i64,
    /// The supplier promised the date (else it is a lead-time estimate).
    pub confirmed: bool,
}

/// What inventory knows of a SKU's inbound supply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InboundSupply {
    /// Snapshot revision (0: none received yet).
    pub revision: i64,
    /// Lots, earliest expected first.
    pub lots: Vec<Lot>,
    /// The preferred supplier's lead time; `None` when no supplier offers
    /// the SKU.
    pub lead_time_days: Option<i32>,
}

/// A waiting line's promise: the dates between which its last unit is
/// expected, and the purchase order expected to bring it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Promise {
    /// Earliest expected date (Unix ms).
    pub from: i64,
    /// Latest expected date (Unix ms); `from` when confirmed.
    pub to: i64,
    /// The purchase order whose units fill the line; `None` for a lead-time
    /// estimate.
    pub purchase_order_id: Option<String>,
}

impl Promise {
    /// Whether the two promises name different dates for a customer: they
    /// are shown as UTC days, so a promise that moved by hours within a day
    /// (an estimate re-computed later the same day) has not moved.
    pub fn moved_from(&self, earlier: Option<&Promise>) -> bool {
        match earlier {
            None => true,
            Some(earlier) => {
                day_of(self.from) != day_of(earlier.from) || day_of(self.to) != day_of(earlier.to)
            }
        }
    }
}

/// The UTC day of a time, as days since the epoch.
fn day_of(at: i64) -> i64 {
    at.div_euclid(DAY_MS)
}

impl InboundSupply {
    /// A snapshot with its lots sorted earliest first (ties by purchase
    /// order, so the same snapshot always promises the same).
    pub fn new(revision: i64, mut lots: Vec<Lot>, lead_time_days: Option<i32>) -> Self {
        lots.sort_by(|a, b| {
            (a.expected_at, &a.purchase_order_id).cmp(&(b.expected_at, &b.purchase_order_id))
        });
        Self {
            revision,
            lots,
            lead_time_days,
        }
    }

    /// Inbound units over every lot (saturating).
    pub fn units(&self) -> i64 {
        self.lots
            .iter()
            .fold(0i64, |sum, lot| sum.saturating_add(lot.quantity))
    }

    /// The promise of a line whose last waiting unit is the `end`-th unit
    /// of the queue (counting from its head, 1-based), at `now`; `None`
    /// when inbound units do not reach it and no supplier offers the SKU.
    pub fn promise(&self, end: i64, now: i64) -> Option<Promise> {
        let mut inbound = 0i64;
        for lot in &self.lots {
            inbound = inbound.saturating_add(lot.quantity);
            if inbound >= end {
                return Some(lot_promise(lot, self.spread_days()));
            }
        }
        let days = self.lead_time_days?;
        let from = add_days(now, days)?;
        Some(Promise {
            from,
            to: add_days(from, self.spread_days())?,
            purchase_order_id: None,
        })
    }

    /// How many days an estimate may be late: a quarter of the lead time,
    /// at least two days and at most two weeks.
    fn spread_days(&self) -> i32 {
        (self.lead_time_days.unwrap_or(0).saturating_add(3) / 4).clamp(2, 14)
    }

    /// The earliest date a line of `short` more units could be promised if
    /// `backlog` units already wait: what the merchant can offer instead of
    /// accepting it now.
    pub fn earliest_date(&self, backlog: i64, short: i64, now: i64) -> Option<i64> {
        self.promise(backlog.saturating_add(short), now)
            .map(|p| p.from)
    }
}

/// The promise a lot gives: its day when confirmed, else a range of
/// `spread_days` (the lot's date is itself a lead-time estimate).
fn lot_promise(lot: &Lot, spread_days: i32) -> Promise {
    let to = if lot.confirmed {
        lot.expected_at
    } else {
        add_days(lot.expected_at, spread_days).unwrap_or(lot.expected_at)
    };
    Promise {
        from: lot.expected_at,
        to,
        purchase_order_id: Some(lot.purchase_order_id.clone()),
    }
}

/// `at` plus `days` calendar days (UTC); `None` past the calendar.
fn add_days(at: i64, days: i32) -> Option<i64> {
    let days = u64::try_from(days).unwrap_or(0);
    DateTime::<Utc>::from_timestamp_millis(at)?
        .checked_add_days(Days::new(days))
        .map(|t| t.timestamp_millis())
}

/// Re-promises a stretch of the queue: `lines` are (waiting units, current
/// promise) in queue order from its head; the answer has, for each line
/// whose promise moved, its index and new promise. Only lines that start
/// within `reach` inbound units are looked at: lines beyond both the old
/// and the new inbound units keep the lead-time promise they were given.
pub fn repromise(
    supply: &InboundSupply,
    lines: &[(i64, Option<Promise>)],
    reach: i64,
    start: i64,
    now: i64,
) -> (Vec<(usize, Option<Promise>)>, QueueWalk) {
    let mut moved = Vec::new();
    let mut position = start;
    for (i, (waiting, current)) in lines.iter().enumerate() {
        if position >= reach {
            return (moved, QueueWalk::Done);
        }
        position = position.saturating_add(*waiting);
        let promise = supply.promise(position, now);
        let changed = match (&promise, current) {
            (Some(new), old) => new.moved_from(old.as_ref()),
            (None, Some(_)) => true,
            (None, None) => false,
        };
        if changed {
            moved.push((i, promise));
        }
    }
    (moved, QueueWalk::More { position })
}

/// Where a walk of the queue stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueWalk {
    /// Every line within reach was looked at.
    Done,
    /// The lines given ran out at `position` units: read more.
    More {
        /// Units of the queue looked at so far.
        position: i64,
    },
}

#[cfg(test)]
mod tests;
