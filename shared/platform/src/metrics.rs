//! Gauges of a service's measures, exported with the traces (see
//! [`crate::telemetry`]).
//!
//! The SDK calls a gauge's callback on its export thread, and a callback
//! that waited there on the database would hold up every export. So a
//! worker reads the measures every `metrics.interval_seconds` and keeps the
//! latest reading in memory, and the callbacks only report that reading.
//! With metrics not exported, neither the worker nor the gauges exist.

use std::future::Future;
use std::sync::{Arc, RwLock};

use opentelemetry::metrics::{AsyncInstrument, Meter};
use sea_orm::DatabaseConnection;
use tokio::time::MissedTickBehavior;

use crate::error::ServiceResult;
use crate::server::Shutdown;
use crate::service::ServiceContext;
use crate::time::now_ms;

/// The latest reading of a worker, shared with the gauge callbacks.
pub struct Latest<T>(Arc<RwLock<Option<T>>>);

impl<T> Clone for Latest<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Default for Latest<T> {
    fn default() -> Self {
        Self(Arc::new(RwLock::new(None)))
    }
}

impl<T> Latest<T> {
    /// Replaces the reading.
    pub fn set(&self, value: T) {
        if let Ok(mut latest) = self.0.write() {
            *latest = Some(value);
        }
    }

    /// `read` applied to the reading; `None` before the first one.
    pub fn read<R>(&self, read: impl FnOnce(&T) -> R) -> Option<R> {
        self.0
            .read()
            .ok()
            .and_then(|latest| latest.as_ref().map(read))
    }
}

/// Seconds since `since` (Unix ms); 0 for `None` or a time ahead of this
/// clock.
pub fn age_seconds(since: Option<i64>) -> f64 {
    since.map_or(0.0, |since| {
        // Ages need no more than f64's 53 bits of precision.
        #[allow(clippy::cast_precision_loss)]
        let ms = now_ms().saturating_sub(since).max(0) as f64;
        ms / 1000.0
    })
}

/// Gauges over one reading of type `T`.
pub struct Gauges<T> {
    meter: Meter,
    latest: Latest<T>,
}

impl<T: Send + Sync + 'static> Gauges<T> {
    /// A gauge of one value of the reading, reported once there is one.
    pub fn f64(
        &self,
        name: &'static str,
        description: &'static str,
        unit: &'static str,
        value: impl Fn(&T) -> f64 + Send + Sync + 'static,
    ) -> &Self {
        self.f64_each(name, description, unit, move |reading, gauge| {
            gauge.observe(value(reading), &[]);
        })
    }

    /// Like [`Gauges::f64`], for a count.
    pub fn i64(
        &self,
        name: &'static str,
        description: &'static str,
        unit: &'static str,
        value: impl Fn(&T) -> i64 + Send + Sync + 'static,
    ) -> &Self {
        self.i64_each(name, description, unit, move |reading, gauge| {
            gauge.observe(value(reading), &[]);
        })
    }

    /// A gauge reporting any number of values of the reading, each with its
    /// attributes (one per destination, say).
    pub fn f64_each(
        &self,
        name: &'static str,
        description: &'static str,
        unit: &'static str,
        observe: impl Fn(&T, &dyn AsyncInstrument<f64>) + Send + Sync + 'static,
    ) -> &Self {
        let latest = self.latest.clone();
        self.meter
            .f64_observable_gauge(name)
            .with_description(description)
            .with_unit(unit)
            .with_callback(move |gauge| {
                latest.read(|reading| observe(reading, gauge));
            })
            .build();
        self
    }

    /// Like [`Gauges::f64_each`], for counts.
    pub fn i64_each(
        &self,
        name: &'static str,
        description: &'static str,
        unit: &'static str,
        observe: impl Fn(&T, &dyn AsyncInstrument<i64>) + Send + Sync + 'static,
    ) -> &Self {
        let latest = self.latest.clone();
        self.meter
            .i64_observable_gauge(name)
            .with_description(description)
            .with_unit(unit)
            .with_callback(move |gauge| {
                latest.read(|reading| observe(reading, gauge));
            })
            .build();
        self
    }
}

/// When the service exports metrics: registers a worker named `name` that
/// runs `read` on the service's database every `metrics.interval_seconds`
/// (first at start) and returns the gauges over its latest reading. `None`,
/// and no worker, when metrics are not exported.
///
/// A failed reading keeps the previous one: a database that is briefly
/// unreachable should not make the gauges drop out.
pub fn sampled<T, F, Fut>(
    context: &ServiceContext,
    name: &'static str,
    read: F,
) -> Option<Gauges<T>>
where
    T: Send + Sync + 'static,
    F: Fn(DatabaseConnection) -> Fut + Send + 'static,
    Fut: Future<Output = ServiceResult<T>> + Send + 'static,
{
    let meter = context.meter()?.clone();
    let latest = Latest::default();
    let (db, every, writer) = (
        context.db.clone(),
        context.metrics_interval(),
        latest.clone(),
    );
    context.spawn_worker(name, move |mut shutdown: Shutdown| async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.wait() => break,
                _ = ticker.tick() => {}
            }
            tokio::select! {
                () = shutdown.wait() => break,
                reading = read(db.clone()) => match reading {
                    Ok(reading) => writer.set(reading),
                    Err(error) => tracing::debug!(worker = name, %error, "reading skipped"),
                },
            }
        }
        tracing::debug!(worker = name, "stopped");
    });
    Some(Gauges { meter, latest })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_is_absent_until_set_then_replaced() {
        let latest = Latest::default();
        assert_eq!(latest.read(|v: &i64| *v), None);
        latest.set(3);
        latest.clone().set(4);
        assert_eq!(latest.read(|v| *v), Some(4));
    }

    #[test]
    fn ages_are_never_negative() {
        assert!(age_seconds(None).abs() < f64::EPSILON);
        assert!(age_seconds(Some(now_ms() + 60_000)).abs() < f64::EPSILON);
        let minute = age_seconds(Some(now_ms() - 60_000));
        assert!((59.0..70.0).contains(&minute), "{minute}");
    }
}
