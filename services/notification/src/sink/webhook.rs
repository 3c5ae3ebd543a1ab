//! The merchant's webhook: every notification the service records, POSTed
//! as JSON to one endpoint of the merchant's and signed with a shared
//! secret.
//!
//! Signing: each attempt carries
//!
//! - `X-Backorder-Timestamp: <t>`, the attempt's Unix time in seconds;
//! - `X-Backorder-Signature: sha256=<hex>`, the lower-case hex HMAC-SHA256,
//!   keyed with the secret's bytes, of `<t>` `.` `<body>` (the exact bytes
//!   received);
//! - `Idempotency-Key: <notification id>`, also in the body.
//!
//! A receiver recomputes the HMAC over the timestamp header, a dot and the
//! raw body, compares in constant time, and refuses a timestamp more than a
//! few minutes from its clock: a captured request cannot be replayed later,
//! and the timestamp cannot be changed without breaking the signature.
//! Retries send the same body with a fresh timestamp and signature; a
//! receiver drops repeats by the notification id.
//!
//! The body names the customer by id only: no e-mail address or phone.

use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::Duration;

use backorder_platform::config::ConfigError;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::digest::InvalidLength;
use hmac::{Hmac, Mac};
use http::header::InvalidHeaderValue;
use http::{HeaderName, HeaderValue};
use serde::Serialize;
use sha2::Sha256;
use tokio_rustls::TlsConnector;

use super::Secret;
use super::client::{self, Endpoint};
use crate::domain::webhook::{Answer, RetryPolicy};

/// Header with the attempt's Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "x-backorder-timestamp";
/// Header with `sha256=<hex>` of the timestamp, a dot and the body.
pub const SIGNATURE_HEADER: &str = "x-backorder-signature";
/// Shortest secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 16;

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
    endpoint: Arc<Endpoint>,
    secret: Secret,
    tls: Option<TlsConnector>,
    timeout: Duration,
    retry: RetryPolicy,
}

impl fmt::Debug for WebhookSink {
    // The path may hold a token, and the secret is a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSink")
            .field("origin", &self.endpoint.origin())
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl WebhookSink {
    /// The sink `settings` describe; refuses a URL that is not `http(s)`
    /// with a host, a short secret, and unusable certificates.
    pub fn new(settings: &WebhookSettings) -> Result<Self, ConfigError> {
        let fail = |key: &str, why: String| ConfigError::Message(format!("channels.{key} {why}"));
        let endpoint = Endpoint::parse(&settings.url).map_err(|why| fail("webhook_url", why))?;
        if settings.secret.expose().len() < MIN_SECRET_LEN {
            return Err(fail(
                "webhook_secret",
                format!("must be at least {MIN_SECRET_LEN} bytes long"),
            ));
        }
        let tls = if endpoint.is_https() {
            let connector = client::tls_connector(settings.ca_pem.as_deref())
                .map_err(|why| fail("webhook_ca_file", why))?;
            Some(connector)
        } else if settings.ca_pem.is_some() {
            return Err(fail(
                "webhook_ca_file",
                "is set but channels.webhook_url is not https".to_owned(),
            ));
        } else {
            None
        };
        Ok(Self {
            endpoint: Arc::new(endpoint),
            secret: settings.secret.clone(),
            tls,
            timeout: settings.timeout,
            retry: settings.retry,
        })
    }

    /// Scheme, host and port of the endpoint (not its path): for logs.
    pub fn origin(&self) -> String {
        self.endpoint.origin()
    }

    /// How failed attempts are retried.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// Longest one attempt may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// One attempt to hand `event` over, signed as of `now`.
    pub async fn post(&self, event: &WebhookEvent<'_>, now: DateTime<Utc>) -> Answer {
        let body = match serde_json::to_vec(event) {
            Ok(body) => body,
            Err(error) => return Answer::Unreachable(format!("cannot encode the body: {error}")),
        };
        let timestamp = now.timestamp();
        let signed = sign(self.secret.expose().as_bytes(), timestamp, &body)
            .map_err(|e| e.to_string())
            .and_then(|signature| {
                headers(timestamp, &signature, event.notification_id).map_err(|e| e.to_string())
            });
        let headers = match signed {
            Ok(headers) => headers,
            Err(error) => return Answer::Unreachable(format!("cannot sign the request: {error}")),
        };
        let reply = client::post(
            &self.endpoint,
            self.tls.as_ref(),
            headers,
            Bytes::from(body),
            self.timeout,
        )
        .await;
        match reply {
            Ok(reply) => Answer::Status {
                code: reply.status,
                retry_after: reply.retry_after,
            },
            Err(reason) => Answer::Unreachable(reason),
        }
    }
}

fn headers(
    timestamp: i64,
    signature: &str,
    notification_id: &str,
) -> Result<Vec<(HeaderName, HeaderValue)>, InvalidHeaderValue> {
    Ok(vec![
        (
            HeaderName::from_static(TIMESTAMP_HEADER),
            HeaderValue::from_str(&timestamp.to_string())?,
        ),
        (
            HeaderName::from_static(SIGNATURE_HEADER),
            HeaderValue::from_str(signature)?,
        ),
        (
            HeaderName::from_static("idempotency-key"),
            HeaderValue::from_str(notification_id)?,
        ),
    ])
}

/// `sha256=<hex>` of HMAC-SHA256 keyed with `secret` over `<timestamp>.`
/// followed by `body`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> Result<String, InvalidLength> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut signature = String::with_capacity(7 + 2 * digest.len());
    signature.push_str("sha256=");
    for byte in digest {
        let _ = write!(signature, "{byte:02x}");
    }
    Ok(signature)
}
