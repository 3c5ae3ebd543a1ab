//! Handing recorded deliveries to their channels, and recording how it went:
//! right after `Notify` commits, and again by the resender for deliveries a
//! stop left pending.
//!
//! Delivery is exactly once per event per channel in the database (one
//! `delivery` row per notification and channel, written with the
//! notification) and at least once at the channel: the row is committed as
//! PENDING before the channel is called, so a crash between the two leaves
//! it pending and the resender sends it again, and a channel may then see
//! it twice. Addresses and names never reach a log line or span: only ids,
//! events, channels and statuses do.
//!
//! The merchant's webhook is not sent from here: its delivery row is
//! committed with the notification and the webhook worker
//! ([`crate::workers::webhook`]) sends and retries it, so a slow endpoint
//! never holds up `Notify`.

use std::sync::Arc;

use backorder_platform::service::ServiceContext;
use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::domain::{Channel, Contact, DeliveryStatus, wording};
use crate::sink::{Outgoing, Sinks, WebhookSink};
use crate::store::{customer, delivery, notification, queries};

/// Sends deliveries through the sinks and records their outcome.
#[derive(Clone)]
pub struct Dispatcher {
    context: ServiceContext,
    sinks: Sinks,
    // Rings when a notification with a webhook delivery is committed, so
    // the webhook worker sends it now rather than at its next look.
    webhook_due: Arc<Notify>,
}

impl Dispatcher {
    /// Records in the database of `context`, sends through `sinks`.
    pub fn new(context: ServiceContext, sinks: Sinks) -> Self {
        Self {
            context,
            sinks,
            webhook_due: Arc::new(Notify::new()),
        }
    }

    /// The service's context (database, units of work).
    pub fn context(&self) -> &ServiceContext {
        &self.context
    }

    /// The merchant's webhook, when configured.
    pub fn webhook(&self) -> Option<&WebhookSink> {
        self.sinks.webhook()
    }

    /// Tells the webhook worker that a webhook delivery was committed.
    pub fn wake_webhook(&self) {
        self.webhook_due.notify_one();
    }

    /// Returns once [`Dispatcher::wake_webhook`] was called (at once if it
    /// was called since the last return).
    pub async fn webhook_woken(&self) {
        self.webhook_due.notified().await;
    }

    /// Hands each of `deliveries` of `notification` to its channel and
    /// records the outcome (SENT, or FAILED with the reason). A delivery
    /// whose outcome cannot be recorded stays PENDING and is sent again
    /// later. Returns the deliveries as now stored when this call recorded
    /// every outcome, `None` when one was recorded elsewhere or not at all.
    pub async fn deliver(
        &self,
        notification: &notification::Model,
        customer: Option<&customer::Model>,
        deliveries: &[delivery::Model],
    ) -> Option<Vec<delivery::Model>> {
        let contact = customer.map(customer::Model::contact);
        let mut finished = Some(Vec::with_capacity(deliveries.len()));
        for delivery in deliveries {
            let at = Utc::now();
            let (status, error) = match self
                .hand_over(notification, contact.as_ref(), delivery, at)
                .await
            {
                Ok(()) => (DeliveryStatus::Sent, None),
                Err(reason) => (DeliveryStatus::Failed, Some(reason)),
            };
            // The reason may quote the address (an SMTP refusal does): it
            // goes to the database, never to the log.
            let channel = delivery.channel().map_or("unknown", Channel::name);
            tracing::info!(
                notification.id = %notification.id,
                event = notification.event().map_or("unknown", |e| e.name()),
                channel,
                status = status.name(),
                "delivery handed over"
            );
            // One statement, guarded on PENDING: it needs no transaction.
            let recorded = queries::finish_delivery(
                &self.context.db,
                &notification.id,
                delivery.channel,
                status,
                error.clone(),
                at.timestamp_millis(),
            )
            .await;
            match recorded {
                Ok(true) => {
                    if let Some(finished) = finished.as_mut() {
                        finished.push(delivery::Model {
                            status: status.code(),
                            error,
                            sent_at: Some(at.timestamp_millis()),
                            ..delivery.clone()
                        });
                    }
                }
                Ok(false) => finished = None,
                Err(error) => {
                    finished = None;
                    tracing::warn!(
                        notification.id = %notification.id,
                        channel,
                        %error,
                        "delivery outcome not recorded; it will be sent again"
                    );
                }
            }
        }
        finished
    }

    /// Sends one delivery; the error is the reason stored with it. A stored
    /// event or channel code no version knows fails the delivery visibly
    /// instead of sending something guessed.
    async fn hand_over(
        &self,
        notification: &notification::Model,
        contact: Option<&Contact>,
        delivery: &delivery::Model,
        at: DateTime<Utc>,
    ) -> Result<(), String> {
        let event = notification.event().map_err(|e| e.to_string())?;
        let channel = delivery.channel().map_err(|e| e.to_string())?;
        let to = contact.and_then(|c| c.address(channel)).ok_or_else(|| {
            format!(
                "the customer has no {} for {}",
                channel.address_field(),
                channel.proto_name()
            )
        })?;
        let out = Outgoing {
            notification_id: &notification.id,
            event: event.name(),
            subject: wording::subject(event),
            to,
            message: &notification.message,
            time: at,
        };
        self.sinks
            .send(channel, &out)
            .await
            .map_err(|e| e.to_string())
    }
}
