//! The resender: sends again the deliveries a stop left pending between
//! recording and sending, so delivery is at least once at the channel.

use std::time::Duration;

use backorder_platform::ServiceResult;
use backorder_platform::server::Shutdown;
use backorder_platform::time::now_ms;
use tokio::time::MissedTickBehavior;

use crate::dispatch::Dispatcher;
use crate::domain::{RESEND_AFTER_MS, is_due_for_resend};
use crate::store::queries;

/// Stale pending deliveries re-sent per round.
const RESEND_BATCH: u64 = 100;

/// Runs a round at once (deliveries left pending by the previous run are
/// due by now), then one every `every`, until `shutdown`. A round cut short
/// by the stop leaves its delivery pending, to be sent again after a
/// restart; waiting for it instead could hold the stop for a whole SMTP
/// timeout per delivery.
pub async fn run(dispatcher: Dispatcher, every: Duration, mut shutdown: Shutdown) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.wait() => break,
            _ = ticks.tick() => {}
        }
        tokio::select! {
            _ = shutdown.wait() => break,
            outcome = resend_stale(&dispatcher) => match outcome {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "re-sent pending deliveries"),
                Err(error) => tracing::warn!(%error, "re-sending pending deliveries failed"),
            },
        }
    }
    tracing::debug!("resender stopped");
}

/// Sends again every delivery still PENDING [`RESEND_AFTER_MS`] after its
/// last attempt. Each is claimed first, so replicas never both re-send it.
/// Returns how many were re-sent.
pub async fn resend_stale(dispatcher: &Dispatcher) -> ServiceResult<usize> {
    let context = dispatcher.context();
    let db = &context.db;
    let now = now_ms();
    let stale = queries::stale_pending(db, now - RESEND_AFTER_MS, RESEND_BATCH).await?;
    let mut resent = 0;
    for delivery in stale {
        if !is_due_for_resend(delivery.attempted_at, now) {
            continue;
        }
        let (id, channel, seen) = (
            delivery.notification_id.clone(),
            delivery.channel,
            delivery.attempted_at,
        );
        let claimed = context
            .internal(move |work| {
                Box::pin(async move {
                    Ok(queries::claim_delivery(work.db(), &id, channel, seen, now).await?)
                })
            })
            .await?;
        if !claimed {
            continue;
        }
        let Some((notification, customer)) =
            queries::notification_and_customer(db, &delivery.notification_id).await?
        else {
            tracing::warn!(
                notification.id = %delivery.notification_id,
                "pending delivery without its notification"
            );
            continue;
        };
        dispatcher
            .deliver(
                &notification,
                customer.as_ref(),
                std::slice::from_ref(&delivery),
            )
            .await;
        resent += 1;
    }
    Ok(resent)
}

#[cfg(test)]
mod tests {
    use backorder_platform::ids::new_id_string;

    use super::*;
    use crate::domain::{Channel, DeliveryStatus, Event};
    use crate::store::{delivery, notification};
    use crate::test_support::Harness;

    async fn pending(h: &Harness, customer_id: &str, attempted_at: i64) -> String {
        let id = new_id_string();
        queries::insert_notification(
            h.db(),
            notification::Model {
                id: id.clone(),
                customer_id: customer_id.to_owned(),
                order_id: new_id_string(),
                line_id: String::new(),
                event: Event::Ready.code(),
                message: "Hello Ana, your order is in stock and ready to ship.".to_owned(),
                created_at: attempted_at,
            },
            vec![delivery::Model::pending(&id, Channel::Sms, attempted_at)],
        )
        .await
        .expect("inserted");
        id
    }

    async fn status(h: &Harness, id: &str) -> i32 {
        let deliveries = queries::deliveries_of(h.db(), vec![id.to_owned()])
            .await
            .expect("read");
        deliveries[0].status
    }

    #[tokio::test]
    async fn stale_pending_deliveries_are_sent_again_once() {
        let h = Harness::new().await;
        let customer_id = new_id_string();
        h.add_customer(&customer_id, &[Channel::Sms]).await;
        // As if the service stopped right after committing the notification.
        let stale = pending(&h, &customer_id, now_ms() - RESEND_AFTER_MS - 1_000).await;
        // A fresh pending delivery is left alone: its first send may be
        // under way.
        let fresh = pending(&h, &customer_id, now_ms()).await;

        assert_eq!(resend_stale(h.api.dispatcher()).await.expect("resent"), 1);
        assert_eq!(
            resend_stale(h.api.dispatcher())
                .await
                .expect("nothing left"),
            0
        );
        let sms = h.lines(Channel::Sms).await;
        assert_eq!(sms.len(), 1);
        assert_eq!(sms[0]["notification_id"], stale.as_str());
        assert_eq!(sms[0]["to"], "+4915112345678");
        assert_eq!(status(&h, &stale).await, DeliveryStatus::Sent.code());
        assert_eq!(status(&h, &fresh).await, DeliveryStatus::Pending.code());
    }
}
