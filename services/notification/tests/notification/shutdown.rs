use std::time::Duration;

use backorder_platform::ids::new_id_string;
use backorder_platform::time::now_ms;
use notification::domain::RESEND_AFTER_MS;
use notification::domain::{Channel, Contact, CustomerDetails, DeliveryStatus, Event};
use notification::sink::SMTP_TIMEOUT;
use notification::store::{customer, delivery, notification as notice, queries};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::helpers::{Prepared, eventually};

/// A delivery on `channel` left pending a while ago, as by a stop between
/// recording and sending. Returns the notification id.
async fn left_pending(db: &DatabaseConnection, channel: Channel) -> String {
    let customer_id = uuid::Uuid::now_v7();
    let details = CustomerDetails {
        id: customer_id,
        name: "Ana".to_owned(),
        contact: Contact {
            email: "ana@example.com".to_owned(),
            phone: "+4915112345678".to_owned(),
            push_token: String::new(),
        },
        channels: vec![channel],
    };
    queries::upsert_customer(db, customer::Model::new(&details, now_ms()))
        .await
        .expect("customer");
    let id = new_id_string();
    let long_ago = now_ms() - RESEND_AFTER_MS - 1_000;
    queries::insert_notification(
        db,
        notice::Model {
            id: id.clone(),
            customer_id: customer_id.to_string(),
            order_id: new_id_string(),
            line_id: String::new(),
            event: Event::Ready.code(),
            message: "Hello Ana, your order is in stock and ready to ship.".to_owned(),
            created_at: long_ago,
        },
        vec![delivery::Model::pending(&id, channel, long_ago)],
    )
    .await
    .expect("notification");
    id
}

/// Before, the resender was a detached task that looped for the life of the
/// process; now it is a worker the service awaits at stop.
#[tokio::test]
async fn the_service_stops_promptly_with_the_resender_running() {
    let prepared = Prepared::new("notification_stop").await;
    let id = left_pending(&prepared.db, Channel::Sms).await;
    let service = prepared.start(&[]).await;
    // The resender's first round runs at start: once the delivery is sent,
    // the worker is running.
    eventually(
        "the pending delivery re-sent",
        Duration::from_secs(10),
        || async {
            service
                .lines(Channel::Sms)
                .await
                .iter()
                .any(|line| line["notification_id"] == id.as_str())
        },
    )
    .await;
    service.stop_within(Duration::from_secs(5)).await;
}

/// A resend stuck on a relay that never answers must not hold the stop for
/// the SMTP timeout: the stop cuts the round short and the delivery stays
/// pending, to be sent again after a restart.
#[tokio::test]
async fn a_resend_stuck_on_a_silent_relay_does_not_hold_the_stop() {
    let relay = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let relay_address = relay.local_addr().expect("address").to_string();
    let (accepted_tx, accepted_rx) = tokio::sync::oneshot::channel();
    let silent = tokio::spawn(async move {
        let (stream, _) = relay.accept().await.expect("accept");
        let _ = accepted_tx.send(());
        // Holds the connection open and never greets.
        std::future::pending::<()>().await;
        drop(stream);
    });
    let prepared = Prepared::new("notification_stuck").await;
    let id = left_pending(&prepared.db, Channel::Email).await;
    let service = prepared
        .start(&[("channels.smtp_address", relay_address.as_str())])
        .await;
    tokio::time::timeout(Duration::from_secs(10), accepted_rx)
        .await
        .expect("the resender reached the relay")
        .expect("accepted");

    let (took, stopped) = service.stop_within(Duration::from_secs(5)).await;
    assert!(took < SMTP_TIMEOUT, "stopped in {took:?}");
    let deliveries = queries::deliveries_of(&stopped.db, vec![id])
        .await
        .expect("read");
    assert_eq!(deliveries[0].status, DeliveryStatus::Pending.code());
    silent.abort();
}
