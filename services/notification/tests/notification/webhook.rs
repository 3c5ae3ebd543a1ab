//! The webhook through the running service: the worker sends what `Notify`
//! recorded, retries what failed, and what a stop left undelivered is
//! delivered after the restart.

use std::time::Duration;

use backorder_platform::time::now_ms;
use notification::domain::{DeliveryStatus, Event};
use notification::sink::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use notification::store::webhook as store;
use sea_orm::DatabaseConnection;

use crate::helpers::{Prepared, call, eventually, notify};
use crate::hook::Hook;

const SECRET: &str = "whsec-integration-0123456789";

fn webhook_settings<'a>(url: &'a str, backoff_ms: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("channels.webhook_url", url),
        ("channels.webhook_secret", SECRET),
        ("channels.webhook_initial_backoff_ms", backoff_ms),
        ("channels.webhook_max_backoff_ms", "2000"),
    ]
}

async fn status(db: &DatabaseConnection, id: &str) -> Option<(i32, i32)> {
    store::find(db, id)
        .await
        .expect("read")
        .map(|d| (d.status, d.attempts))
}

#[tokio::test]
async fn a_500_then_200_is_retried_and_delivered_once() {
    let hook = Hook::start(&[500], None).await;
    let url = format!("{}/backorder", hook.base);
    let service = Prepared::new("notification_webhook")
        .await
        .start(&webhook_settings(&url, "50"))
        .await;
    let customer_id = service
        .add_customer("Ana", "ana@example.com", "+4915112345678")
        .await;
    let request = notify(&customer_id, Event::Shipped.code());
    service
        .client()
        .await
        .notify(call(request.clone()))
        .await
        .expect("notified");

    let received = hook.wait_for(2).await;
    eventually(
        "the webhook delivery recorded",
        Duration::from_secs(10),
        || async {
            status(service.db(), &request.request_id).await
                == Some((DeliveryStatus::Sent.code(), 2))
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hook.received().len(), 2, "nothing more once delivered");
    for attempt in &received {
        let timestamp: i64 = attempt.header(TIMESTAMP_HEADER).parse().expect("seconds");
        let expected = sign(SECRET.as_bytes(), timestamp, &attempt.body).expect("signed");
        assert_eq!(attempt.header(SIGNATURE_HEADER), expected);
        assert!(
            (now_ms() / 1000 - timestamp).abs() < 60,
            "a current timestamp"
        );
        let body = attempt.json();
        assert_eq!(body["notification_id"], request.request_id.as_str());
        assert_eq!(body["event"], "shipped");
        assert_eq!(body["customer_id"], customer_id.as_str());
        assert_eq!(body["order_id"], request.order_id.as_str());
        assert!(body["message"].as_str().is_some_and(|m| m.contains("Ana")));
    }
    assert_eq!(received[0].body, received[1].body);
    assert!(received.iter().all(|r| r.target == "/backorder"));
    service.stop_within(Duration::from_secs(10)).await;
}

/// The endpoint is down for the whole life of the first run; the event
/// waits in the database through the stop and reaches the endpoint after
/// the restart.
#[tokio::test]
async fn an_undelivered_event_survives_a_restart() {
    let hook = Hook::start(&[], None).await;
    hook.answer_always(503);
    let url = hook.base.clone();
    // A long first backoff: the stop comes between attempts, not during one.
    let service = Prepared::new("notification_webhook_restart")
        .await
        .start(&webhook_settings(&url, "1500"))
        .await;
    let request = notify(&uuid::Uuid::now_v7().to_string(), Event::Delivered.code());
    service
        .client()
        .await
        .notify(call(request.clone()))
        .await
        .expect("notified");
    hook.wait_for(1).await;
    eventually(
        "the failed attempt recorded",
        Duration::from_secs(10),
        || async {
            status(service.db(), &request.request_id).await
                == Some((DeliveryStatus::Pending.code(), 1))
        },
    )
    .await;
    let (_, prepared) = service.stop_within(Duration::from_secs(10)).await;

    hook.answer_always(200);
    let service = prepared.start(&webhook_settings(&url, "50")).await;
    eventually(
        "delivered after the restart",
        Duration::from_secs(15),
        || async {
            status(service.db(), &request.request_id).await
                == Some((DeliveryStatus::Sent.code(), 2))
        },
    )
    .await;
    let received = hook.received();
    assert_eq!(
        received.len(),
        2,
        "one refused before the stop, one taken after"
    );
    assert_eq!(
        received[1].json()["notification_id"],
        request.request_id.as_str()
    );
    service.stop_within(Duration::from_secs(10)).await;
}
