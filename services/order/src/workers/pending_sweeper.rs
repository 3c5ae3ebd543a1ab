//! Resumes orders left PENDING: inventory was unreachable when they were
//! placed, or the process stopped mid-placement, and the caller may never
//! retry. Each pending order has its own next-attempt time that backs off
//! while it keeps failing, so a few stubborn orders never starve the rest.
//! Several replicas may sweep at once: an attempt is booked by a
//! conditional update first, and inventory reserves idempotently by order
//! id anyway.

use std::time::Duration;

use backorder_platform::server::Shutdown;
use backorder_platform::time::now_ms;
use tokio::time::MissedTickBehavior;

use crate::domain::sweep::Backoff;
use crate::handlers::OrderApi;
use crate::store::queries::{self, PendingOrder};

/// When and how much the sweeper works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Time between sweeps.
    pub interval: Duration,
    /// Most orders tried per sweep.
    pub batch_size: u64,
    /// Delay before an order is tried again.
    pub backoff: Backoff,
}

/// Registers the sweeper with the service; it stops when the service does
/// (a sweep under way is abandoned, its unit of work rolled back).
pub fn spawn(api: OrderApi, schedule: Schedule) {
    let context = api.context().clone();
    context.spawn_worker(
        "pending-order sweeper",
        move |mut shutdown: Shutdown| async move {
            let mut ticker = tokio::time::interval(schedule.interval);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = shutdown.wait() => break,
                    _ = ticker.tick() => {}
                }
                tokio::select! {
                    () = shutdown.wait() => break,
                    _ = sweep(&api, &schedule) => {}
                }
            }
            tracing::debug!("pending-order sweeper stopped");
        },
    );
}

/// Tries every pending order that is due once; returns how many it tried.
pub async fn sweep(api: &OrderApi, schedule: &Schedule) -> usize {
    let now = now_ms();
    let due = match queries::due_pending_orders(&api.context().db, now, schedule.batch_size).await {
        Ok(due) => due,
        Err(error) => {
            tracing::debug!(%error, "pending sweep skipped");
            return 0;
        }
    };
    let mut tried = 0;
    for pending in due {
        if !book(
            api,
            &pending,
            now.saturating_add(schedule.backoff.delay_ms(pending.attempts)),
        )
        .await
        {
            continue;
        }
        tried += 1;
        let id = pending.order.id;
        if let Err(error) = api.resume_pending(pending).await {
            tracing::warn!(order.id = %id, %error, "resuming a pending order failed");
        }
    }
    tried
}

/// Books the attempt before making it, so a failure leaves the order
/// backed off; `false` when another sweeper booked it or it is done.
async fn book(api: &OrderApi, pending: &PendingOrder, next_attempt_at: i64) -> bool {
    let (order_id, due_at) = (pending.order.id, pending.next_attempt_at);
    let booked = api
        .context()
        .internal(move |work| {
            Box::pin(queries::claim_attempt(
                work.db(),
                order_id,
                due_at,
                next_attempt_at,
            ))
        })
        .await;
    match booked {
        Ok(booked) => booked,
        Err(error) => {
            tracing::warn!(order.id = %order_id, %error, "booking a pending order's attempt failed");
            false
        }
    }
}
