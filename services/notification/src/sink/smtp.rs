//! E-mail through an SMTP relay next to the service, with lettre: one
//! session per e-mail (EHLO, MAIL FROM, RCPT TO, DATA, QUIT), plain SMTP
//! without TLS or login.

use std::time::Duration;

use backorder_platform::config::ConfigError;
use lettre::message::Mailbox;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::mail::compose;
use super::{Outgoing, SinkError};

/// Longest a whole SMTP session may take. Kept well below
/// [`crate::domain::RESEND_AFTER_MS`] so a slow send is not taken for a
/// crashed one.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Sends e-mail through an SMTP relay.
#[derive(Clone, Debug)]
pub struct SmtpSink {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
    timeout: Duration,
}

impl SmtpSink {
    /// Sends to the relay at `address` (`host:port`) as `from`, greeting
    /// with the domain of `from`. Refuses an address without a port or a
    /// sender lettre cannot send as.
    pub fn new(address: &str, from: &str) -> Result<Self, ConfigError> {
        Self::with_timeout(address, from, SMTP_TIMEOUT)
    }

    /// Like [`SmtpSink::new`], with sessions bounded by `timeout`.
    pub(super) fn with_timeout(
        address: &str,
        from: &str,
        timeout: Duration,
    ) -> Result<Self, ConfigError> {
        let (host, port) = host_and_port(address).ok_or_else(|| {
            ConfigError::Message(format!(
                "channels.smtp_address must be host:port, got {address:?}"
            ))
        })?;
        let from: Mailbox = from.parse().map_err(|error| {
            ConfigError::Message(format!(
                "channels.smtp_from {from:?} is not a sender address: {error}"
            ))
        })?;
        let domain = from.email.domain().to_owned();
        // lettre's own timeout only bounds connecting; `send` bounds the rest.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(timeout))
            .hello_name(ClientId::Domain(domain.clone()))
            .build();
        Ok(Self {
            transport,
            from,
            domain,
            timeout,
        })
    }

    /// Sends `out` as one e-mail, within the sink's timeout for the whole
    /// session: lettre itself waits for a silent server's reply forever.
    /// Giving up drops the connection, which is never reused.
    pub async fn send(&self, out: &Outgoing<'_>) -> Result<(), SinkError> {
        let message = compose(&self.from, &self.domain, out)?;
        tokio::time::timeout(self.timeout, self.transport.send(message))
            .await
            .map_err(|_| SinkError::Timeout(self.timeout))??;
        Ok(())
    }
}

/// `host:port`, `[v6]:port` or a bare IPv6 address with a port.
fn host_and_port(address: &str) -> Option<(String, u16)> {
    let (host, port) = address.trim().rsplit_once(':')?;
    let port = port.parse().ok()?;
    let host = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    (!host.is_empty()).then(|| (host.to_owned(), port))
}
