//! `Notify` with the merchant's webhook: every notification goes there
//! once, through the `delivery` table and the webhook worker, retried until
//! the endpoint takes it.

use std::time::Duration;

use backorder_platform::ids::new_id_string;
use backorder_platform::time::now_ms;
use backorder_proto::notification::v1 as pb;

use crate::domain::webhook::RetryPolicy;
use crate::domain::{Channel, DeliveryStatus, Event};
use crate::sink::{Secret, WebhookSettings, WebhookSink};
use crate::store::{delivery, webhook as store};
use crate::test_support::hook::Hook;
use crate::test_support::{Harness, notify_request};
use crate::workers::webhook::{Round, deliver_due};

async fn harness(hook: &Hook) -> Harness {
    let sink = WebhookSink::new(&WebhookSettings {
        url: format!("{}/events", hook.base),
        secret: Secret::new("whsec-0123456789abcdef"),
        ca_pem: None,
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            initial_backoff_ms: 20,
            max_backoff_ms: 40,
            max_attempts: 5,
        },
    })
    .expect("usable settings");
    Harness::with_webhook(Some(sink)).await
}

async fn row(h: &Harness, id: &str) -> delivery::Model {
    store::find(h.db(), id)
        .await
        .expect("read")
        .expect("a webhook delivery")
}

/// Runs rounds until one attempts nothing, waiting out backoffs (at most
/// 40 ms here); returns every round's counts added up.
async fn drain(h: &Harness) -> Round {
    let mut total = Round::default();
    for _ in 0..20 {
        let round = deliver_due(h.api.dispatcher()).await.expect("round");
        total.delivered += round.delivered;
        total.retrying += round.retrying;
        total.given_up += round.given_up;
        if round == Round::default() && !pending(h).await {
            return total;
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    panic!("webhook deliveries still pending: {total:?}");
}

async fn pending(h: &Harness) -> bool {
    !store::due(h.db(), i64::MAX, 10)
        .await
        .expect("read")
        .is_empty()
}

#[tokio::test]
async fn every_notification_goes_to_the_webhook_once_known_customer_or_not() {
    let hook = Hook::start(&[], None).await;
    let h = harness(&hook).await;
    let customer_id = new_id_string();
    h.add_customer(&customer_id, &[Channel::Sms]).await;
    let order_id = new_id_string();
    let req = notify_request(&customer_id, &order_id, Event::Ready);
    let notified = h.api.notify(req.clone()).await.expect("notified");
    h.api.notify(req.clone()).await.expect("repeated");
    let stranger = notify_request(&new_id_string(), &new_id_string(), Event::OrderConfirmed);
    h.api.notify(stranger.clone()).await.expect("notified");

    // The webhook is the merchant's, not one of the customer's deliveries.
    let n = notified.notification.expect("notification");
    assert_eq!(n.deliveries.len(), 1);
    assert_eq!(n.deliveries[0].channel, Channel::Sms.code());
    let listed = h
        .api
        .list_notifications(pb::ListNotificationsRequest {
            order_id: order_id.clone(),
            ..Default::default()
        })
        .await
        .expect("listed");
    assert_eq!(listed.notifications[0].deliveries.len(), 1);

    assert_eq!(drain(&h).await.delivered, 2);
    let received = hook.received();
    assert_eq!(
        received.len(),
        2,
        "one POST per notification, none for the repeat"
    );
    let body = received
        .iter()
        .map(|r| r.json())
        .find(|b| b["notification_id"] == req.request_id.as_str())
        .expect("the known customer's event");
    assert_eq!(body["event"], "ready");
    assert_eq!(body["customer_id"], customer_id.as_str());
    assert_eq!(body["order_id"], order_id.as_str());
    assert_eq!(body["line_id"], req.line_id.as_str());
    assert_eq!(body["message"], n.message.as_str());
    assert!(
        !received.iter().any(|r| {
            let text = String::from_utf8_lossy(&r.body).into_owned();
            text.contains("ana@example.com") || text.contains("+4915112345678")
        }),
        "no e-mail address or phone in any body"
    );
    assert!(received.iter().all(|r| r.target == "/events"));
    let sent = row(&h, &req.request_id).await;
    assert_eq!(sent.status, DeliveryStatus::Sent.code());
    assert_eq!((sent.attempts, sent.next_attempt_at), (1, None));
    let stranger = row(&h, &stranger.request_id).await;
    assert_eq!(stranger.status, DeliveryStatus::Sent.code());
}

#[tokio::test]
async fn a_failed_attempt_is_retried_after_a_backoff_and_delivered_once() {
    let hook = Hook::start(&[500], None).await;
    let h = harness(&hook).await;
    let req = notify_request(&new_id_string(), &new_id_string(), Event::Shipped);
    h.api.notify(req.clone()).await.expect("notified");

    let round = deliver_due(h.api.dispatcher()).await.expect("round");
    assert_eq!(round.retrying, 1, "{round:?}");
    let waiting = row(&h, &req.request_id).await;
    assert_eq!(waiting.status, DeliveryStatus::Pending.code());
    assert_eq!(waiting.attempts, 1);
    assert_eq!(waiting.error.as_deref(), Some("webhook answered HTTP 500"));
    assert!(waiting.next_attempt_at.expect("due again") > now_ms() - 5);
    // Not before the backoff.
    assert_eq!(
        deliver_due(h.api.dispatcher()).await.expect("round"),
        Round::default()
    );
    assert_eq!(drain(&h).await.delivered, 1);

    let received = hook.received();
    assert_eq!(received.len(), 2, "one failure, one success, nothing after");
    assert_eq!(
        received[0].body, received[1].body,
        "the same event both times"
    );
    let sent = row(&h, &req.request_id).await;
    assert_eq!(sent.status, DeliveryStatus::Sent.code());
    assert_eq!((sent.attempts, sent.error), (2, None));
}

#[tokio::test]
async fn a_refusing_endpoint_is_given_up_on_after_three_attempts() {
    let hook = Hook::start(&[], None).await;
    hook.answer_always(404);
    let h = harness(&hook).await;
    let req = notify_request(&new_id_string(), &new_id_string(), Event::Cancelled);
    h.api.notify(req.clone()).await.expect("notified");
    let total = drain(&h).await;
    assert_eq!((total.retrying, total.given_up), (2, 1), "{total:?}");
    assert_eq!(hook.received().len(), 3);
    let failed = row(&h, &req.request_id).await;
    assert_eq!(failed.status, DeliveryStatus::Failed.code());
    assert_eq!(failed.attempts, 3);
    assert_eq!(failed.error.as_deref(), Some("webhook answered HTTP 404"));
}

/// An endpoint that is down is asked once per round, not once per waiting
/// event.
#[tokio::test]
async fn a_down_endpoint_ends_the_round() {
    let hook = Hook::start(&[503], None).await;
    let h = harness(&hook).await;
    for _ in 0..3 {
        let req = notify_request(&new_id_string(), &new_id_string(), Event::Backordered);
        h.api.notify(req).await.expect("notified");
    }
    let round = deliver_due(h.api.dispatcher()).await.expect("round");
    assert_eq!(round.retrying, 1, "{round:?}");
    assert_eq!(hook.received().len(), 1);
    assert_eq!(drain(&h).await.delivered, 3);
    assert_eq!(hook.received().len(), 4);
}
