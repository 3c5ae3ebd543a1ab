//! The webhook worker: hands every recorded notification to the merchant's
//! endpoint and retries it until the endpoint answers 2xx or the retry
//! policy gives up (see [`crate::domain::webhook`]).
//!
//! Its queue is the `delivery` table: the webhook's row is committed with
//! the notification, so an event is never lost to a stop, and a row claimed
//! by a worker that died mid-call is due again after
//! [`RESEND_AFTER_MS`]. Delivery is at least once: the endpoint may see an
//! event twice (a stop between its answer and the record) and drops repeats
//! by the notification id.

use std::time::Duration;

use backorder_platform::ServiceResult;
use backorder_platform::server::Shutdown;
use backorder_platform::time::now_ms;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::dispatch::Dispatcher;
use crate::domain::RESEND_AFTER_MS;
use crate::domain::webhook::{Answer, Next};
use crate::sink::{WebhookEvent, WebhookSink};
use crate::store::delivery;
use crate::store::webhook::{self as store, Recorded};

/// Due deliveries read per round.
const BATCH: u64 = 50;
/// Longest wait between looks for due retries (new notifications wake the
/// worker at once).
const POLL_CEILING: Duration = Duration::from_secs(1);
/// Shortest wait between looks, however short the backoff.
const POLL_FLOOR: Duration = Duration::from_millis(50);

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Answered 2xx.
    pub delivered: usize,
    /// Failed, to be tried again.
    pub retrying: usize,
    /// Failed for good.
    pub given_up: usize,
}

/// Runs rounds until `shutdown`: at once, then whenever a notification is
/// recorded or every poll interval (the initial backoff, within 50 ms and
/// 1 s). A round cut short by the stop leaves its delivery claimed, to be
/// sent again once the claim ends.
pub async fn run(dispatcher: Dispatcher, mut shutdown: Shutdown) {
    let Some(webhook) = dispatcher.webhook() else {
        return;
    };
    let poll =
        Duration::from_millis(webhook.retry().initial_backoff_ms).clamp(POLL_FLOOR, POLL_CEILING);
    loop {
        tokio::select! {
            _ = shutdown.wait() => break,
            outcome = deliver_due(&dispatcher) => if let Err(error) = outcome {
                tracing::warn!(%error, "webhook round failed");
            },
        }
        tokio::select! {
            _ = shutdown.wait() => break,
            _ = dispatcher.webhook_woken() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
    tracing::debug!("webhook worker stopped");
}

/// Sends every webhook delivery due now, each claimed first so replicas
/// never send one at the same time. Ends the round at the first failure
/// that says the endpoint is down or busy: the rest would only hammer it.
pub async fn deliver_due(dispatcher: &Dispatcher) -> ServiceResult<Round> {
    let mut round = Round::default();
    let Some(webhook) = dispatcher.webhook() else {
        return Ok(round);
    };
    let db = &dispatcher.context().db;
    for delivery in store::due(db, now_ms(), BATCH).await? {
        let Some(seen) = delivery.next_attempt_at else {
            continue;
        };
        let now = now_ms();
        let until = now.saturating_add(RESEND_AFTER_MS);
        if !store::claim(db, &delivery.notification_id, seen, now, until).await? {
            continue;
        }
        let attempt = delivery.attempts.saturating_add(1);
        let answer = attempt_once(db, webhook, &delivery).await?;
        let next = match &answer {
            Ok(answer) => webhook.retry().next(answer, attempt, rand::random()),
            Err(_) => Next::GiveUp,
        };
        let reason = match &answer {
            Ok(answer) => answer.describe(),
            Err(reason) => reason.clone(),
        };
        let recorded = match next {
            Next::Delivered => Recorded::Delivered,
            Next::RetryAfter(wait) => Recorded::Retry {
                at: now_ms().saturating_add(wait),
                error: reason.clone(),
            },
            Next::GiveUp => Recorded::GaveUp {
                error: reason.clone(),
            },
        };
        let outcome = match next {
            Next::Delivered => "delivered",
            Next::RetryAfter(_) => "retrying",
            Next::GiveUp => "failed",
        };
        // Ids, counts and the endpoint's answer only: the body's message
        // names the customer and never reaches a log line.
        let http_status = match &answer {
            Ok(Answer::Status { code, .. }) => Some(*code),
            _ => None,
        };
        tracing::info!(
            notification.id = %delivery.notification_id,
            attempt,
            http_status,
            outcome,
            "webhook attempt"
        );
        if !matches!(next, Next::Delivered) {
            tracing::debug!(notification.id = %delivery.notification_id, %reason, "webhook failure");
        }
        if !store::record(db, &delivery.notification_id, until, recorded, now_ms()).await? {
            tracing::warn!(
                notification.id = %delivery.notification_id,
                "webhook outcome not recorded: the claim lapsed; it will be sent again"
            );
        }
        match next {
            Next::Delivered => round.delivered += 1,
            Next::GiveUp => round.given_up += 1,
            Next::RetryAfter(_) => {
                round.retrying += 1;
                if answer.as_ref().is_ok_and(Answer::is_transient) {
                    break;
                }
            }
        }
    }
    Ok(round)
}

/// One attempt for `delivery`: the endpoint's answer, or why no request
/// could be made (a missing notification, an unknown stored event), which
/// no retry can change.
async fn attempt_once(
    db: &DatabaseConnection,
    webhook: &WebhookSink,
    delivery: &delivery::Model,
) -> ServiceResult<Result<Answer, String>> {
    let Some(notification) = store::notification_of(db, &delivery.notification_id).await? else {
        return Ok(Err("the notification is missing".to_owned()));
    };
    let event = match notification.event() {
        Ok(event) => event,
        Err(error) => return Ok(Err(error.to_string())),
    };
    let Some(time) = DateTime::<Utc>::from_timestamp_millis(notification.created_at) else {
        return Ok(Err("the notification's time is out of range".to_owned()));
    };
    let body = WebhookEvent {
        notification_id: &notification.id,
        event: event.name(),
        customer_id: &notification.customer_id,
        order_id: &notification.order_id,
        line_id: Some(notification.line_id.as_str()).filter(|id| !id.is_empty()),
        message: &notification.message,
        time: WebhookEvent::time_of(time),
    };
    Ok(Ok(webhook.post(&body, Utc::now()).await))
}
