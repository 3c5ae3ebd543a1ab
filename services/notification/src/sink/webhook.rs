//! The merchant's webhook: every notification the service records, POSTed
//! as JSON to one endpoint of the merchant's and signed with a shared
//! secret.
//!
//! Signing and sending are the platform's ([`backorder_platform::webhook`]):
//! the idempotency key is the notification id, also in the body, and a
//! receiver drops repeats by it.
//!
//! The body names the customer by id only: no e-mail address or phone.

use std::fmt;
use std::time::Duration;

use backorder_platform::config::ConfigError;
pub use backorder_platform::webhook::{MIN_SECRET_LEN, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use backorder_platform::webhook::{SetupError, SignedPoster};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::Secret;
use crate::domain::webhook::{Answer, RetryPolicy};

/// One notification as the merchant receives it.
#[derive(Clone, Debug, Serialize)]
pub struct WebhookEvent<'a> {
    /// The notification id: the same on every attempt, the key to drop
    /// repeats by.
    pub notification_id: &'a str,
    /// Event name (`backordered`, `shipped`, ...).
    pub event: &'a str,
    /// Customer id.
    pub customer_id: &'a str,
    /// Order id.
    pub order_id: &'a str,
    /// Line id; `null` for the whole order.
    pub line_id: Option<&'a str>,
    /// The text the customer is sent.
    pub message: &'a str,
    /// When the notification was recorded (RFC 3339, UTC, milliseconds).
    pub time: String,
}

impl WebhookEvent<'_> {
    /// Formats `at` as the body's `time`.
    pub fn time_of(at: DateTime<Utc>) -> String {
        at.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

/// Everything a [`WebhookSink`] is built from.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// The endpoint, `https://` (or `http://` inside a trusted network).
    pub url: String,
    /// The shared secret, at least [`MIN_SECRET_LEN`] bytes.
    pub secret: Secret,
    /// PEM certificates trusted besides the public roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Longest one attempt may take, connecting included.
    pub timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
}

/// POSTs signed notifications to the merchant's endpoint.
#[derive(Clone)]
pub struct WebhookSink {
    poster: SignedPoster,
    retry: RetryPolicy,
}

impl fmt::Debug for WebhookSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSink")
            .field("poster", &self.poster)
            .field("retry", &self.retry)
            .finish()
    }
}

impl WebhookSink {
    /// The sink `settings` describe; refuses a URL that is not `http(s)`
    /// with a host, a short secret, and unusable certificates.
    pub fn new(settings: &WebhookSettings) -> Result<Self, ConfigError> {
        let poster = SignedPoster::new(
            &settings.url,
            settings.secret.clone(),
            settings.ca_pem.as_deref(),
            settings.timeout,
            concat!("backorder-notification/", env!("CARGO_PKG_VERSION")),
        )
        .map_err(|error| {
            let key = match error {
                SetupError::Url(_) => "webhook_url",
                SetupError::ShortSecret => "webhook_secret",
                SetupError::Certificates(_) | SetupError::CertificatesWithoutTls => {
                    "webhook_ca_file"
                }
            };
            ConfigError::Message(format!("channels.{key} {error}"))
        })?;
        Ok(Self {
            poster,
            retry: settings.retry,
        })
    }

    /// Scheme, host and port of the endpoint (not its path): for logs.
    pub fn origin(&self) -> String {
        self.poster.origin()
    }

    /// How failed attempts are retried.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// Longest one attempt may take.
    pub fn timeout(&self) -> Duration {
        self.poster.timeout()
    }

    /// One attempt to hand `event` over, signed as of `now`.
    pub async fn post(&self, event: &WebhookEvent<'_>, now: DateTime<Utc>) -> Answer {
        let body = match serde_json::to_vec(event) {
            Ok(body) => body,
            Err(error) => return Answer::Unreachable(format!("cannot encode the body: {error}")),
        };
        match self
            .poster
            .post(body, event.notification_id, now.timestamp())
            .await
        {
            Ok(reply) => Answer::Status {
                code: reply.status,
                retry_after: reply.retry_after,
            },
            Err(reason) => Answer::Unreachable(reason),
        }
    }
}
