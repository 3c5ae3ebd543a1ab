//! A handler-level harness: a fresh database (PostgreSQL when
//! `BACKORDER_TEST_DATABASE_URL` is set), no relay, file sinks in a
//! directory of their own (and, when asked, a webhook); and local servers
//! for the channels: a certificate authority, an SMTP relay speaking
//! STARTTLS and AUTH, a webhook receiver.

pub(crate) mod hook;
pub(crate) mod relay;
pub(crate) mod tls;

use std::collections::BTreeMap;
use std::path::PathBuf;

use backorder_platform::db;
use backorder_platform::ids::new_id_string;
use backorder_platform::service::ServiceContext;
use backorder_platform::testing::TestDatabase;
use backorder_platform::time::to_timestamp;
use backorder_proto::notification::v1 as pb;
use sea_orm::DatabaseConnection;

use crate::domain::{Channel, Event};
use crate::handlers::NotificationApi;
use crate::sink::{FileSink, Sinks, WebhookSink};
use crate::store::Migrator;

pub(crate) struct Harness {
    pub api: NotificationApi,
    pub dir: PathBuf,
    _database: TestDatabase,
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_webhook(None).await
    }

    /// A harness whose notifications also go to `webhook`.
    pub async fn with_webhook(webhook: Option<WebhookSink>) -> Self {
        let database = TestDatabase::fresh("notification")
            .await
            .expect("test database");
        let conn = db::connect(&database.settings).await.expect("connected");
        db::migrate::<Migrator>(&conn).await.expect("migrations");
        let dir = std::env::temp_dir().join(format!("notification-test-{}", new_id_string()));
        let context = ServiceContext::standalone(conn, BTreeMap::new());
        Self {
            api: NotificationApi::new(
                context,
                Sinks::new(FileSink::new(&dir), None).with_webhook(webhook),
            ),
            dir,
            _database: database,
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.api.dispatcher().context().db
    }

    /// The records a channel's file sink holds.
    pub async fn lines(&self, channel: Channel) -> Vec<serde_json::Value> {
        let path = self.dir.join(format!("{}.log", channel.name()));
        match tokio::fs::read_to_string(&path).await {
            Ok(text) => text
                .lines()
                .map(|l| serde_json::from_str(l).expect("json line"))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    pub async fn add_customer(&self, id: &str, channels: &[Channel]) -> pb::Customer {
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

/// A line event for `customer_id` with an ETA of 2026-12-01.
pub(crate) fn notify_request(customer_id: &str, order_id: &str, event: Event) -> pb::NotifyRequest {
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
        eta_latest: None,
    }
}
