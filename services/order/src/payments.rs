//! The `payments` settings section: when lines are charged, and the
//! merchant's payment endpoint the requests go to.

use std::path::PathBuf;
use std::time::Duration;

use backorder_platform::config::{ConfigError, Secret, secret_setting};
use backorder_platform::webhook::{SetupError, SignedPoster, pem_certificates};
use serde::Deserialize;

use crate::domain::charging::ChargeAt;
use crate::domain::sweep::Backoff;

/// Longest one attempt may take.
const MAX_TIMEOUT_MS: u64 = 60_000;

/// Section `payments`, as read.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentsSection {
    /// `NEVER`, `SALE`, `FILLED` or `SHIPPED`.
    pub charge_at: String,
    /// URL of the merchant's payment endpoint; required unless `NEVER`.
    pub endpoint: String,
    /// HMAC key the requests are signed with.
    pub secret: Option<Secret>,
    /// File holding it (a mounted secret), read at start.
    pub secret_file: Option<PathBuf>,
    /// PEM certificates trusted for an `https` endpoint besides the public
    /// roots.
    pub ca_file: Option<PathBuf>,
    /// Longest one attempt may take, connecting included.
    pub timeout_ms: u64,
    /// Wait after the first attempt without an answer; doubles per
    /// attempt.
    pub initial_backoff_ms: u64,
    /// Longest wait between attempts.
    pub max_backoff_ms: u64,
    /// Longest time between two looks for due requests.
    pub poll_interval_ms: u64,
}

/// Where payment requests go and how they are retried.
#[derive(Debug, Clone)]
pub struct PaymentEndpoint {
    /// Signs and sends.
    pub poster: SignedPoster,
    /// Waits between attempts without an answer.
    pub backoff: Backoff,
    /// Longest time between two looks for due requests.
    pub poll: Duration,
    /// How long a worker's claim on a request lasts (twice the timeout),
    /// after which another replica may send it again.
    pub lease_ms: i64,
}

/// The charging settings as the service uses them.
#[derive(Debug, Clone)]
pub struct PaymentSettings {
    /// When lines are charged.
    pub charge_at: ChargeAt,
    /// The endpoint; `None` when charging is off and no endpoint is set.
    pub endpoint: Option<PaymentEndpoint>,
}

impl PaymentsSection {
    /// Checks the section; an unusable value is a configuration error
    /// naming its setting.
    pub fn parse(&self) -> Result<PaymentSettings, ConfigError> {
        let fail = |text: String| ConfigError::Message(text);
        let charge_at = ChargeAt::parse(&self.charge_at).ok_or_else(|| {
            fail(format!(
                "payments.charge_at {:?}: use NEVER, SALE, FILLED or SHIPPED",
                self.charge_at
            ))
        })?;
        let url = self.endpoint.trim();
        if url.is_empty() {
            if charge_at != ChargeAt::Never {
                return Err(fail(format!(
                    "payments.endpoint is required with payments.charge_at = {}",
                    self.charge_at.trim().to_ascii_uppercase()
                )));
            }
            return Ok(PaymentSettings {
                charge_at,
                endpoint: None,
            });
        }
        let secret = secret_setting(
            "payments.secret",
            self.secret.as_ref(),
            self.secret_file.as_deref(),
        )?
        .ok_or_else(|| {
            fail("payments.endpoint is set without payments.secret or payments.secret_file".into())
        })?;
        if self.timeout_ms == 0 || self.timeout_ms > MAX_TIMEOUT_MS {
            return Err(fail(format!(
                "payments.timeout_ms ({}) must be between 1 and {MAX_TIMEOUT_MS}",
                self.timeout_ms
            )));
        }
        if self.initial_backoff_ms == 0
            || self.max_backoff_ms < self.initial_backoff_ms
            || self.poll_interval_ms == 0
        {
            return Err(fail(format!(
                "payments.initial_backoff_ms ({}) and payments.poll_interval_ms ({}) must be at \
                 least 1, and payments.max_backoff_ms ({}) at least the initial backoff",
                self.initial_backoff_ms, self.poll_interval_ms, self.max_backoff_ms
            )));
        }
        let ca_pem = self.ca_pem()?;
        let timeout = Duration::from_millis(self.timeout_ms);
        let poster = SignedPoster::new(
            url,
            secret,
            ca_pem.as_deref(),
            timeout,
            concat!("backorder-order/", env!("CARGO_PKG_VERSION")),
        )
        .map_err(|error| {
            let key = match error {
                SetupError::Url(_) => "endpoint",
                SetupError::ShortSecret => "secret",
                SetupError::Certificates(_) | SetupError::CertificatesWithoutTls => "ca_file",
            };
            fail(format!("payments.{key} {error}"))
        })?;
        Ok(PaymentSettings {
            charge_at,
            endpoint: Some(PaymentEndpoint {
                poster,
                backoff: Backoff {
                    initial: Duration::from_millis(self.initial_backoff_ms),
                    max: Duration::from_millis(self.max_backoff_ms),
                },
                poll: Duration::from_millis(self.poll_interval_ms),
                lease_ms: i64::try_from(self.timeout_ms.saturating_mul(2)).unwrap_or(i64::MAX),
            }),
        })
    }

    fn ca_pem(&self) -> Result<Option<Vec<u8>>, ConfigError> {
        let Some(path) = self.ca_file.as_ref().filter(|p| !p.as_os_str().is_empty()) else {
            return Ok(None);
        };
        let fail = |why: String| {
            ConfigError::Message(format!("payments.ca_file {}: {why}", path.display()))
        };
        let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
        if pem_certificates(&pem).map_err(fail)?.is_empty() {
            return Err(fail("holds no PEM certificate".to_owned()));
        }
        Ok(Some(pem))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(charge_at: &str, endpoint: &str, secret: Option<&str>) -> PaymentsSection {
        PaymentsSection {
            charge_at: charge_at.to_owned(),
            endpoint: endpoint.to_owned(),
            secret: secret.map(Secret::new),
            secret_file: None,
            ca_file: None,
            timeout_ms: 10_000,
            initial_backoff_ms: 1_000,
            max_backoff_ms: 300_000,
            poll_interval_ms: 1_000,
        }
    }

    fn refusal(section: &PaymentsSection) -> String {
        section.parse().expect_err("refused").to_string()
    }

    #[test]
    fn charging_is_off_by_default_and_needs_an_endpoint_and_secret_otherwise() {
        let off = section("NEVER", "", None).parse().expect("off");
        assert_eq!(off.charge_at, ChargeAt::Never);
        assert!(off.endpoint.is_none());
        let error = refusal(&section("filled", "", None));
        assert!(error.contains("payments.endpoint"), "{error}");
        let error = refusal(&section("FILLED", "https://pay.example.com/hook", None));
        assert!(error.contains("payments.secret"), "{error}");
        let error = refusal(&section("SALE", "https://pay.example.com/x", Some("short")));
        assert!(error.contains("payments.secret"), "{error}");
        let error = refusal(&section("SOMETIMES", "", None));
        assert!(error.contains("payments.charge_at"), "{error}");
        let error = refusal(&section(
            "SALE",
            "pay.example.com",
            Some("0123456789abcdef"),
        ));
        assert!(error.contains("payments.endpoint"), "{error}");
        let on = section(
            "shipped",
            "http://127.0.0.1:9/pay",
            Some("0123456789abcdef"),
        )
        .parse()
        .expect("on");
        assert_eq!(on.charge_at, ChargeAt::Shipped);
        assert_eq!(on.endpoint.map(|e| e.lease_ms), Some(20_000));
    }
}
