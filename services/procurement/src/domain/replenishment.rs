//! Replenishment: ordering before a SKU runs short. From the SKU's daily
//! demand (mean and sample standard deviation over its history), its
//! supplier's lead time `L` and a target service level:
//!
//! - z = the standard normal quantile of the service level,
//! - safety stock = ceil(z * sd * sqrt(L)),
//! - reorder point = ceil(mean * L) + safety stock,
//! - position = available + on order - backlog,
//! - order quantity = reorder point + ceil(mean * L) - position while the
//!   position is below the reorder point, else 0.
//!
//! The order quantity is what brings the position up to the reorder point
//! plus one more lead time of mean demand; MOQ and case pack are applied
//! where the units go on a draft, as for any demand.

use statrs::function::erf::erfc_inv;

use super::MAX_QUANTITY;

/// Lowest target service level, in percent: below it z would be negative
/// and the safety stock would eat into the mean demand over the lead time.
pub const MIN_SERVICE_LEVEL_PERCENT: f64 = 50.0;
/// Highest target service level, in percent: past it z (and the stock it
/// asks for) grows without bound for little gain.
pub const MAX_SERVICE_LEVEL_PERCENT: f64 = 99.9;
/// Fewest days of history a plan is computed from.
pub const MIN_HISTORY_DAYS: i32 = 7;
/// Most days of history a plan is computed from (what inventory answers).
pub const MAX_HISTORY_DAYS: i32 = 365;
/// Shortest lead time a plan uses, in days. Demand is counted per day, and
/// units ordered today arrive at the earliest by the end of it, so a
/// supplier stating 0 days is still planned as one day of demand (with 0,
/// the reorder point would be 0 and nothing would be ordered before the
/// shelf is empty).
pub const MIN_PLANNED_LEAD_TIME_DAYS: i32 = 1;

/// Mean and sample standard deviation of daily demand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DemandStats {
    /// Mean units per day.
    pub mean: f64,
    /// Sample standard deviation (n - 1 in the denominator) of units per
    /// day; 0 with fewer than two days.
    pub stddev: f64,
}

/// The statistics of `daily_units` (a negative count is read as none; no
/// days is no demand).
pub fn demand_stats(daily_units: &[i64]) -> DemandStats {
    let values: Vec<f64> = daily_units.iter().map(|u| (*u).max(0) as f64).collect();
    let n = values.len() as f64;
    if values.is_empty() {
        return DemandStats {
            mean: 0.0,
            stddev: 0.0,
        };
    }
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return DemandStats { mean, stddev: 0.0 };
    }
    let squares: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    DemandStats {
        mean,
        stddev: (squares / (n - 1.0)).sqrt(),
    }
}

/// z for a service level in percent: the standard normal quantile
/// Φ⁻¹(p) = -√2 · erfc⁻¹(2p). Levels outside the accepted range (which
/// stored policies never hold) are clamped into it, so z is always finite
/// and at least 0.
pub fn z_for_service_level(percent: f64) -> f64 {
    let percent = if percent.is_nan() {
        MIN_SERVICE_LEVEL_PERCENT
    } else {
        percent.clamp(MIN_SERVICE_LEVEL_PERCENT, MAX_SERVICE_LEVEL_PERCENT)
    };
    let z = -std::f64::consts::SQRT_2 * erfc_inv(2.0 * percent / 100.0);
    // Φ⁻¹(0.5) is 0; the series may leave a tiny negative remainder.
    z.max(0.0)
}

/// What a plan is computed from.
#[derive(Clone, Copy, Debug)]
pub struct PlanInputs<'a> {
    /// Units ordered per day, oldest first.
    pub daily_units: &'a [i64],
    /// The supplier's lead time, in days (floored at
    /// [`MIN_PLANNED_LEAD_TIME_DAYS`]).
    pub lead_time_days: i32,
    /// Target service level, in percent.
    pub service_level_percent: f64,
    /// Available now, every warehouse.
    pub available: i64,
    /// Units on open purchase orders not yet received.
    pub on_order: i64,
    /// Units waiting for stock.
    pub backlog_units: i64,
}

/// A SKU's replenishment plan and the numbers behind it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// Demand statistics.
    pub stats: DemandStats,
    /// z of the service level.
    pub z: f64,
    /// Safety stock, units.
    pub safety_stock: i64,
    /// Reorder point, units.
    pub reorder_point: i64,
    /// available + on order - backlog.
    pub position: i64,
    /// Units to order now (0 at or above the reorder point).
    pub order_quantity: i64,
}

/// `x` rounded up to whole units, never negative. A float past `i64`
/// saturates and NaN is 0 (Rust's `as` does both), so absurd histories
/// give huge plans rather than a panic.
fn ceil_units(x: f64) -> i64 {
    (x.ceil() as i64).max(0)
}

/// The plan for `inputs`.
pub fn plan(inputs: &PlanInputs<'_>) -> Plan {
    let stats = demand_stats(inputs.daily_units);
    let z = z_for_service_level(inputs.service_level_percent);
    let lead_time = f64::from(inputs.lead_time_days.max(MIN_PLANNED_LEAD_TIME_DAYS));
    let safety_stock = ceil_units(z * stats.stddev * lead_time.sqrt());
    let lead_time_demand = ceil_units(stats.mean * lead_time);
    let reorder_point = lead_time_demand.saturating_add(safety_stock);
    let position = inputs
        .available
        .saturating_add(inputs.on_order)
        .saturating_sub(inputs.backlog_units);
    let order_quantity = if position < reorder_point {
        reorder_point
            .saturating_add(lead_time_demand)
            .saturating_sub(position)
    } else {
        0
    };
    Plan {
        stats,
        z,
        safety_stock,
        reorder_point,
        position,
        order_quantity,
    }
}

/// Units one replenishment demand raises for an order quantity: all of it
/// up to the bound on a single demand ([`MAX_QUANTITY`]); `None` for
/// nothing. A larger need is met over several receipts, as each receipt
/// closes the demand and the next run raises again.
pub fn demand_units(order_quantity: i64) -> Option<i64> {
    (order_quantity > 0).then(|| order_quantity.min(MAX_QUANTITY))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= tolerance
    }

    #[test]
    fn mean_and_sample_standard_deviation() {
        let stats = demand_stats(&[2, 4, 4, 4, 5, 5, 7, 9]);
        assert!(close(stats.mean, 5.0, 1e-12));
        // Sum of squares 32 over 7 degrees of freedom.
        assert!(close(stats.stddev, (32.0_f64 / 7.0).sqrt(), 1e-12));
    }

    #[test]
    fn no_history_or_one_day_has_no_spread() {
        assert_eq!(
            demand_stats(&[]),
            DemandStats {
                mean: 0.0,
                stddev: 0.0
            }
        );
        assert_eq!(
            demand_stats(&[6]),
            DemandStats {
                mean: 6.0,
                stddev: 0.0
            }
        );
        assert_eq!(demand_stats(&[3, 3, 3]).stddev, 0.0, "zero variance");
        assert_eq!(demand_stats(&[-4, 4]).mean, 2.0, "negative read as none");
    }

    #[test]
    fn z_matches_the_standard_normal_table() {
        for (percent, z) in [
            (50.0, 0.0),
            (84.1345, 1.0),
            (90.0, 1.281_551_6),
            (95.0, 1.644_853_6),
            (97.5, 1.959_964_0),
            (99.0, 2.326_347_9),
            (99.9, 3.090_232_3),
        ] {
            let got = z_for_service_level(percent);
            assert!(close(got, z, 1e-4), "{percent}%: {got} not {z}");
        }
    }

    #[test]
    fn z_is_finite_and_never_negative_whatever_the_input() {
        assert_eq!(z_for_service_level(10.0), 0.0);
        assert_eq!(z_for_service_level(f64::NAN), 0.0);
        assert!(close(z_for_service_level(100.0), 3.090_232_3, 1e-4));
        assert!(z_for_service_level(f64::INFINITY).is_finite());
    }

    fn inputs(daily: &[i64], lead: i32, level: f64) -> PlanInputs<'_> {
        PlanInputs {
            daily_units: daily,
            lead_time_days: lead,
            service_level_percent: level,
            available: 0,
            on_order: 0,
            backlog_units: 0,
        }
    }

    #[test]
    fn a_known_history_gives_the_textbook_numbers() {
        // Mean 10, sd sqrt(56/13), L = 4, 95 %: ss = ceil(1.6449 * 2.0755
        // * 2) = 7, ROP = 40 + 7 = 47.
        let daily = [8, 12, 8, 12, 8, 12, 8, 12, 8, 12, 8, 12, 8, 12];
        let plan = plan(&PlanInputs {
            available: 20,
            on_order: 12,
            backlog_units: 5,
            ..inputs(&daily, 4, 95.0)
        });
        assert!(close(plan.stats.mean, 10.0, 1e-12));
        assert!(close(plan.stats.stddev, (56.0_f64 / 13.0).sqrt(), 1e-12));
        assert_eq!(plan.safety_stock, 7);
        assert_eq!(plan.reorder_point, 47);
        assert_eq!(plan.position, 27);
        assert_eq!(plan.order_quantity, 47 + 40 - 27);
    }

    #[test]
    fn at_or_above_the_reorder_point_nothing_is_ordered() {
        let daily = [5; 10];
        let at = plan(&PlanInputs {
            available: 10,
            ..inputs(&daily, 2, 99.0)
        });
        assert_eq!((at.safety_stock, at.reorder_point), (0, 10), "no spread");
        assert_eq!(at.order_quantity, 0);
        let above = plan(&PlanInputs {
            available: 8,
            on_order: 30,
            backlog_units: 1,
            ..inputs(&daily, 2, 99.0)
        });
        assert_eq!(above.position, 37);
        assert_eq!(above.order_quantity, 0);
        let below = plan(&PlanInputs {
            available: 9,
            ..inputs(&daily, 2, 99.0)
        });
        assert_eq!(below.order_quantity, 10 + 10 - 9);
    }

    #[test]
    fn no_history_orders_only_what_the_backlog_lacks() {
        let plan = plan(&PlanInputs {
            available: 2,
            backlog_units: 7,
            ..inputs(&[], 10, 95.0)
        });
        assert_eq!((plan.safety_stock, plan.reorder_point), (0, 0));
        assert_eq!(plan.position, -5);
        assert_eq!(plan.order_quantity, 5, "brings the position back to 0");
        let idle = super::plan(&inputs(&[0; 30], 10, 95.0));
        assert_eq!(idle.order_quantity, 0);
    }

    #[test]
    fn a_lead_time_of_zero_is_planned_as_one_day() {
        let daily = [3, 5, 4];
        let zero = plan(&inputs(&daily, 0, 95.0));
        let one = plan(&inputs(&daily, 1, 95.0));
        assert_eq!(zero, one);
        assert_eq!(zero.reorder_point, 4 + 2, "ceil(4) + ceil(1.6449 * 1)");
    }

    #[test]
    fn a_service_level_of_50_percent_keeps_no_safety_stock() {
        let plan = plan(&inputs(&[1, 9, 1, 9], 9, 50.0));
        assert_eq!(plan.safety_stock, 0);
        assert_eq!(plan.reorder_point, 45);
    }

    #[test]
    fn absurd_numbers_saturate_instead_of_overflowing() {
        let daily = [i64::MAX, 0];
        let plan = plan(&PlanInputs {
            available: i64::MIN,
            backlog_units: i64::MAX,
            ..inputs(&daily, 3650, 99.9)
        });
        assert_eq!(plan.reorder_point, i64::MAX);
        assert_eq!(plan.position, i64::MIN);
        assert_eq!(plan.order_quantity, i64::MAX);
    }

    #[test]
    fn one_demand_carries_at_most_the_demand_bound() {
        assert_eq!(demand_units(0), None);
        assert_eq!(demand_units(-3), None);
        assert_eq!(demand_units(60), Some(60));
        assert_eq!(demand_units(i64::MAX), Some(MAX_QUANTITY));
    }
}
