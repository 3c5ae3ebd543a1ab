//! E-mail through an SMTP relay, with lettre: one session per e-mail (EHLO,
//! STARTTLS when asked for, AUTH when a login is set, MAIL FROM, RCPT TO,
//! DATA, QUIT).

use std::time::Duration;

use backorder_platform::config::ConfigError;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Deserialize;

use super::mail::compose;
use super::{Outgoing, Secret, SinkError};

/// Longest a whole SMTP session may take. Kept well below
/// [`crate::domain::RESEND_AFTER_MS`] so a slow send is not taken for a
/// crashed one.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// How the session with the relay is protected (`channels.smtp_tls`).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP: only for a relay on the same host or pod.
    #[default]
    None,
    /// Plain connection upgraded with STARTTLS (usually port 587). A relay
    /// that does not offer it fails the delivery: falling back to plain
    /// text would let anyone on the path strip the offer.
    Starttls,
    /// TLS from the first byte (implicit TLS, usually port 465).
    Tls,
}

impl SmtpTls {
    /// The setting's value, for messages and the startup log.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Starttls => "starttls",
            Self::Tls => "tls",
        }
    }
}

/// A relay's user name and password.
#[derive(Clone, Debug)]
pub struct SmtpLogin {
    /// User name.
    pub username: String,
    /// Password.
    pub password: Secret,
}

/// Everything an [`SmtpSink`] is built from.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    /// `host:port` of the relay.
    pub address: String,
    /// Sender address.
    pub from: String,
    /// Protection of the session.
    pub tls: SmtpTls,
    /// PEM certificates trusted besides the public roots (a private CA).
    pub ca_pem: Option<Vec<u8>>,
    /// Login, when the relay wants one.
    pub login: Option<SmtpLogin>,
    /// Permits a login over a session without TLS.
    pub allow_plaintext_auth: bool,
    /// Longest a whole session may take.
    pub timeout: Duration,
}

impl SmtpSettings {
    /// Plain SMTP to `address` as `from`, no login.
    pub fn plain(address: &str, from: &str) -> Self {
        Self {
            address: address.to_owned(),
            from: from.to_owned(),
            tls: SmtpTls::None,
            ca_pem: None,
            login: None,
            allow_plaintext_auth: false,
            timeout: SMTP_TIMEOUT,
        }
    }
}

/// Sends e-mail through an SMTP relay.
#[derive(Clone, Debug)]
pub struct SmtpSink {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
    timeout: Duration,
}

impl SmtpSink {
    /// Plain SMTP to the relay at `address` (`host:port`) as `from`,
    /// greeting with the domain of `from`. Refuses an address without a
    /// port or a sender lettre cannot send as.
    pub fn new(address: &str, from: &str) -> Result<Self, ConfigError> {
        Self::from_settings(&SmtpSettings::plain(address, from))
    }

    /// Like [`SmtpSink::new`], with sessions bounded by `timeout`.
    #[cfg(test)]
    pub(super) fn with_timeout(
        address: &str,
        from: &str,
        timeout: Duration,
    ) -> Result<Self, ConfigError> {
        Self::from_settings(&SmtpSettings {
            timeout,
            ..SmtpSettings::plain(address, from)
        })
    }

    /// The sink `settings` describe. Besides a bad address or sender, it
    /// refuses a login over plain text unless explicitly allowed, and
    /// certificates to trust without TLS to trust them for.
    pub fn from_settings(settings: &SmtpSettings) -> Result<Self, ConfigError> {
        let address = &settings.address;
        let (host, port) = host_and_port(address).ok_or_else(|| {
            ConfigError::Message(format!(
                "channels.smtp_address must be host:port, got {address:?}"
            ))
        })?;
        let from: Mailbox = settings.from.parse().map_err(|error| {
            ConfigError::Message(format!(
                "channels.smtp_from {:?} is not a sender address: {error}",
                settings.from
            ))
        })?;
        if settings.login.is_some()
            && settings.tls == SmtpTls::None
            && !settings.allow_plaintext_auth
        {
            return Err(ConfigError::Message(
                "channels.smtp_username is set but channels.smtp_tls is none: the password \
                 would cross the network in plain text. Set channels.smtp_tls to starttls or \
                 tls, or channels.smtp_allow_plaintext_auth = true for a relay on the same host"
                    .to_owned(),
            ));
        }
        let domain = from.email.domain().to_owned();
        // lettre's own timeout only bounds connecting; `send` bounds the rest.
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
            .port(port)
            .timeout(Some(settings.timeout))
            .hello_name(ClientId::Domain(domain.clone()))
            .tls(tls(settings, &host)?);
        if let Some(login) = &settings.login {
            builder = builder
                .credentials(Credentials::new(
                    login.username.clone(),
                    login.password.expose().to_owned(),
                ))
                // Only mechanisms that need nothing but TLS to be safe; no
                // XOAUTH2, whose token is not a password.
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(Self {
            transport: builder.build(),
            from,
            domain,
            timeout: settings.timeout,
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

/// lettre's TLS setting for `settings`, verifying the relay's certificate
/// for `host` against the public roots and the configured CA.
fn tls(settings: &SmtpSettings, host: &str) -> Result<Tls, ConfigError> {
    let parameters = || -> Result<TlsParameters, ConfigError> {
        let mut builder = TlsParameters::builder(host.to_owned());
        if let Some(pem) = &settings.ca_pem {
            let certificate = Certificate::from_pem(pem)
                .map_err(|error| ConfigError::Message(format!("channels.smtp_ca_file: {error}")))?;
            builder = builder.add_root_certificate(certificate);
        }
        builder
            .build_rustls()
            .map_err(|error| ConfigError::Message(format!("SMTP TLS settings: {error}")))
    };
    match settings.tls {
        SmtpTls::None if settings.ca_pem.is_some() => Err(ConfigError::Message(
            "channels.smtp_ca_file is set but channels.smtp_tls is none: nothing would be \
             verified with it"
                .to_owned(),
        )),
        SmtpTls::None => Ok(Tls::None),
        SmtpTls::Starttls => Ok(Tls::Required(parameters()?)),
        SmtpTls::Tls => Ok(Tls::Wrapper(parameters()?)),
    }
}

/// `host:port`, `[v6]:port` or a bare IPv6 address with a port.
pub(crate) fn host_and_port(address: &str) -> Option<(String, u16)> {
    let (host, port) = address.trim().rsplit_once(':')?;
    let port = port.parse().ok()?;
    let host = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    (!host.is_empty()).then(|| (host.to_owned(), port))
}
