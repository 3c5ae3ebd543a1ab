//! Stored codes no version knows are refused with an error, never read as
//! some default.

use backorder_platform::ids::new_id_string;
use backorder_platform::time::now_ms;
use backorder_proto::notification::v1 as pb;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tonic::Code;

use crate::domain::{Channel, DeliveryStatus, Event, RESEND_AFTER_MS};
use crate::store::{customer, delivery, notification, queries};
use crate::test_support::{Harness, notify_request};
use crate::workers::resender::resend_stale;

#[tokio::test]
async fn an_unknown_stored_delivery_status_or_event_fails_the_read() {
    let h = Harness::new().await;
    let customer_id = new_id_string();
    h.add_customer(&customer_id, &[Channel::Sms]).await;
    let order_id = new_id_string();
    let req = notify_request(&customer_id, &order_id, Event::Ready);
    h.api.notify(req.clone()).await.expect("notified");
    let list = || {
        h.api.list_notifications(pb::ListNotificationsRequest {
            order_id: order_id.clone(),
            ..Default::default()
        })
    };
    assert_eq!(list().await.expect("listed").notifications.len(), 1);

    delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(9))
        .filter(delivery::Column::NotificationId.eq(req.request_id.clone()))
        .exec(h.db())
        .await
        .expect("status damaged");
    let error = list().await.expect_err("status 9 is no status");
    assert_eq!(error.code(), Code::Internal);
    assert!(
        error.to_string().contains("delivery status code 9"),
        "{error}"
    );

    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            Expr::value(DeliveryStatus::Sent.code()),
        )
        .exec(h.db())
        .await
        .expect("status repaired");
    notification::Entity::update_many()
        .col_expr(notification::Column::Event, Expr::value(0))
        .exec(h.db())
        .await
        .expect("event damaged");
    let error = list().await.expect_err("event 0 is no event");
    assert_eq!(error.code(), Code::Internal);
}

#[tokio::test]
async fn an_unknown_stored_channel_refuses_the_customer_and_records_nothing() {
    let h = Harness::new().await;
    let customer_id = new_id_string();
    h.add_customer(&customer_id, &[Channel::Email]).await;
    customer::Entity::update_many()
        .col_expr(customer::Column::Channels, Expr::value("1,9"))
        .exec(h.db())
        .await
        .expect("channels damaged");
    let error = h
        .api
        .get_customer(pb::GetCustomerRequest {
            customer_id: customer_id.clone(),
        })
        .await
        .expect_err("channel 9 is no channel");
    assert_eq!(error.code(), Code::Internal);

    // Before, the unknown channel was dropped: the customer silently lost
    // a channel. Now the event waits (the caller retries) until repaired.
    let req = notify_request(&customer_id, &new_id_string(), Event::Ready);
    let error = h.api.notify(req.clone()).await.expect_err("refused");
    assert_eq!(error.code(), Code::Internal);
    let id = req.request_id.parse().expect("uuid");
    assert!(
        queries::find_notification(h.db(), id)
            .await
            .expect("read")
            .is_none(),
        "nothing half-recorded"
    );
    assert!(h.lines(Channel::Email).await.is_empty());
}

#[tokio::test]
async fn a_pending_delivery_of_an_unknown_event_fails_visibly_instead_of_sending() {
    let h = Harness::new().await;
    let customer_id = new_id_string();
    h.add_customer(&customer_id, &[Channel::Sms]).await;
    let id = new_id_string();
    let long_ago = now_ms() - RESEND_AFTER_MS - 1_000;
    queries::insert_notification(
        h.db(),
        notification::Model {
            id: id.clone(),
            customer_id,
            order_id: new_id_string(),
            line_id: String::new(),
            event: 42,
            message: "Hello Ana.".to_owned(),
            created_at: long_ago,
        },
        vec![delivery::Model::pending(&id, Channel::Sms, long_ago)],
    )
    .await
    .expect("inserted");
    assert_eq!(resend_stale(h.api.dispatcher()).await.expect("round"), 1);
    let stored = delivery::Entity::find()
        .filter(delivery::Column::NotificationId.eq(id))
        .one(h.db())
        .await
        .expect("read")
        .expect("delivery");
    assert_eq!(stored.status, DeliveryStatus::Failed.code());
    let reason = stored.error.unwrap_or_default();
    assert!(reason.contains("event code 42"), "{reason}");
    assert!(h.lines(Channel::Sms).await.is_empty(), "nothing guessed");
}
