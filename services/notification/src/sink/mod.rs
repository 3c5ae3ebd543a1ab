//! Channel sinks: where a delivery is handed over.
//!
//! By default every channel appends one JSON line per delivery to
//! `<channels.dir>/<channel>.log` (`email.log`, `sms.log`, `push.log`), which
//! makes local runs inspectable. With `channels.smtp_address` set, e-mail
//! goes to that SMTP relay instead, through lettre (`smtp.rs`): plain SMTP
//! by default (a relay next to the service, such as a mail sidecar or a
//! local catcher), or STARTTLS or implicit TLS with a login. With
//! `channels.webhook_url` set, every notification also goes to the
//! merchant's endpoint, signed (`webhook.rs`).
//!
//! Addresses pass through here but are never logged; lettre is built
//! without its `tracing` feature, which would log every SMTP line.

mod file;
mod mail;
mod smtp;
#[cfg(test)]
mod tests;
mod webhook;

use chrono::{DateTime, Utc};

pub(crate) use backorder_platform::webhook::pem_certificates;
pub use file::FileSink;
pub use smtp::{SMTP_TIMEOUT, SmtpLogin, SmtpSettings, SmtpSink, SmtpTls};
pub use webhook::{
    MIN_SECRET_LEN, SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookEvent, WebhookSettings, WebhookSink,
    sign,
};

use crate::domain::Channel;

/// One delivery to hand over.
#[derive(Clone, Copy, Debug)]
pub struct Outgoing<'a> {
    /// Notification id.
    pub notification_id: &'a str,
    /// Event name (`backordered`, ...).
    pub event: &'a str,
    /// Subject line (e-mail).
    pub subject: &'a str,
    /// The address: e-mail, phone number or push token.
    pub to: &'a str,
    /// The text.
    pub message: &'a str,
    /// When it is handed over.
    pub time: DateTime<Utc>,
}

/// Why a sink refused a delivery. The text may quote the address (an SMTP
/// refusal does): it is stored with the delivery, never logged.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Writing the file failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The record could not be encoded.
    #[error("cannot encode record: {0}")]
    Encode(#[from] serde_json::Error),
    /// The recipient is not an address an e-mail can be sent to.
    #[error("invalid recipient address: {0}")]
    Address(#[from] lettre::address::AddressError),
    /// The e-mail could not be put together.
    #[error("cannot build the e-mail: {0}")]
    Message(#[from] lettre::error::Error),
    /// The SMTP server could not be reached, or refused the e-mail.
    #[error("smtp: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The SMTP session took longer than allowed ([`SMTP_TIMEOUT`]).
    #[error("smtp session timed out after {0:?}")]
    Timeout(std::time::Duration),
}

pub use backorder_platform::config::Secret;

/// Every channel's sink, and the merchant's webhook when configured.
#[derive(Clone, Debug)]
pub struct Sinks {
    files: FileSink,
    smtp: Option<SmtpSink>,
    webhook: Option<WebhookSink>,
}

impl Sinks {
    /// File sinks for every channel, and SMTP for e-mail when given.
    pub fn new(files: FileSink, smtp: Option<SmtpSink>) -> Self {
        Self {
            files,
            smtp,
            webhook: None,
        }
    }

    /// These sinks, with every notification also sent to `webhook`.
    pub fn with_webhook(mut self, webhook: Option<WebhookSink>) -> Self {
        self.webhook = webhook;
        self
    }

    /// The merchant's webhook, when configured.
    pub fn webhook(&self) -> Option<&WebhookSink> {
        self.webhook.as_ref()
    }

    /// Hands `out` over on `channel`.
    pub async fn send(&self, channel: Channel, out: &Outgoing<'_>) -> Result<(), SinkError> {
        match (channel, &self.smtp) {
            (Channel::Email, Some(smtp)) => smtp.send(out).await,
            _ => self.files.send(channel, out).await,
        }
    }
}
