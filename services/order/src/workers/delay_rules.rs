//! The delay-rule worker: an offered delay nobody answered in time
//! follows the merchant's rule (keep waiting, or cancel the line).
//!
//! Several replicas may run it: each offer is settled in a unit of work
//! that claims it with an update guarded on its still being open, so only
//! one replica (or the customer's own answer, whichever comes first) acts
//! on it.

use std::time::Duration;

use backorder_platform::ServiceResult;
use backorder_platform::server::Shutdown;
use backorder_platform::time::now_ms;
use tokio::time::MissedTickBehavior;

use crate::handlers::OrderApi;
use crate::store::queries;

/// Overdue offers read per round.
const BATCH: u64 = 50;

/// Registers the worker with the service; it stops when the service does
/// (a round under way is abandoned, its unit of work rolled back).
pub fn spawn(api: OrderApi, interval: Duration) {
    let context = api.context().clone();
    context.spawn_worker(
        "delay-rule worker",
        move |mut shutdown: Shutdown| async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = shutdown.wait() => break,
                    _ = ticker.tick() => {}
                }
                tokio::select! {
                    () = shutdown.wait() => break,
                    round = apply_due(&api) => if let Err(error) = round {
                        tracing::warn!(%error, "delay-rule round failed");
                    },
                }
            }
            tracing::debug!("delay-rule worker stopped");
        },
    );
}

/// Applies the rule to every offer overdue now, once; returns how many
/// this call settled.
pub async fn apply_due(api: &OrderApi) -> ServiceResult<usize> {
    let due = queries::due_offers(&api.context().db, now_ms(), BATCH).await?;
    let mut settled = 0;
    for offer in &due {
        match api.apply_delay_rule(offer).await {
            Ok(true) => settled += 1,
            Ok(false) => {}
            Err(error) => tracing::warn!(
                order.id = %offer.order_id,
                line.id = %offer.line_id,
                %error,
                "applying the delay rule failed"
            ),
        }
    }
    Ok(settled)
}
