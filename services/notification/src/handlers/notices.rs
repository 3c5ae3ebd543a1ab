//! `Notify` and `ListNotifications`: recording each event once, sending it
//! on the customer's channels, and reading notifications back.

use std::collections::BTreeMap;

use backorder_platform::time::now_ms;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::notification::v1 as pb;
use sea_orm::DatabaseTransaction;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::NotificationApi;
use crate::convert::{self, Listing};
use crate::domain::{Notice, wording};
use crate::store::{customer, delivery, notification, queries};

/// A notification this call recorded, with what sending it needs.
struct Recorded {
    notification: notification::Model,
    customer: Option<customer::Model>,
    deliveries: Vec<delivery::Model>,
}

impl NotificationApi {
    /// The `Notify` RPC. Records the notification and one PENDING delivery
    /// per channel of the customer as one unit of work, then hands each
    /// delivery to its channel and records the outcome. A repeat of the
    /// same event (a retry, a twin delivery running at the same time, or a
    /// redelivery after its stored answer expired) sends nothing and
    /// returns the notification as it now stands.
    pub async fn notify(&self, req: pb::NotifyRequest) -> ServiceResult<pb::NotifyResponse> {
        let notice = Notice::try_from(&req)?;
        let id = notice.id;
        // Filled only by the call that records the event, so only that call
        // sends it; a twin waits on the claim and gets the stored answer.
        let (recorded_tx, recorded_rx) = oneshot::channel();
        let webhook = self.dispatcher.webhook().is_some();
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    work.set_resource(notice.id.to_string());
                    let db = work.db();
                    if let Some(existing) = queries::find_notification(db, notice.id).await? {
                        return stored_answer(db, &notice, existing).await;
                    }
                    let recorded = record(db, &notice, webhook).await?;
                    let response = pb::NotifyResponse {
                        notification: Some(convert::notification_to_proto(
                            &recorded.notification,
                            &recorded.deliveries,
                        )?),
                    };
                    let _ = recorded_tx.send(recorded);
                    Ok(response)
                })
            })
            .await?;
        // The stored answer shows the deliveries as pending; the caller
        // wants them as they are now.
        if let Ok(recorded) = recorded_rx.await {
            if webhook {
                self.dispatcher.wake_webhook();
            }
            let notification = recorded.notification.clone();
            if let Some(deliveries) = self.send(recorded).await {
                return Ok(pb::NotifyResponse {
                    notification: Some(convert::notification_to_proto(&notification, &deliveries)?),
                });
            }
        } else {
            tracing::debug!(notification.id = %id, "repeated event, nothing sent");
        }
        self.current(id).await
    }

    /// Hands a just-recorded notification to its channels; the deliveries
    /// as stored afterwards, when every outcome was recorded.
    async fn send(&self, recorded: Recorded) -> Option<Vec<delivery::Model>> {
        tracing::info!(
            notification.id = %recorded.notification.id,
            event = recorded.notification.event().map_or("unknown", |e| e.name()),
            deliveries = recorded.deliveries.len(),
            "notification recorded"
        );
        // Sent on its own task: a caller that gives up (deadline, cancel)
        // must not cut a delivery short between channel and record.
        let dispatcher = self.dispatcher.clone();
        let id = recorded.notification.id.clone();
        let sending = tokio::spawn(async move {
            dispatcher
                .deliver(
                    &recorded.notification,
                    recorded.customer.as_ref(),
                    &recorded.deliveries,
                )
                .await
        });
        match sending.await {
            Ok(finished) => finished,
            Err(error) => {
                tracing::warn!(notification.id = %id, %error, "delivery task failed; pending deliveries will be re-sent");
                None
            }
        }
    }

    /// The notification `id` with its deliveries, as stored now.
    async fn current(&self, id: Uuid) -> ServiceResult<pb::NotifyResponse> {
        let db = &self.context.db;
        let notification = queries::find_notification(db, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("notification", id.to_string()))?;
        let deliveries = queries::deliveries_of(db, vec![notification.id.clone()]).await?;
        Ok(pb::NotifyResponse {
            notification: Some(convert::notification_to_proto(&notification, &deliveries)?),
        })
    }

    /// The `ListNotifications` RPC.
    pub async fn list_notifications(
        &self,
        req: pb::ListNotificationsRequest,
    ) -> ServiceResult<pb::ListNotificationsResponse> {
        let listing = Listing::try_from(&req)?;
        let db = &self.context.db;
        let after = listing.after.as_ref().map(|(at, id)| (*at, id.as_str()));
        let rows = queries::list_notifications(
            db,
            listing.customer_id,
            listing.order_id,
            after,
            listing.page.fetch_limit(),
        )
        .await?;
        let (rows, next_page_token) = listing.page.finish(rows, convert::page_key);
        let deliveries =
            queries::deliveries_of(db, rows.iter().map(|n| n.id.clone()).collect()).await?;
        let mut by_notification: BTreeMap<&str, Vec<delivery::Model>> = BTreeMap::new();
        for delivery in &deliveries {
            by_notification
                .entry(delivery.notification_id.as_str())
                .or_default()
                .push(delivery.clone());
        }
        let notifications = rows
            .iter()
            .map(|n| {
                let of_n = by_notification.get(n.id.as_str());
                convert::notification_to_proto(n, of_n.map(Vec::as_slice).unwrap_or_default())
            })
            .collect::<ServiceResult<_>>()?;
        Ok(pb::ListNotificationsResponse {
            notifications,
            next_page_token,
        })
    }
}

/// Records `notice`: its text, addressed to the customer as stored now, and
/// one pending delivery per channel the customer chose (none for a customer
/// not known yet), plus one to the merchant's `webhook` when there is one,
/// whoever the customer is.
async fn record(
    db: &DatabaseTransaction,
    notice: &Notice,
    webhook: bool,
) -> ServiceResult<Recorded> {
    let customer = queries::find_customer(db, notice.customer_id).await?;
    let channels = match &customer {
        Some(c) => c
            .channels()
            .map_err(|e| convert::corrupt(&format!("customer {}", c.id), e))?,
        None => Vec::new(),
    };
    let name = customer.as_ref().map_or("", |c| c.name.as_str());
    let message = wording::render_message(&notice.facts(name));
    let now = now_ms();
    let notification = notification::Model::new(notice, message, now);
    let deliveries: Vec<delivery::Model> = channels
        .iter()
        .map(|channel| delivery::Model::pending(&notification.id, *channel, now))
        .collect();
    let mut rows = deliveries.clone();
    if webhook {
        rows.push(delivery::Model::webhook(&notification.id, now));
    }
    queries::insert_notification(db, notification.clone(), rows).await?;
    Ok(Recorded {
        notification,
        customer,
        deliveries,
    })
}

/// The answer to an event recorded earlier whose stored answer has expired:
/// the notification as it stands, when the request is about the same event.
async fn stored_answer(
    db: &DatabaseTransaction,
    notice: &Notice,
    existing: notification::Model,
) -> ServiceResult<pb::NotifyResponse> {
    let same_event = existing.customer_id == notice.customer_id.to_string()
        && existing.order_id == notice.order_id.to_string()
        && existing.line_id == notice.line_id.map(|id| id.to_string()).unwrap_or_default()
        && existing.event == notice.event.code();
    if !same_event {
        return Err(ServiceError::AlreadyExists {
            reason: "REQUEST_ID_REUSED",
            message: format!(
                "request_id {} already recorded another event; use a new request_id for a new event",
                notice.id
            ),
        });
    }
    let deliveries = queries::deliveries_of(db, vec![existing.id.clone()]).await?;
    Ok(pb::NotifyResponse {
        notification: Some(convert::notification_to_proto(&existing, &deliveries)?),
    })
}
