//! Every interval: one replenishment pass (demand raised for SKUs below
//! their reorder point), one pass over supplier schedules (drafts old
//! enough submitted), then one pass over open purchase orders (late ones
//! marked delayed and their order lines told), each in a trace of its own.
//! The delay pass shares this loop, and its interval, because all three
//! are periodic sweeps of the same purchase orders and a day-grained delay
//! needs no finer clock. Several replicas may run it at once: the database
//! keeps one open replenishment demand per SKU, a draft changes from draft
//! to submitted once, and a late purchase order is marked by whichever
//! replica's guarded write still finds the delay it read.

use std::time::Duration;

use backorder_platform::server::Shutdown;
use backorder_platform::time::now_ms;
use tokio::time::MissedTickBehavior;
use tracing::{Instrument, field};

use crate::handlers::ProcurementApi;
use crate::handlers::delays::Delayed;
use crate::handlers::replenishment::Replenished;
use crate::handlers::schedule::Submitted;

/// What one run of the worker did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Run {
    /// The replenishment pass.
    pub replenished: Replenished,
    /// The scheduled-submission pass.
    pub submitted: Submitted,
    /// The delay pass.
    pub delayed: Delayed,
}

/// Registers the worker with the service; it stops when the service does
/// (a run under way is abandoned, its unit of work rolled back).
pub fn spawn(api: ProcurementApi, interval: Duration) {
    let context = api.context().clone();
    context.spawn_worker("replenisher", move |mut shutdown: Shutdown| async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.wait() => break,
                _ = ticker.tick() => {}
            }
            tokio::select! {
                () = shutdown.wait() => break,
                _ = run_once(&api) => {}
            }
        }
        tracing::debug!("replenisher stopped");
    });
}

/// One run: a replenishment pass, a scheduled-submission pass, then a
/// delay pass.
pub async fn run_once(api: &ProcurementApi) -> Run {
    let span = tracing::info_span!(
        parent: None,
        "procurement.replenishment_run",
        otel.name = "replenishment run",
        planned = field::Empty,
        raised = field::Empty,
        failed = field::Empty,
    );
    let replenished = api.replenish().instrument(span.clone()).await;
    span.record("planned", replenished.planned);
    span.record("raised", replenished.raised);
    span.record("failed", replenished.failed);

    let span = tracing::info_span!(
        parent: None,
        "procurement.schedule_run",
        otel.name = "scheduled submission run",
        submitted = field::Empty,
        failed = field::Empty,
    );
    let submitted = api
        .submit_due_drafts(now_ms())
        .instrument(span.clone())
        .await;
    span.record("submitted", submitted.submitted);
    span.record("failed", submitted.failed);

    let span = tracing::info_span!(
        parent: None,
        "procurement.delay_run",
        otel.name = "late purchase order run",
        delayed = field::Empty,
        failed = field::Empty,
    );
    let delayed = api.catch_delays(now_ms()).instrument(span.clone()).await;
    span.record("delayed", delayed.delayed);
    span.record("failed", delayed.failed);
    Run {
        replenished,
        submitted,
        delayed,
    }
}
