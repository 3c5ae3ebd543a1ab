use std::time::Duration;

use backorder_proto::notification::v1 as pb;
use notification::domain::{Channel, DeliveryStatus, Event};
use notification::store::{delivery, notification as notice};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{TestService, call, eventually, notify};

/// The relay may deliver one message twice at once (a lease that lapsed, a
/// replica that took over); before, the twin inserted the notification
/// again and failed on the key. Now the twin waits on the request-id claim
/// and answers with what the first recorded, and only the first sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_notify_twice_at_once_is_recorded_once_and_sent_once_per_channel() {
    let service = TestService::spawn("notification_twins").await;
    let customer_id = service
        .add_customer("Ana", "ana@example.com", "+4915112345678")
        .await;
    let (a, b) = (service.client().await, service.client().await);
    for _ in 0..5 {
        let request = notify(&customer_id, Event::OrderConfirmed.code());
        let id = request.request_id.clone();
        let first = tokio::spawn({
            let (mut client, request) = (a.clone(), request.clone());
            async move { client.notify(call(request)).await }
        });
        let second = tokio::spawn({
            let (mut client, request) = (b.clone(), request.clone());
            async move { client.notify(call(request)).await }
        });
        for answer in [first.await, second.await] {
            let answer = answer.expect("joined").expect("both calls answered");
            let n = answer.into_inner().notification.expect("notification");
            assert_eq!(n.id, id);
            assert_eq!(n.deliveries.len(), 2, "one delivery per channel");
        }

        let rows = notice::Entity::find()
            .filter(notice::Column::Id.eq(id.clone()))
            .count(service.db())
            .await
            .expect("counted");
        assert_eq!(rows, 1, "one notification per request id");
        let deliveries = delivery::Entity::find()
            .filter(delivery::Column::NotificationId.eq(id.clone()))
            .all(service.db())
            .await
            .expect("read");
        let channels: Vec<i32> = deliveries.iter().map(|d| d.channel).collect();
        assert_eq!(channels, vec![Channel::Email.code(), Channel::Sms.code()]);

        // The twin may answer while the first is still sending.
        eventually("both deliveries sent", Duration::from_secs(10), || {
            let db = service.db().clone();
            let id = id.clone();
            async move {
                delivery::Entity::find()
                    .filter(delivery::Column::NotificationId.eq(id))
                    .filter(delivery::Column::Status.eq(DeliveryStatus::Sent.code()))
                    .count(&db)
                    .await
                    .expect("counted")
                    == 2
            }
        })
        .await;
        for channel in [Channel::Email, Channel::Sms] {
            let sent = service
                .lines(channel)
                .await
                .iter()
                .filter(|line| line["notification_id"] == id.as_str())
                .count();
            assert_eq!(sent, 1, "{} got the event {sent} times", channel.name());
        }
    }
    let listed = service
        .client()
        .await
        .list_notifications(call(pb::ListNotificationsRequest {
            customer_id,
            ..Default::default()
        }))
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(listed.notifications.len(), 5);
    service.stop_within(Duration::from_secs(10)).await;
}
