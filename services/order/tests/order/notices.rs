//! Whatever order accepts produces notices the notification service
//! accepts: the largest order's confirmation fits Notify's detail bound,
//! and the real notification service takes it.

use backorder_platform::server::{BoxError, Shutdown, ShutdownTrigger};
use backorder_platform::store::outbox_message;
use backorder_platform::testing::TestDatabase;
use backorder_proto::notification::v1::notification_service_client::NotificationServiceClient;
use backorder_proto::notification::v1::{
    ListNotificationsRequest, Notification, NotificationEvent,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::fake_peers::FakePeers;
use crate::helpers::{WAIT, bounded, call, eventually, harness, place_request, rid, spawn_app};

/// Notify refuses a longer detail (services/notification: MAX_DETAIL).
const NOTIFY_MAX_DETAIL: usize = 1000;

fn largest_order_lines() -> Vec<(String, i64)> {
    (0..200).map(|i| (format!("{i:0>64}"), 1_000_000)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_largest_order_queues_a_confirmation_within_notifys_bound() {
    let h = harness("largest_notice").await;
    let lines = largest_order_lines();
    let lines: Vec<(&str, i64)> = lines.iter().map(|(s, q)| (s.as_str(), *q)).collect();
    assert_eq!(lines[0].0.len(), 64);
    let order = h
        .api
        .place_order(place_request(&rid(), &lines))
        .await
        .expect("the largest order is accepted")
        .order
        .expect("order");
    assert_eq!(order.lines.len(), 200);

    let notices = h.notices().await;
    let confirmation = notices
        .iter()
        .find(|n| n.event == NotificationEvent::OrderConfirmed as i32)
        .expect("a confirmation");
    let length = confirmation.detail.chars().count();
    assert!(length <= NOTIFY_MAX_DETAIL, "{length} characters");
    assert!(
        confirmation.detail.ends_with("more lines"),
        "{}",
        confirmation.detail
    );
    assert!(
        notices
            .iter()
            .all(|n| n.detail.chars().count() <= NOTIFY_MAX_DETAIL),
        "every notice fits"
    );
}

/// The notification service, started in-process on port 0.
struct NotificationService {
    address: String,
    trigger: ShutdownTrigger,
    server: tokio::task::JoinHandle<Result<(), BoxError>>,
    _database: TestDatabase,
    dir: std::path::PathBuf,
}

async fn start_notification() -> NotificationService {
    let database = TestDatabase::fresh("notices_notification")
        .await
        .expect("test database");
    let dir = std::env::temp_dir().join(format!("order-notices-{}", rid()));
    let overrides: Vec<(String, String)> = [
        ("server.host", "127.0.0.1".to_owned()),
        ("server.port", "0".to_owned()),
        ("database.url", database.settings.url.clone()),
        (
            "database.max_connections",
            database.settings.max_connections.to_string(),
        ),
        ("channels.dir", dir.display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = notification::Config::load_with(&overrides).expect("notification config");
    let (trigger, shutdown) = Shutdown::channel();
    let running = notification::build(config, shutdown)
        .await
        .expect("notification starts");
    let address = format!("http://127.0.0.1:{}", running.port());
    let server = tokio::spawn(running.run_until_stopped());
    NotificationService {
        address,
        trigger,
        server,
        _database: database,
        dir,
    }
}

async fn notifications_of(address: &str, order_id: &str) -> Option<Vec<Notification>> {
    let mut client = NotificationServiceClient::connect(address.to_owned())
        .await
        .ok()?;
    let reply = client
        .list_notifications(call(ListNotificationsRequest {
            order_id: order_id.to_owned(),
            ..Default::default()
        }))
        .await
        .ok()?;
    Some(reply.into_inner().notifications)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_largest_orders_confirmation_is_delivered_end_to_end() {
    let inventory = FakePeers::start().await;
    let notification = start_notification().await;
    // Serving once it lists (its tables exist).
    eventually("notification to serve", WAIT, || async {
        notifications_of(&notification.address, &rid()).await
    })
    .await;
    let order = spawn_app(
        "notices_order",
        &inventory.address,
        &notification.address,
        &[],
    )
    .await;
    let lines = largest_order_lines();
    let lines: Vec<(&str, i64)> = lines.iter().map(|(s, q)| (s.as_str(), *q)).collect();

    let placed = order
        .client()
        .await
        .place_order(call(place_request(&rid(), &lines)))
        .await
        .expect("placed")
        .into_inner()
        .order
        .expect("order");

    let confirmed = eventually("the confirmation to be delivered", WAIT, || async {
        notifications_of(&notification.address, &placed.id)
            .await?
            .into_iter()
            .find(|n| n.event == NotificationEvent::OrderConfirmed as i32)
    })
    .await;
    assert_eq!(confirmed.order_id, placed.id);
    // The relay acknowledges after the call returns: poll for it, so a
    // parked message (never delivered) fails the test at the deadline.
    eventually("every message of order to be delivered", WAIT, || async {
        let undelivered = outbox_message::Entity::find()
            .filter(outbox_message::Column::DeliveredAt.is_null())
            .all(&order.db)
            .await
            .expect("outbox");
        undelivered.is_empty().then_some(())
    })
    .await;

    order.stop().await.expect("order stops");
    notification.trigger.stop();
    bounded("notification to stop", WAIT, notification.server)
        .await
        .expect("notification task")
        .expect("notification stops cleanly");
    let _ = std::fs::remove_dir_all(&notification.dir);
}
