//! One HTTP/1.1 POST over a fresh connection (TLS for `https`), with
//! hyper's connection-level client. No pool: webhook calls are seconds
//! apart at most, and a connection given up mid-call (timeout, stop) must
//! never carry the next call. No redirects: a signed POST is sent where it
//! was configured to go, or not at all. The answer's body is read up to
//! [`MAX_ANSWER_BYTES`]: some endpoints answer with a decision.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_TYPE, HOST, RETRY_AFTER, USER_AGENT};
use http::{HeaderName, HeaderValue, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Longest answer body read; a longer one is no answer.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Where requests go, parsed once at start.
#[derive(Clone, Debug)]
pub struct Endpoint {
    https: bool,
    /// Host to connect to and verify, without IPv6 brackets.
    host: String,
    port: u16,
    /// `host[:port]` as configured: the `Host` header.
    authority: String,
    /// Path and query: the request target.
    target: String,
}

impl Endpoint {
    /// `http://` or `https://` URL with a host and no user or password.
    pub fn parse(url: &str) -> Result<Self, String> {
        let uri: Uri = url.trim().parse().map_err(|e| format!("not a URL: {e}"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err("must start with http:// or https://".to_owned()),
        };
        let authority = uri.authority().ok_or("has no host")?;
        // A user or password in the URL would end up in headers and logs.
        if authority.as_str().contains('@') {
            return Err("must not carry a user or password".to_owned());
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if host.is_empty() {
            return Err("has no host".to_owned());
        }
        let target = uri
            .path_and_query()
            .map(|p| p.as_str())
            .filter(|p| p.starts_with('/'))
            .unwrap_or("/")
            .to_owned();
        Ok(Self {
            https,
            host,
            port: authority.port_u16().unwrap_or(if https { 443 } else { 80 }),
            authority: authority.as_str().to_owned(),
            target,
        })
    }

    /// Whether requests go over TLS.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Scheme, host and port, without the path (which may hold a token):
    /// what logs and reasons may show.
    pub fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.authority)
    }
}

/// The parts of an answer the caller acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// `Retry-After` in seconds (the HTTP-date form is not read).
    pub retry_after: Option<u64>,
    /// The body, at most [`MAX_ANSWER_BYTES`].
    pub body: Bytes,
}

/// A TLS client trusting the public roots and the certificates in
/// `ca_pem`.
pub fn tls_connector(ca_pem: Option<&[u8]>) -> Result<TlsConnector, String> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for certificate in pem_certificates(ca_pem.unwrap_or_default())? {
        roots.add(certificate).map_err(|e| e.to_string())?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The certificates of a PEM text.
pub fn pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not PEM certificates: {e}"))
}

/// POSTs `body` with `headers` to `endpoint` as `user_agent` and returns
/// the answer, all within `timeout`. The error is the reason nothing was
/// answered.
pub async fn post(
    endpoint: &Endpoint,
    tls: Option<&TlsConnector>,
    user_agent: &str,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    timeout: Duration,
) -> Result<Reply, String> {
    let mut request = Request::post(endpoint.target.as_str())
        .header(HOST, endpoint.authority.as_str())
        .header(CONTENT_TYPE, "application/json")
        .header(USER_AGENT, user_agent)
        .header(CONNECTION, "close");
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let request = request.body(Full::new(body)).map_err(|e| e.to_string())?;
    let call = async {
        let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port))
            .await
            .map_err(|e| format!("connecting to {}: {e}", endpoint.origin()))?;
        // Small request, one write: no reason to wait for more.
        let _ = tcp.set_nodelay(true);
        match (endpoint.https, tls) {
            (true, Some(connector)) => {
                let name = ServerName::try_from(endpoint.host.clone())
                    .map_err(|e| format!("{}: {e}", endpoint.origin()))?;
                let stream = connector
                    .connect(name, tcp)
                    .await
                    .map_err(|e| format!("TLS with {}: {e}", endpoint.origin()))?;
                exchange(TokioIo::new(stream), request).await
            }
            (true, None) => Err("https without TLS settings".to_owned()),
            (false, _) => exchange(TokioIo::new(tcp), request).await,
        }
    };
    tokio::time::timeout(timeout, call)
        .await
        .map_err(|_| format!("no answer from {} within {timeout:?}", endpoint.origin()))?
}

/// Sends `request` on `io` and reads the answer; the connection is
/// dropped with the future.
async fn exchange<I>(io: I, request: Request<Full<Bytes>>) -> Result<Reply, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    let mut connection = std::pin::pin!(connection);
    let mut response = std::pin::pin!(sender.send_request(request));
    // The connection future does the I/O; it must run while the request
    // waits for its answer and while the body is read. It may end (the
    // endpoint closes after answering) first: the answer is then waiting,
    // and the ended future must not be polled again.
    let mut closed = false;
    let response = tokio::select! {
        biased;
        response = &mut response => response,
        ended = &mut connection => {
            ended.map_err(|e| e.to_string())?;
            closed = true;
            response.await
        }
    }
    .map_err(|e| e.to_string())?;
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let status = response.status().as_u16();
    let mut read = std::pin::pin!(Limited::new(response.into_body(), MAX_ANSWER_BYTES).collect());
    let body = if closed {
        read.await
    } else {
        tokio::select! {
            biased;
            body = &mut read => body,
            ended = &mut connection => {
                ended.map_err(|e| e.to_string())?;
                read.await
            }
        }
    }
    .map_err(|e| format!("reading the answer: {e}"))?
    .to_bytes();
    Ok(Reply {
        status,
        retry_after,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_need_a_scheme_and_host_and_no_credentials() {
        let e = Endpoint::parse(" https://hooks.example.com/backorder?shop=7 ").expect("valid");
        assert!(e.is_https());
        assert_eq!((e.host.as_str(), e.port), ("hooks.example.com", 443));
        assert_eq!(e.target, "/backorder?shop=7");
        assert_eq!(e.origin(), "https://hooks.example.com");
        let e = Endpoint::parse("http://[::1]:8080").expect("valid");
        assert_eq!((e.host.as_str(), e.port), ("::1", 8080));
        assert_eq!(
            (e.authority.as_str(), e.target.as_str()),
            ("[::1]:8080", "/")
        );
        assert_eq!(Endpoint::parse("http://h").expect("valid").port, 80);
        for bad in [
            "hooks.example.com/x",
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "https:///path",
            "",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_ca_file_must_hold_pem_certificates() {
        assert_eq!(pem_certificates(b"").expect("empty is no error").len(), 0);
        assert!(pem_certificates(b"-----BEGIN CERTIFICATE-----\nnot base64!\n").is_err());
    }
}
