//! The `channels` section: where deliveries go, read and checked at start
//! so that a mistake stops the service with the key named instead of
//! failing every delivery.

use std::path::{Path, PathBuf};
use std::time::Duration;

use backorder_platform::config::ConfigError;
use serde::Deserialize;

use crate::domain::webhook::RetryPolicy;
use crate::domain::{Channel, RESEND_AFTER_MS};
use crate::sink::{
    FileSink, SMTP_TIMEOUT, Secret, Sinks, SmtpLogin, SmtpSettings, SmtpSink, SmtpTls,
    WebhookSettings, WebhookSink, pem_certificates,
};

/// Where deliveries go (section `channels`).
#[derive(Debug, Clone, Deserialize)]
pub struct Channels {
    /// Directory of the file sinks (`email.log`, `sms.log`, `push.log`).
    pub dir: PathBuf,
    /// SMTP relay (`host:port`); when set, e-mail goes there instead of
    /// `email.log`.
    #[serde(default)]
    pub smtp_address: Option<String>,
    /// Sender address of e-mail.
    pub smtp_from: String,
    /// `none` (default), `starttls` or `tls` (implicit, port 465).
    #[serde(default)]
    pub smtp_tls: SmtpTls,
    /// User name at the relay; needs a password and TLS.
    #[serde(default)]
    pub smtp_username: Option<String>,
    /// Password at the relay.
    #[serde(default)]
    pub smtp_password: Option<Secret>,
    /// File holding the password (a mounted secret), instead of
    /// `smtp_password`.
    #[serde(default)]
    pub smtp_password_file: Option<PathBuf>,
    /// PEM file of certificates to trust besides the public roots (a
    /// private relay's CA).
    #[serde(default)]
    pub smtp_ca_file: Option<PathBuf>,
    /// Permits a login with `smtp_tls = none` (a relay on the same host).
    #[serde(default)]
    pub smtp_allow_plaintext_auth: bool,
    /// The merchant's endpoint; when set, every notification is POSTed
    /// there, signed.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Key of the signatures.
    #[serde(default)]
    pub webhook_secret: Option<Secret>,
    /// File holding the key, instead of `webhook_secret`.
    #[serde(default)]
    pub webhook_secret_file: Option<PathBuf>,
    /// PEM file of certificates to trust besides the public roots.
    #[serde(default)]
    pub webhook_ca_file: Option<PathBuf>,
    /// Longest one attempt may take, connecting included.
    pub webhook_timeout_ms: u64,
    /// Wait after the first failed attempt; doubles per attempt.
    pub webhook_initial_backoff_ms: u64,
    /// Longest wait between attempts.
    pub webhook_max_backoff_ms: u64,
    /// Attempts before an endpoint that keeps failing is given up on.
    pub webhook_max_attempts: i32,
}

/// The defaults of the section's keys that have one.
pub(crate) const DEFAULTS: [(&str, &str); 7] = [
    ("channels.dir", "data/notifications"),
    ("channels.smtp_from", "orders@backorder.local"),
    ("channels.smtp_tls", "none"),
    ("channels.webhook_timeout_ms", "10000"),
    ("channels.webhook_initial_backoff_ms", "1000"),
    ("channels.webhook_max_backoff_ms", "300000"),
    ("channels.webhook_max_attempts", "1000"),
];

impl Channels {
    /// The sinks these settings describe; fails on settings that cannot be
    /// used, naming the key. Reads the password, secret and CA files.
    pub fn sinks(&self) -> Result<Sinks, ConfigError> {
        let smtp = self
            .smtp_settings()?
            .map(|settings| SmtpSink::from_settings(&settings))
            .transpose()?;
        let webhook = self
            .webhook_settings()?
            .map(|settings| WebhookSink::new(&settings))
            .transpose()?;
        Ok(Sinks::new(FileSink::new(&self.dir), smtp).with_webhook(webhook))
    }

    /// The SMTP relay's settings, when one is set.
    pub fn smtp_settings(&self) -> Result<Option<SmtpSettings>, ConfigError> {
        let Some(address) = non_empty(self.smtp_address.as_deref()) else {
            return Ok(None);
        };
        let password = secret(
            "smtp_password",
            self.smtp_password.as_ref(),
            self.smtp_password_file.as_deref(),
        )?;
        let login = match (non_empty(self.smtp_username.as_deref()), password) {
            (Some(username), Some(password)) => Some(SmtpLogin { username, password }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(message(
                    "channels.smtp_username is set without channels.smtp_password or \
                     channels.smtp_password_file",
                ));
            }
            (None, Some(_)) => {
                return Err(message(
                    "an SMTP password is set without channels.smtp_username",
                ));
            }
        };
        Ok(Some(SmtpSettings {
            address,
            from: self.smtp_from.clone(),
            tls: self.smtp_tls,
            ca_pem: ca_file("smtp_ca_file", self.smtp_ca_file.as_deref())?,
            login,
            allow_plaintext_auth: self.smtp_allow_plaintext_auth,
            timeout: SMTP_TIMEOUT,
        }))
    }

    /// The webhook's settings, when an endpoint is set.
    pub fn webhook_settings(&self) -> Result<Option<WebhookSettings>, ConfigError> {
        let Some(url) = non_empty(self.webhook_url.as_deref()) else {
            return Ok(None);
        };
        let secret = secret(
            "webhook_secret",
            self.webhook_secret.as_ref(),
            self.webhook_secret_file.as_deref(),
        )?
        .ok_or_else(|| {
            message(
                "channels.webhook_url is set without channels.webhook_secret or \
                 channels.webhook_secret_file",
            )
        })?;
        // A worker's claim on a delivery lasts RESEND_AFTER_MS: the call must
        // surely end before another replica may take the delivery over.
        let longest = u64::try_from(RESEND_AFTER_MS / 2).unwrap_or(u64::MAX);
        if self.webhook_timeout_ms == 0 || self.webhook_timeout_ms > longest {
            return Err(message(&format!(
                "channels.webhook_timeout_ms ({}) must be between 1 and {longest}",
                self.webhook_timeout_ms
            )));
        }
        let retry = RetryPolicy {
            initial_backoff_ms: self.webhook_initial_backoff_ms,
            max_backoff_ms: self.webhook_max_backoff_ms,
            max_attempts: self.webhook_max_attempts,
        };
        if retry.initial_backoff_ms == 0 || retry.max_backoff_ms < retry.initial_backoff_ms {
            return Err(message(&format!(
                "channels.webhook_initial_backoff_ms ({}) must be at least 1 and at most \
                 channels.webhook_max_backoff_ms ({})",
                retry.initial_backoff_ms, retry.max_backoff_ms
            )));
        }
        if retry.max_attempts < 1 {
            return Err(message(&format!(
                "channels.webhook_max_attempts ({}) must be at least 1",
                retry.max_attempts
            )));
        }
        Ok(Some(WebhookSettings {
            url,
            secret,
            ca_pem: ca_file("webhook_ca_file", self.webhook_ca_file.as_deref())?,
            timeout: Duration::from_millis(self.webhook_timeout_ms),
            retry,
        }))
    }

    /// Logs where e-mail and the webhook go, once at start: the relay's
    /// protection always, so plain SMTP is never a surprise. Never the
    /// password, the secret or the webhook's path (which may hold a token).
    pub fn log_startup(&self, sinks: &Sinks) {
        let email = match non_empty(self.smtp_address.as_deref()) {
            Some(address) => match self.smtp_tls {
                SmtpTls::None => {
                    format!("SMTP relay {address} in plain text, no TLS (channels.smtp_tls = none)")
                }
                SmtpTls::Starttls => format!("SMTP relay {address} with STARTTLS"),
                SmtpTls::Tls => format!("SMTP relay {address} with implicit TLS"),
            },
            None => format!(
                "file {}",
                FileSink::new(&self.dir).path(Channel::Email).display()
            ),
        };
        let webhook = sinks.webhook().map_or_else(
            || "off".to_owned(),
            |w| format!("{} (timeout {:?})", w.origin(), w.timeout()),
        );
        tracing::info!(
            email,
            smtp_tls = self.smtp_tls.name(),
            smtp_login = non_empty(self.smtp_username.as_deref()).is_some(),
            webhook,
            "notification channels"
        );
    }
}

fn message(text: &str) -> ConfigError {
    ConfigError::Message(text.to_owned())
}

/// A setting's text, trimmed; `None` when unset or blank (an empty
/// environment variable).
fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The secret of `channels.<key>` or the content of `channels.<key>_file`
/// (trimmed, as a mounted secret often ends with a newline); one at most.
fn secret(
    key: &str,
    value: Option<&Secret>,
    file: Option<&Path>,
) -> Result<Option<Secret>, ConfigError> {
    backorder_platform::config::secret_setting(&format!("channels.{key}"), value, file)
}

/// The PEM text of `channels.<key>`, which must hold a certificate.
fn ca_file(key: &str, path: Option<&Path>) -> Result<Option<Vec<u8>>, ConfigError> {
    let Some(path) = path.filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(None);
    };
    let fail = |why: String| message(&format!("channels.{key} {}: {why}", path.display()));
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    if pem_certificates(&pem).map_err(fail)?.is_empty() {
        return Err(fail("holds no PEM certificate".to_owned()));
    }
    Ok(Some(pem))
}

#[cfg(test)]
mod tests;
