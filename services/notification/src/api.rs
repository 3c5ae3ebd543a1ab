//! gRPC handlers: validate and map requests, run each change in one
//! transaction (with its idempotency record), map results back. The rules
//! themselves live in [`crate::domain`]; the channels in [`crate::sink`].
//!
//! Delivery is exactly once per event per channel in the database (one
//! `delivery` row per notification and channel, written with the
//! notification) and at least once at the edge: the row is committed as
//! PENDING before the channel is called, so a crash between the two leaves
//! it pending and [`NotificationApi::resend_stale`] sends it again, and a
//! channel may then see it twice. Personal data (e-mail, phone, push token)
//! is never recorded in spans or logs: only notification ids, events,
//! channels and statuses are.

use std::collections::BTreeMap;
use std::time::Duration;

use backorder_platform::idempotency::IdempotencyKey;
use backorder_platform::ids::{Violations, parse_uuid};
use backorder_platform::paging::PageRequest;
use backorder_platform::service::ServiceContext;
use backorder_platform::time::{from_timestamp, now_ms, to_timestamp, to_timestamp_opt};
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::notification::v1 as pb;
use backorder_proto::notification::v1::notification_service_server::NotificationService;

use crate::domain::{
    self, Channel, Contact, DeliveryStatus, Event, MAX_DETAIL, MAX_NAME, MAX_SHIPPING_TEXT,
    MessageFacts, RESEND_AFTER_MS,
};
use crate::sink::{Outgoing, Sinks};
use crate::store::{customer, delivery, notification, queries};

/// Stale pending deliveries re-sent per round of the resender.
const RESEND_BATCH: u64 = 100;

/// The notification gRPC service.
#[derive(Clone)]
pub struct NotificationApi {
    context: ServiceContext,
    sinks: Sinks,
}

impl NotificationApi {
    /// Serves from the service's database, delivering through `sinks`.
    pub fn new(context: ServiceContext, sinks: Sinks) -> Self {
        Self { context, sinks }
    }
}

fn contact(customer: &customer::Model) -> Contact<'_> {
    Contact {
        email: &customer.email,
        phone: &customer.phone,
        push_token: &customer.push_token,
    }
}

fn customer_to_proto(customer: &customer::Model) -> pb::Customer {
    pb::Customer {
        id: customer.id.clone(),
        name: customer.name.clone(),
        email: customer.email.clone(),
        phone: customer.phone.clone(),
        push_token: customer.push_token.clone(),
        channels: domain::decode_channels(&customer.channels)
            .into_iter()
            .map(Channel::code)
            .collect(),
        update_time: Some(to_timestamp(customer.updated_at)),
    }
}

fn delivery_to_proto(delivery: &delivery::Model) -> pb::Delivery {
    pb::Delivery {
        channel: delivery.channel,
        status: delivery.status,
        send_time: to_timestamp_opt(delivery.sent_at),
        error: delivery.error.clone().unwrap_or_default(),
    }
}

fn notification_to_proto(
    notification: &notification::Model,
    deliveries: &[delivery::Model],
) -> pb::Notification {
    pb::Notification {
        id: notification.id.clone(),
        customer_id: notification.customer_id.clone(),
        order_id: notification.order_id.clone(),
        line_id: notification.line_id.clone(),
        event: notification.event,
        message: notification.message.clone(),
        deliveries: deliveries.iter().map(delivery_to_proto).collect(),
        create_time: Some(to_timestamp(notification.created_at)),
    }
}

fn check_length(v: &mut Violations, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        v.add(field, format!("must be at most {max} characters"));
    }
}

impl NotificationApi {
    /// The `UpsertCustomer` RPC.
    pub async fn upsert_customer(
        &self,
        req: pb::UpsertCustomerRequest,
    ) -> ServiceResult<pb::UpsertCustomerResponse> {
        let mut v = Violations::new();
        let mut channels = Vec::new();
        match &req.customer {
            None => v.add("customer", "is required"),
            Some(c) => {
                v.uuid("customer.id", &c.id);
                check_length(&mut v, "customer.name", c.name.trim(), MAX_NAME);
                let contact = Contact {
                    email: &c.email,
                    phone: &c.phone,
                    push_token: &c.push_token,
                };
                match domain::choose_channels(&c.channels, &contact) {
                    Ok(chosen) => channels = chosen,
                    Err(problems) => {
                        for p in problems {
                            v.add(format!("customer.{}", p.field), p.description);
                        }
                    }
                }
            }
        }
        v.finish()?;
        let key = IdempotencyKey::new("UpsertCustomer", &req.request_id, &req)?;
        let Some(c) = &req.customer else {
            return Err(ServiceError::invalid("customer", "is required"));
        };
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let model = customer::Model {
            id: c.id.clone(),
            name: c.name.trim().to_owned(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            push_token: c.push_token.clone(),
            channels: domain::encode_channels(&channels),
            updated_at: now_ms(),
        };
        queries::upsert_customer(&txn, model.clone()).await?;
        let response = pb::UpsertCustomerResponse {
            customer: Some(customer_to_proto(&model)),
        };
        key.save(&txn, &model.id, &response).await?;
        txn.commit().await?;
        Ok(response)
    }

    /// The `GetCustomer` RPC.
    pub async fn get_customer(
        &self,
        req: pb::GetCustomerRequest,
    ) -> ServiceResult<pb::GetCustomerResponse> {
        parse_uuid("customer_id", &req.customer_id)?;
        let customer = queries::find_customer(&self.context.db, &req.customer_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("customer", &req.customer_id))?;
        Ok(pb::GetCustomerResponse {
            customer: Some(customer_to_proto(&customer)),
        })
    }

    /// The `Notify` RPC. Records the notification and one PENDING delivery
    /// per channel of the customer in one transaction, then hands each
    /// delivery to its channel and records the outcome. A repeat of the
    /// same event sends nothing and returns the notification as it now
    /// stands.
    pub async fn notify(&self, req: pb::NotifyRequest) -> ServiceResult<pb::NotifyResponse> {
        let mut v = Violations::new();
        v.uuid("customer_id", &req.customer_id);
        v.uuid("order_id", &req.order_id);
        if !req.line_id.is_empty() {
            v.uuid("line_id", &req.line_id);
        }
        let event = Event::from_code(req.event);
        if event.is_none() {
            v.add(
                "event",
                if req.event == 0 {
                    "is required".to_owned()
                } else {
                    format!("{} is not a known event", req.event)
                },
            );
        }
        check_length(&mut v, "detail", &req.detail, MAX_DETAIL);
        check_length(
            &mut v,
            "tracking_number",
            &req.tracking_number,
            MAX_SHIPPING_TEXT,
        );
        check_length(&mut v, "carrier", &req.carrier, MAX_SHIPPING_TEXT);
        v.finish()?;
        let key = IdempotencyKey::new("Notify", &req.request_id, &req)?;
        let Some(event) = event else {
            return Err(ServiceError::invalid("event", "is required"));
        };
        let txn = self.context.begin().await?;
        if key.replay::<pb::NotifyResponse, _>(&txn).await?.is_some() {
            // The stored answer showed the deliveries as pending; the
            // caller wants them as they are now.
            txn.rollback().await?;
            tracing::debug!(notification.id = %key.request_id(), "repeated event, nothing sent");
            return self.current(key.request_id()).await;
        }
        let customer = queries::find_customer(&txn, &req.customer_id).await?;
        let now = now_ms();
        let message = domain::render_message(&MessageFacts {
            event,
            customer_name: customer.as_ref().map_or("", |c| c.name.as_str()),
            order_id: &req.order_id,
            about_line: !req.line_id.is_empty(),
            detail: &req.detail,
            eta_ms: req.eta.as_ref().map(from_timestamp),
            tracking_number: &req.tracking_number,
            carrier: &req.carrier,
        });
        let notification = notification::Model {
            id: key.request_id().to_owned(),
            customer_id: req.customer_id.clone(),
            order_id: req.order_id.clone(),
            line_id: req.line_id.clone(),
            event: event.code(),
            message,
            created_at: now,
        };
        let channels = customer
            .as_ref()
            .map(|c| domain::decode_channels(&c.channels))
            .unwrap_or_default();
        let deliveries: Vec<delivery::Model> = channels
            .iter()
            .map(|channel| delivery::Model {
                notification_id: notification.id.clone(),
                channel: channel.code(),
                status: DeliveryStatus::Pending.code(),
                error: None,
                sent_at: None,
                attempted_at: now,
            })
            .collect();
        queries::insert_notification(&txn, notification.clone(), deliveries.clone()).await?;
        let response = pb::NotifyResponse {
            notification: Some(notification_to_proto(&notification, &deliveries)),
        };
        key.save(&txn, &notification.id, &response).await?;
        txn.commit().await?;
        tracing::info!(
            notification.id = %notification.id,
            event = event.name(),
            deliveries = deliveries.len(),
            "notification recorded"
        );
        // Sent on its own task: a caller that gives up (deadline, cancel)
        // must not cut a delivery short between channel and record.
        let api = self.clone();
        let id = notification.id.clone();
        let sending = tokio::spawn(async move {
            api.deliver(&notification, customer.as_ref(), &deliveries)
                .await;
        });
        if let Err(error) = sending.await {
            tracing::warn!(notification.id = %id, %error, "delivery task failed; pending deliveries will be re-sent");
        }
        self.current(&id).await
    }

    /// The notification `id` with its deliveries, as stored now.
    async fn current(&self, id: &str) -> ServiceResult<pb::NotifyResponse> {
        let db = &self.context.db;
        let notification = queries::find_notification(db, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("notification", id))?;
        let deliveries = queries::deliveries_of(db, vec![id.to_owned()]).await?;
        Ok(pb::NotifyResponse {
            notification: Some(notification_to_proto(&notification, &deliveries)),
        })
    }

    /// Hands each delivery of `notification` to its channel and records the
    /// outcome (SENT, or FAILED with the reason). A delivery whose outcome
    /// cannot be recorded stays PENDING and is sent again later.
    async fn deliver(
        &self,
        notification: &notification::Model,
        customer: Option<&customer::Model>,
        deliveries: &[delivery::Model],
    ) {
        let event = Event::from_code(notification.event);
        let event_name = event.map_or("unknown", Event::name);
        let subject = event.map_or("About your order", Event::subject);
        for delivery in deliveries {
            let Some(channel) = Channel::from_code(delivery.channel) else {
                continue;
            };
            let address = customer.and_then(|c| contact(c).address(channel));
            let now = now_ms();
            let outcome = match address {
                Some(to) => self
                    .sinks
                    .send(
                        channel,
                        &Outgoing {
                            notification_id: &notification.id,
                            event: event_name,
                            subject,
                            to,
                            message: &notification.message,
                            time_ms: now,
                        },
                    )
                    .await
                    .map_err(|e| e.to_string()),
                None => Err(format!(
                    "the customer has no {} for {}",
                    channel.address_field(),
                    channel.proto_name()
                )),
            };
            let (status, error) = match outcome {
                Ok(()) => (DeliveryStatus::Sent, None),
                Err(reason) => (DeliveryStatus::Failed, Some(reason)),
            };
            // The reason may quote the address (an SMTP refusal does): it
            // goes to the database, never to the log.
            tracing::info!(
                notification.id = %notification.id,
                event = event_name,
                channel = channel.name(),
                status = status.name(),
                "delivery handed over"
            );
            if let Err(error) = queries::finish_delivery(
                &self.context.db,
                &notification.id,
                delivery.channel,
                status,
                error,
                now,
            )
            .await
            {
                tracing::warn!(
                    notification.id = %notification.id,
                    channel = channel.name(),
                    %error,
                    "delivery outcome not recorded; it will be sent again"
                );
            }
        }
    }

    /// Sends again every delivery still PENDING [`RESEND_AFTER_MS`] after
    /// its last attempt (the service stopped between recording and
    /// sending). Each is claimed first, so replicas never both re-send it.
    /// Returns how many were re-sent.
    pub async fn resend_stale(&self) -> ServiceResult<usize> {
        let db = &self.context.db;
        let now = now_ms();
        let stale = queries::stale_pending(db, now - RESEND_AFTER_MS, RESEND_BATCH).await?;
        let mut resent = 0;
        for delivery in stale {
            if !domain::is_due_for_resend(delivery.attempted_at, now)
                || !queries::claim_delivery(
                    db,
                    &delivery.notification_id,
                    delivery.channel,
                    delivery.attempted_at,
                    now,
                )
                .await?
            {
                continue;
            }
            let Some(notification) =
                queries::find_notification(db, &delivery.notification_id).await?
            else {
                continue;
            };
            let customer = queries::find_customer(db, &notification.customer_id).await?;
            self.deliver(
                &notification,
                customer.as_ref(),
                std::slice::from_ref(&delivery),
            )
            .await;
            resent += 1;
        }
        Ok(resent)
    }

    /// Runs [`Self::resend_stale`] every `every`, for the life of the
    /// process. Started before migrations finish: early rounds may fail and
    /// are retried.
    pub fn spawn_resender(self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match self.resend_stale().await {
                    Ok(0) => {}
                    Ok(count) => tracing::info!(count, "re-sent pending deliveries"),
                    Err(error) => tracing::warn!(%error, "re-sending pending deliveries failed"),
                }
            }
        })
    }

    /// The `ListNotifications` RPC.
    pub async fn list_notifications(
        &self,
        req: pb::ListNotificationsRequest,
    ) -> ServiceResult<pb::ListNotificationsResponse> {
        let mut v = Violations::new();
        let customer_id = (!req.customer_id.is_empty()).then_some(req.customer_id.as_str());
        let order_id = (!req.order_id.is_empty()).then_some(req.order_id.as_str());
        if let Some(id) = customer_id {
            v.uuid("customer_id", id);
        }
        if let Some(id) = order_id {
            v.uuid("order_id", id);
        }
        if customer_id.is_none() && order_id.is_none() {
            v.add(
                "customer_id",
                "set customer_id, order_id or both to choose whose notifications to list",
            );
        }
        v.finish()?;
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let after = match page.after.as_deref() {
            Some(key) => Some(
                key.split_once('|')
                    .and_then(|(at, id)| at.parse::<i64>().ok().map(|at| (at, id)))
                    .ok_or_else(|| {
                        ServiceError::invalid("page_token", "is not a token of this list")
                    })?,
            ),
            None => None,
        };
        let db = &self.context.db;
        let rows =
            queries::list_notifications(db, customer_id, order_id, after, page.fetch_limit())
                .await?;
        let (rows, next_page_token) = page.finish(rows, |n| format!("{}|{}", n.created_at, n.id));
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
                notification_to_proto(
                    n,
                    by_notification
                        .get(n.id.as_str())
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                )
            })
            .collect();
        Ok(pb::ListNotificationsResponse {
            notifications,
            next_page_token,
        })
    }
}

backorder_platform::grpc_service! {
    NotificationService => NotificationApi {
        fn upsert_customer(pb::UpsertCustomerRequest) -> pb::UpsertCustomerResponse;
        fn get_customer(pb::GetCustomerRequest) -> pb::GetCustomerResponse;
        fn notify(pb::NotifyRequest) -> pb::NotifyResponse;
        fn list_notifications(pb::ListNotificationsRequest) -> pb::ListNotificationsResponse;
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use backorder_platform::config::DatabaseSettings;
    use backorder_platform::ids::new_id_string;
    use backorder_platform::outbox::OutboxSignal;
    use tonic::Code;

    use super::*;
    use crate::sink::FileSink;
    use crate::store::Migrator;

    struct Harness {
        api: NotificationApi,
        dir: PathBuf,
    }

    impl Harness {
        async fn new() -> Self {
            let settings = DatabaseSettings {
                url: "sqlite::memory:".to_owned(),
                password_file: None,
                max_connections: 1,
            };
            let db = backorder_platform::db::connect(&settings)
                .await
                .expect("in-memory database");
            backorder_platform::db::migrate::<Migrator>(&db)
                .await
                .expect("migrations");
            let dir =
                std::env::temp_dir().join(format!("notification-api-test-{}", new_id_string()));
            let context = ServiceContext {
                db,
                outbox: OutboxSignal::new(),
                peers: BTreeMap::new(),
            };
            Self {
                api: NotificationApi::new(context, Sinks::new(FileSink::new(&dir), None)),
                dir,
            }
        }

        async fn lines(&self, channel: Channel) -> Vec<serde_json::Value> {
            let path = self.dir.join(format!("{}.log", channel.name()));
            match tokio::fs::read_to_string(&path).await {
                Ok(text) => text
                    .lines()
                    .map(|l| serde_json::from_str(l).expect("json line"))
                    .collect(),
                Err(_) => Vec::new(),
            }
        }

        async fn add_customer(&self, id: &str, channels: &[Channel]) -> pb::Customer {
            self.api
                .upsert_customer(pb::UpsertCustomerRequest {
                    request_id: new_id_string(),
                    customer: Some(pb::Customer {
                        id: id.to_owned(),
                        name: "Ana".to_owned(),
                        email: "ana@example.com".to_owned(),
                        phone: "+4915112345678".to_owned(),
                        push_token: String::new(),
                        channels: channels.iter().map(|c| c.code()).collect(),
                        update_time: None,
                    }),
                })
                .await
                .expect("customer stored")
                .customer
                .expect("customer")
        }
    }

    impl Drop for Harness {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn notify_request(customer_id: &str, order_id: &str, event: Event) -> pb::NotifyRequest {
        pb::NotifyRequest {
            request_id: new_id_string(),
            customer_id: customer_id.to_owned(),
            order_id: order_id.to_owned(),
            line_id: new_id_string(),
            event: event.code(),
            eta: Some(to_timestamp(1_796_117_400_000)),
            tracking_number: String::new(),
            carrier: String::new(),
            detail: "SKU-1 x 2".to_owned(),
        }
    }

    #[tokio::test]
    async fn notify_delivers_once_per_channel_and_repeats_send_nothing() {
        let h = Harness::new().await;
        let customer_id = new_id_string();
        h.add_customer(&customer_id, &[Channel::Email, Channel::Sms])
            .await;
        let req = notify_request(&customer_id, &new_id_string(), Event::Backordered);
        let first = h
            .api
            .notify(req.clone())
            .await
            .expect("notified")
            .notification
            .expect("notification");
        assert_eq!(first.id, req.request_id);
        assert!(first.message.contains("2026-12-01"), "{}", first.message);
        assert_eq!(first.deliveries.len(), 2);
        for d in &first.deliveries {
            assert_eq!(d.status, DeliveryStatus::Sent.code());
            assert!(d.send_time.is_some());
        }
        let emails = h.lines(Channel::Email).await;
        assert_eq!(emails.len(), 1);
        assert_eq!(emails[0]["to"], "ana@example.com");
        assert_eq!(emails[0]["event"], "backordered");
        assert_eq!(emails[0]["notification_id"], req.request_id.as_str());
        assert_eq!(h.lines(Channel::Sms).await.len(), 1);

        let again = h
            .api
            .notify(req.clone())
            .await
            .expect("replayed")
            .notification
            .expect("notification");
        assert_eq!(again, first, "the repeat returns the stored notification");
        assert_eq!(h.lines(Channel::Email).await.len(), 1, "nothing sent twice");
        assert_eq!(h.lines(Channel::Sms).await.len(), 1, "nothing sent twice");

        let mut other = req.clone();
        other.detail = "something else".to_owned();
        let error = h.api.notify(other).await.expect_err("request id reused");
        assert_eq!(error.code(), Code::AlreadyExists);
    }

    #[tokio::test]
    async fn unknown_customer_gets_a_notification_without_deliveries() {
        let h = Harness::new().await;
        let order_id = new_id_string();
        let response = h
            .api
            .notify(notify_request(
                &new_id_string(),
                &order_id,
                Event::OrderConfirmed,
            ))
            .await
            .expect("notified")
            .notification
            .expect("notification");
        assert!(response.deliveries.is_empty());
        assert!(
            response.message.starts_with("Hello, "),
            "{}",
            response.message
        );
        let listed = h
            .api
            .list_notifications(pb::ListNotificationsRequest {
                order_id,
                ..Default::default()
            })
            .await
            .expect("listed");
        assert_eq!(listed.notifications, vec![response]);
    }

    #[tokio::test]
    async fn stale_pending_deliveries_are_sent_again_once() {
        let h = Harness::new().await;
        let customer_id = new_id_string();
        h.add_customer(&customer_id, &[Channel::Sms]).await;
        // As if the service stopped right after committing the notification.
        let id = new_id_string();
        let long_ago = now_ms() - RESEND_AFTER_MS - 1_000;
        queries::insert_notification(
            &h.api.context.db,
            notification::Model {
                id: id.clone(),
                customer_id: customer_id.clone(),
                order_id: new_id_string(),
                line_id: String::new(),
                event: Event::Ready.code(),
                message: "Hello Ana, your order is in stock and ready to ship.".to_owned(),
                created_at: long_ago,
            },
            vec![delivery::Model {
                notification_id: id.clone(),
                channel: Channel::Sms.code(),
                status: DeliveryStatus::Pending.code(),
                error: None,
                sent_at: None,
                attempted_at: long_ago,
            }],
        )
        .await
        .expect("inserted");
        // A fresh pending delivery is left alone: its first send may be
        // under way.
        let fresh = new_id_string();
        queries::insert_notification(
            &h.api.context.db,
            notification::Model {
                id: fresh.clone(),
                customer_id: customer_id.clone(),
                order_id: new_id_string(),
                line_id: String::new(),
                event: Event::Ready.code(),
                message: "fresh".to_owned(),
                created_at: now_ms(),
            },
            vec![delivery::Model {
                notification_id: fresh.clone(),
                channel: Channel::Sms.code(),
                status: DeliveryStatus::Pending.code(),
                error: None,
                sent_at: None,
                attempted_at: now_ms(),
            }],
        )
        .await
        .expect("inserted");

        assert_eq!(h.api.resend_stale().await.expect("resent"), 1);
        assert_eq!(h.api.resend_stale().await.expect("nothing left"), 0);
        let sms = h.lines(Channel::Sms).await;
        assert_eq!(sms.len(), 1);
        assert_eq!(sms[0]["notification_id"], id.as_str());
        assert_eq!(sms[0]["to"], "+4915112345678");
        let stored = h
            .api
            .current(&id)
            .await
            .expect("stored")
            .notification
            .expect("n");
        assert_eq!(stored.deliveries[0].status, DeliveryStatus::Sent.code());
        let untouched = h
            .api
            .current(&fresh)
            .await
            .expect("stored")
            .notification
            .expect("n");
        assert_eq!(
            untouched.deliveries[0].status,
            DeliveryStatus::Pending.code()
        );
    }

    #[tokio::test]
    async fn a_channel_without_its_address_fails_the_delivery() {
        let h = Harness::new().await;
        let customer_id = new_id_string();
        let stored = h.add_customer(&customer_id, &[Channel::Email]).await;
        assert_eq!(stored.channels, vec![Channel::Email.code()]);
        // The push token is gone but PUSH is still stored as chosen (as if
        // written by an older version): the delivery fails, visibly.
        queries::upsert_customer(
            &h.api.context.db,
            customer::Model {
                id: customer_id.clone(),
                name: "Ana".to_owned(),
                email: "ana@example.com".to_owned(),
                phone: String::new(),
                push_token: String::new(),
                channels: domain::encode_channels(&[Channel::Email, Channel::Push]),
                updated_at: now_ms(),
            },
        )
        .await
        .expect("stored");
        let n = h
            .api
            .notify(notify_request(
                &customer_id,
                &new_id_string(),
                Event::Cancelled,
            ))
            .await
            .expect("notified")
            .notification
            .expect("notification");
        let statuses: Vec<(i32, i32)> =
            n.deliveries.iter().map(|d| (d.channel, d.status)).collect();
        assert_eq!(
            statuses,
            vec![
                (Channel::Email.code(), DeliveryStatus::Sent.code()),
                (Channel::Push.code(), DeliveryStatus::Failed.code()),
            ]
        );
        assert!(n.deliveries[1].error.contains("push_token"));
    }

    #[tokio::test]
    async fn customers_are_validated_stored_and_read_back() {
        let h = Harness::new().await;
        let customer_id = new_id_string();
        let request = pb::UpsertCustomerRequest {
            request_id: new_id_string(),
            customer: Some(pb::Customer {
                id: customer_id.clone(),
                name: " Ana ".to_owned(),
                email: String::new(),
                phone: "+4915112345678".to_owned(),
                push_token: "tok-1".to_owned(),
                channels: vec![Channel::Push.code(), Channel::Sms.code()],
                update_time: None,
            }),
        };
        let stored = h
            .api
            .upsert_customer(request.clone())
            .await
            .expect("stored")
            .customer
            .expect("customer");
        assert_eq!(stored.name, "Ana");
        assert_eq!(
            stored.channels,
            vec![Channel::Sms.code(), Channel::Push.code()]
        );
        let replayed = h.api.upsert_customer(request).await.expect("replayed");
        assert_eq!(replayed.customer.as_ref(), Some(&stored));
        let read = h
            .api
            .get_customer(pb::GetCustomerRequest {
                customer_id: customer_id.clone(),
            })
            .await
            .expect("found")
            .customer
            .expect("customer");
        assert_eq!(read, stored);

        let missing = h
            .api
            .get_customer(pb::GetCustomerRequest {
                customer_id: new_id_string(),
            })
            .await
            .expect_err("unknown customer");
        assert_eq!(missing.code(), Code::NotFound);

        for (channels, email, phone) in [
            (vec![Channel::Sms.code()], "", ""),
            (vec![], "ana@example.com", ""),
            (vec![0], "ana@example.com", ""),
            (vec![Channel::Email.code()], "ana@example", ""),
        ] {
            let error = h
                .api
                .upsert_customer(pb::UpsertCustomerRequest {
                    request_id: new_id_string(),
                    customer: Some(pb::Customer {
                        id: customer_id.clone(),
                        name: "Ana".to_owned(),
                        email: email.to_owned(),
                        phone: phone.to_owned(),
                        push_token: String::new(),
                        channels,
                        update_time: None,
                    }),
                })
                .await
                .expect_err("invalid customer");
            assert_eq!(error.code(), Code::InvalidArgument, "{error}");
        }
    }

    #[tokio::test]
    async fn notify_and_list_refuse_malformed_requests() {
        let h = Harness::new().await;
        let mut req = notify_request(&new_id_string(), &new_id_string(), Event::Ready);
        req.event = 0;
        req.line_id = "not-a-uuid".to_owned();
        match h.api.notify(req).await {
            Err(ServiceError::InvalidArgument(violations)) => {
                let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
                assert_eq!(fields, vec!["line_id", "event"]);
            }
            other => panic!("expected invalid argument, got {other:?}"),
        }
        let error = h
            .api
            .list_notifications(pb::ListNotificationsRequest::default())
            .await
            .expect_err("no filter");
        assert_eq!(error.code(), Code::InvalidArgument);
    }

    #[tokio::test]
    async fn the_grpc_service_serves_the_handlers() {
        use backorder_proto::notification::v1::notification_service_client::NotificationServiceClient;
        use backorder_proto::notification::v1::notification_service_server::NotificationServiceServer;
        use tonic::transport::Server;
        use tonic::transport::server::TcpIncoming;

        let h = Harness::new().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let server = tokio::spawn(
            Server::builder()
                .add_service(NotificationServiceServer::new(h.api.clone()))
                .serve_with_incoming(TcpIncoming::from(listener)),
        );
        let mut client = NotificationServiceClient::connect(format!("http://{address}"))
            .await
            .expect("connected");
        let customer_id = new_id_string();
        h.add_customer(&customer_id, &[Channel::Email]).await;
        let n = client
            .notify(notify_request(
                &customer_id,
                &new_id_string(),
                Event::EtaKnown,
            ))
            .await
            .expect("notified over gRPC")
            .into_inner()
            .notification
            .expect("notification");
        assert_eq!(n.deliveries.len(), 1);
        assert_eq!(n.deliveries[0].status, DeliveryStatus::Sent.code());
        let status = client
            .get_customer(pb::GetCustomerRequest {
                customer_id: "nope".to_owned(),
            })
            .await
            .expect_err("malformed id");
        assert_eq!(status.code(), Code::InvalidArgument);
        server.abort();
    }

    #[tokio::test]
    async fn notifications_are_listed_oldest_first_in_pages() {
        let h = Harness::new().await;
        let customer_id = new_id_string();
        let order_id = new_id_string();
        let mut ids = Vec::new();
        for event in [Event::OrderConfirmed, Event::Backordered, Event::Ready] {
            let req = notify_request(&customer_id, &order_id, event);
            ids.push(req.request_id.clone());
            h.api.notify(req).await.expect("notified");
        }
        // Another order of the same customer.
        h.api
            .notify(notify_request(
                &customer_id,
                &new_id_string(),
                Event::Shipped,
            ))
            .await
            .expect("notified");
        let first = h
            .api
            .list_notifications(pb::ListNotificationsRequest {
                customer_id: customer_id.clone(),
                order_id: order_id.clone(),
                page_size: 2,
                page_token: String::new(),
            })
            .await
            .expect("first page");
        assert_eq!(
            first
                .notifications
                .iter()
                .map(|n| n.id.clone())
                .collect::<Vec<_>>(),
            ids[..2].to_vec()
        );
        assert!(!first.next_page_token.is_empty());
        let second = h
            .api
            .list_notifications(pb::ListNotificationsRequest {
                customer_id: customer_id.clone(),
                order_id,
                page_size: 2,
                page_token: first.next_page_token,
            })
            .await
            .expect("second page");
        assert_eq!(
            second
                .notifications
                .iter()
                .map(|n| n.id.clone())
                .collect::<Vec<_>>(),
            ids[2..].to_vec()
        );
        assert!(second.next_page_token.is_empty());
        let all_of_customer = h
            .api
            .list_notifications(pb::ListNotificationsRequest {
                customer_id,
                ..Default::default()
            })
            .await
            .expect("customer's");
        assert_eq!(all_of_customer.notifications.len(), 4);
    }
}
