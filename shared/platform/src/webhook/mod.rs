//! Signed webhooks: the one way a service POSTs JSON to a merchant's
//! endpoint (notification's event webhook, order's payment requests).
//!
//! Each attempt carries
//!
//! - `X-Backorder-Timestamp: <t>`, the attempt's Unix time in seconds;
//! - `X-Backorder-Signature: sha256=<hex>`, the lower-case hex HMAC-SHA256,
//!   keyed with the secret's bytes, of `<t>` `.` `<body>` (the exact bytes
//!   sent);
//! - `Idempotency-Key: <key>`, the same on every attempt of one request.
//!
//! A receiver recomputes the HMAC over the timestamp header, a dot and the
//! raw body, compares in constant time, and refuses a timestamp more than a
//! few minutes from its clock: a captured request cannot be replayed later,
//! and the timestamp cannot be changed without breaking the signature.
//! Retries send the same body with a fresh timestamp and signature; a
//! receiver drops repeats by the idempotency key.

mod client;

use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hmac::digest::InvalidLength;
use hmac::{Hmac, Mac};
use http::{HeaderName, HeaderValue};
use sha2::Sha256;
use tokio_rustls::TlsConnector;

pub use client::{Endpoint, MAX_ANSWER_BYTES, Reply, pem_certificates, tls_connector};

use crate::config::Secret;

/// Header with the attempt's Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "x-backorder-timestamp";
/// Header with `sha256=<hex>` of the timestamp, a dot and the body.
pub const SIGNATURE_HEADER: &str = "x-backorder-signature";
/// Header with the key a receiver drops repeats by.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Shortest secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 16;

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

/// Why a [`SignedPoster`] cannot be built; the caller names its setting.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// The URL is not `http(s)://` with a host and no credentials.
    #[error("{0}")]
    Url(String),
    /// The secret is shorter than [`MIN_SECRET_LEN`].
    #[error("must be at least {MIN_SECRET_LEN} bytes long")]
    ShortSecret,
    /// The extra certificates are unusable.
    #[error("{0}")]
    Certificates(String),
    /// Extra certificates for an endpoint without TLS.
    #[error("is set but the endpoint is not https")]
    CertificatesWithoutTls,
}

/// POSTs signed JSON bodies to one endpoint, one attempt per call.
#[derive(Clone)]
pub struct SignedPoster {
    endpoint: Arc<Endpoint>,
    secret: Secret,
    tls: Option<TlsConnector>,
    timeout: Duration,
    user_agent: &'static str,
}

impl fmt::Debug for SignedPoster {
    // The path may hold a token, and the secret is a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedPoster")
            .field("origin", &self.endpoint.origin())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SignedPoster {
    /// Posts to `url` signed with `secret`, trusting `ca_pem` besides the
    /// public roots, each attempt within `timeout`, as `user_agent`.
    pub fn new(
        url: &str,
        secret: Secret,
        ca_pem: Option<&[u8]>,
        timeout: Duration,
        user_agent: &'static str,
    ) -> Result<Self, SetupError> {
        let endpoint = Endpoint::parse(url).map_err(SetupError::Url)?;
        if secret.expose().len() < MIN_SECRET_LEN {
            return Err(SetupError::ShortSecret);
        }
        let tls = match (endpoint.is_https(), ca_pem) {
            (true, ca_pem) => Some(tls_connector(ca_pem).map_err(SetupError::Certificates)?),
            (false, Some(_)) => return Err(SetupError::CertificatesWithoutTls),
            (false, None) => None,
        };
        Ok(Self {
            endpoint: Arc::new(endpoint),
            secret,
            tls,
            timeout,
            user_agent,
        })
    }

    /// Scheme, host and port of the endpoint (not its path): for logs.
    pub fn origin(&self) -> String {
        self.endpoint.origin()
    }

    /// Longest one attempt may take, connecting included.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// One attempt to POST `body` (JSON) under `idempotency_key`, signed as
    /// of `timestamp` (Unix seconds): the answer, or why there was none.
    pub async fn post(
        &self,
        body: Vec<u8>,
        idempotency_key: &str,
        timestamp: i64,
    ) -> Result<Reply, String> {
        let headers = sign(self.secret.expose().as_bytes(), timestamp, &body)
            .map_err(|e| e.to_string())
            .and_then(|signature| {
                headers(timestamp, &signature, idempotency_key).map_err(|e| e.to_string())
            })
            .map_err(|error| format!("cannot sign the request: {error}"))?;
        client::post(
            &self.endpoint,
            self.tls.as_ref(),
            self.user_agent,
            headers,
            Bytes::from(body),
            self.timeout,
        )
        .await
    }
}

fn headers(
    timestamp: i64,
    signature: &str,
    idempotency_key: &str,
) -> Result<Vec<(HeaderName, HeaderValue)>, http::header::InvalidHeaderValue> {
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
            HeaderName::from_static(IDEMPOTENCY_HEADER),
            HeaderValue::from_str(idempotency_key)?,
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_dot_body() {
        let signature = sign(b"0123456789abcdef", 1_700_000_000, b"{}").expect("any key length");
        assert!(signature.starts_with("sha256="));
        assert_eq!(signature.len(), 7 + 64);
        let other = sign(b"0123456789abcdef", 1_700_000_001, b"{}").expect("signed");
        assert_ne!(signature, other, "the timestamp is signed");
    }

    #[test]
    fn short_secrets_and_stray_certificates_are_refused() {
        let build = |url: &str, secret: &str, ca: Option<&[u8]>| {
            SignedPoster::new(url, Secret::new(secret), ca, Duration::from_secs(1), "t").err()
        };
        assert_eq!(
            build("http://h/x", "short", None),
            Some(SetupError::ShortSecret)
        );
        assert_eq!(
            build("http://h/x", "0123456789abcdef", Some(b"")),
            Some(SetupError::CertificatesWithoutTls)
        );
        assert!(matches!(
            build("h/x", "0123456789abcdef", None),
            Some(SetupError::Url(_))
        ));
        assert_eq!(build("http://h/x", "0123456789abcdef", None), None);
    }
}
