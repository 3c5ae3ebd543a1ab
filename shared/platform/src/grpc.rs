//! Tower layers that carry the W3C trace context over every gRPC call and
//! record RPC spans by the OpenTelemetry RPC semantic conventions, plus the
//! channel every service uses to call its peers.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use tonic::transport::{Channel, ClientTlsConfig, Endpoint};
use tower::{Layer, Service};
use tracing::{Instrument, Span, field};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::config::ClientSettings;
use crate::retry::{CallPolicy, ResolvedAddresses};
use crate::telemetry::{extract_headers, inject_headers};
use crate::tls::Transport;

/// Which end of the call a span describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    /// The server handling a call.
    Server,
    /// The client making a call.
    Client,
}

/// Records RPC spans and propagates trace context (server: extract; client:
/// inject).
#[derive(Clone, Copy, Debug)]
pub struct RpcTraceLayer {
    kind: SpanKind,
}

impl RpcTraceLayer {
    /// Layer for servers: continues the caller's trace.
    pub fn server() -> Self {
        Self {
            kind: SpanKind::Server,
        }
    }

    /// Layer for clients: sends the current trace along.
    pub fn client() -> Self {
        Self {
            kind: SpanKind::Client,
        }
    }
}

impl<S> Layer<S> for RpcTraceLayer {
    type Service = RpcTrace<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcTrace {
            inner,
            kind: self.kind,
        }
    }
}

/// The service made by [`RpcTraceLayer`].
#[derive(Clone, Debug)]
pub struct RpcTrace<S> {
    inner: S,
    kind: SpanKind,
}

/// Infrastructure calls (probes, reflection) would drown the traces.
fn is_untraced(path: &str) -> bool {
    path.starts_with("/grpc.health.") || path.starts_with("/grpc.reflection.")
}

/// Server spans are errors only for codes that mean the server failed
/// (OpenTelemetry RPC conventions); client spans for any non-OK code.
fn is_error(kind: SpanKind, code: i32) -> bool {
    match kind {
        SpanKind::Client => code != 0,
        // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS
        SpanKind::Server => matches!(code, 2 | 4 | 12 | 13 | 14 | 15),
    }
}

fn rpc_span(kind: SpanKind, path: &str) -> Span {
    let trimmed = path.trim_start_matches('/');
    let (service, method) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    let otel_kind = match kind {
        SpanKind::Server => "server",
        SpanKind::Client => "client",
    };
    tracing::info_span!(
        "rpc",
        otel.name = %trimmed,
        otel.kind = otel_kind,
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        rpc.grpc.status_code = field::Empty,
        otel.status_code = field::Empty,
        otel.status_description = field::Empty,
    )
}

/// The status code of a unary answer: errors come as trailers-only
/// responses, so the status is in the headers; a response without it is a
/// normal body with OK trailers.
pub(crate) fn status_code_of(headers: &http::HeaderMap) -> i32 {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or(0)
}

fn record_status(span: &Span, kind: SpanKind, headers: &http::HeaderMap) {
    let code = status_code_of(headers);
    span.record("rpc.grpc.status_code", code);
    if is_error(kind, code) {
        span.record("otel.status_code", "ERROR");
        if let Some(message) = headers.get("grpc-message").and_then(|v| v.to_str().ok()) {
            span.record("otel.status_description", message);
        }
    }
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for RpcTrace<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display + Send + 'static,
    ReqBody: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        // Take the instance that was polled ready; leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let path = request.uri().path().to_owned();
        if is_untraced(&path) {
            return Box::pin(inner.call(request));
        }
        let kind = self.kind;
        let span = rpc_span(kind, &path);
        match kind {
            SpanKind::Server => {
                let parent = extract_headers(request.headers());
                let _ = span.set_parent(parent);
            }
            SpanKind::Client => {
                inject_headers(&span.context(), request.headers_mut());
            }
        }
        Box::pin(
            async move {
                let result = inner.call(request).await;
                let span = Span::current();
                match &result {
                    Ok(response) => record_status(&span, kind, response.headers()),
                    Err(error) => {
                        // Transport failure before any status: UNAVAILABLE.
                        span.record("rpc.grpc.status_code", 14);
                        span.record("otel.status_code", "ERROR");
                        span.record("otel.status_description", error.to_string());
                    }
                }
                result
            }
            .instrument(span),
        )
    }
}

/// A channel to a peer service, traced, every call with a deadline and
/// idempotent calls retried (see [`crate::retry`]).
pub type PeerChannel = RpcTrace<CallPolicy<Channel>>;

/// [`peer_channel_with`] the default client settings, in plaintext.
pub fn peer_channel(address: &str) -> Result<PeerChannel, tonic::transport::Error> {
    peer_channel_with(address, &ClientSettings::default(), &Transport::plaintext())
}

/// Connects lazily to `address` (`http://host:port`): the first call
/// connects, later calls reconnect as needed. A `dns:///host:port` address
/// resolves every A record and balances calls across them (a headless
/// Kubernetes Service). Deadlines and retries follow `settings`. Over a
/// secure `transport` every connection is mutual TLS, and the peer's
/// certificate must carry the host name of `address`.
pub fn peer_channel_with(
    address: &str,
    settings: &ClientSettings,
    transport: &Transport,
) -> Result<PeerChannel, tonic::transport::Error> {
    let policy = if let Some(target) = address.strip_prefix("dns:///") {
        let resolved = ResolvedAddresses::default();
        let host = target.rsplit_once(':').map_or(target, |(host, _)| host);
        let channel = crate::balance::dns_balanced_channel(
            target,
            resolved.clone(),
            transport.client_config(host),
        );
        CallPolicy::new(channel, address, settings, Some(resolved))
    } else {
        let address = transport.scheme_of(address);
        let host = address
            .parse::<http::Uri>()
            .ok()
            .and_then(|uri| uri.host().map(str::to_owned))
            .unwrap_or_default();
        let endpoint = endpoint(&address, transport.client_config(&host))?;
        CallPolicy::new(endpoint.connect_lazy(), &address, settings, None)
    };
    Ok(RpcTraceLayer::client().layer(policy))
}

/// An endpoint for `address`, over `tls` when given (the address must
/// then be `https://`).
pub(crate) fn endpoint(
    address: &str,
    tls: Option<ClientTlsConfig>,
) -> Result<Endpoint, tonic::transport::Error> {
    let endpoint = Endpoint::from_shared(address.to_owned())?
        .connect_timeout(Duration::from_secs(3))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true);
    match tls {
        Some(tls) => endpoint.tls_config(tls),
        None => Ok(endpoint),
    }
}
