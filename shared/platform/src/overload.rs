//! What a server does when it has more work than it can take: every call
//! has a time limit, and past a number of calls in flight the next one is
//! refused at once with `RESOURCE_EXHAUSTED` and a retry delay, rather than
//! queued behind the others until every caller's deadline has passed.
//! Health and reflection are exempt: a probe that failed because the server
//! is busy would get a busy pod restarted, which only makes matters worse.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use tokio::sync::Semaphore;
use tonic::body::Body;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use tower::{Layer, Service};

use crate::config::ServerSettings;
use crate::server::BoxError;

/// Health checks and reflection must answer however busy the server is.
pub(crate) fn is_exempt(path: &str) -> bool {
    path.starts_with("/grpc.health.") || path.starts_with("/grpc.reflection.")
}

/// The time limit a caller set with `grpc-timeout` (`<digits><unit>`, at
/// most 8 digits), if any and well formed.
pub(crate) fn grpc_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.saturating_mul(3600)),
        "M" => Duration::from_secs(amount.saturating_mul(60)),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// Writes `timeout` as `grpc-timeout`, in milliseconds (rounded up, so a
/// call never gets less than it was given; 8 digits hold 27 hours).
pub(crate) fn set_grpc_timeout(headers: &mut http::HeaderMap, timeout: Duration) {
    let millis = timeout.as_millis().clamp(1, 99_999_999);
    let millis = if Duration::from_millis(millis as u64) < timeout && millis < 99_999_999 {
        millis + 1
    } else {
        millis
    };
    if let Ok(value) = http::HeaderValue::from_str(&format!("{millis}m")) {
        headers.insert("grpc-timeout", value);
    }
}

/// The status of a call refused or given up for load: `code`, an
/// `ErrorInfo` with `reason` in `domain`, and a `RetryInfo` of `retry_after`.
pub(crate) fn busy_status(
    code: Code,
    reason: &str,
    domain: &str,
    message: String,
    retry_after: Option<Duration>,
) -> Status {
    let mut details = ErrorDetails::with_error_info(reason, domain, HashMap::new());
    if retry_after.is_some() {
        details.set_retry_info(retry_after);
    }
    Status::with_error_details(code, message, details)
}

/// The server's limits (see [`ServerSettings`]), as a tower layer applied to
/// every call the server takes.
#[derive(Clone)]
pub struct OverloadLayer {
    limits: Arc<Limits>,
}

struct Limits {
    timeout: Duration,
    in_flight: Option<Arc<Semaphore>>,
    max_in_flight: usize,
    retry_after: Duration,
    domain: String,
}

impl OverloadLayer {
    /// Limits from `settings`; refusals carry `ErrorInfo` in the domain of
    /// `service` (`<service>.backorder`, as [`crate::error`] does).
    pub fn new(settings: &ServerSettings, service: &str) -> Self {
        let max_in_flight = settings.max_concurrent_requests;
        Self {
            limits: Arc::new(Limits {
                timeout: Duration::from_millis(settings.request_timeout_ms.max(1)),
                // A semaphore rather than tower's ConcurrencyLimit: that one
                // takes its permit in poll_ready, before the request (and so
                // its path) is known, and health must not need a permit.
                in_flight: (max_in_flight > 0)
                    .then(|| Arc::new(Semaphore::new(max_in_flight.min(Semaphore::MAX_PERMITS)))),
                max_in_flight,
                retry_after: Duration::from_millis(settings.retry_after_ms),
                domain: format!("{service}.backorder"),
            }),
        }
    }
}

impl<S> Layer<S> for OverloadLayer {
    type Service = Overload<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Overload {
            inner,
            limits: self.limits.clone(),
        }
    }
}

/// The service made by [`OverloadLayer`].
#[derive(Clone)]
pub struct Overload<S> {
    inner: S,
    limits: Arc<Limits>,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for Overload<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError> + Send + 'static,
    ReqBody: Send + 'static,
    ResBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        // Take the instance that was polled ready; leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if is_exempt(request.uri().path()) {
            return Box::pin(async move {
                inner
                    .call(request)
                    .await
                    .map(|response| response.map(Body::new))
                    .map_err(Into::into)
            });
        }
        let limits = self.limits.clone();
        let permit = match &limits.in_flight {
            Some(in_flight) => match in_flight.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    let status = busy_status(
                        Code::ResourceExhausted,
                        "OVERLOADED",
                        &limits.domain,
                        format!(
                            "the server is busy ({} calls in flight); retry after {} ms",
                            limits.max_in_flight,
                            limits.retry_after.as_millis()
                        ),
                        Some(limits.retry_after),
                    );
                    return Box::pin(std::future::ready(Ok(status.into_http())));
                }
            },
            None => None,
        };
        let (limit, callers) = match grpc_timeout(request.headers()) {
            Some(deadline) if deadline < limits.timeout => (deadline, true),
            _ => (limits.timeout, false),
        };
        Box::pin(async move {
            // Held until the handler has answered; dropping the handler on
            // timeout rolls its transaction back.
            let _permit = permit;
            match tokio::time::timeout(limit, inner.call(request)).await {
                Ok(result) => result
                    .map(|response| relabel_refusals(response, &limits.domain))
                    .map_err(Into::into),
                Err(_) if callers => Ok(Status::deadline_exceeded(format!(
                    "the caller's deadline ({} ms) passed",
                    limit.as_millis()
                ))
                .into_http()),
                Err(_) => Ok(busy_status(
                    Code::Unavailable,
                    "REQUEST_TIMEOUT",
                    &limits.domain,
                    format!(
                        "the server gave up after {} ms (server.request_timeout_ms); \
                         nothing was committed, retry",
                        limit.as_millis()
                    ),
                    Some(limits.retry_after),
                )
                .into_http()),
            }
        })
    }
}

/// gRPC says a message over the limit is `RESOURCE_EXHAUSTED`; tonic 0.14
/// refuses a request over `max_decoding_message_size` with `OUT_OF_RANGE`,
/// which reads as a bad argument, and one that does not decode with
/// `INTERNAL`. Its refusals come back before any handler ran, as
/// trailers-only answers without details (a handler's carry an
/// `ErrorInfo`), so they are relabelled here.
fn relabel_refusals<B>(response: http::Response<B>, domain: &str) -> http::Response<Body>
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let refused_by_tonic = Status::from_header_map(response.headers())
        .filter(|_| !response.headers().contains_key("grpc-status-details-bin"));
    match refused_by_tonic {
        Some(status)
            if status.code() == Code::OutOfRange
                && status.message().contains("message length too large") =>
        {
            busy_status(
                Code::ResourceExhausted,
                "MESSAGE_TOO_LARGE",
                domain,
                format!("{} (server.max_message_bytes)", status.message()),
                None,
            )
            .into_http()
        }
        // tonic answers a request that does not decode as its message type
        // INTERNAL, which reads as the server's fault; it is the caller's.
        Some(status)
            if status.code() == Code::Internal
                && status
                    .message()
                    .starts_with("failed to decode Protobuf message") =>
        {
            let details = ErrorDetails::with_error_info("MALFORMED_MESSAGE", domain, []);
            Status::with_error_details(
                Code::InvalidArgument,
                format!(
                    "the request is not a valid message of this RPC ({}); \
                     check the field types against the .proto",
                    status.message()
                ),
                details,
            )
            .into_http()
        }
        _ => response.map(Body::new),
    }
}

#[cfg(test)]
mod tests {
    use tower::ServiceExt;

    use super::*;

    fn settings(request_timeout_ms: u64) -> ServerSettings {
        ServerSettings {
            host: "127.0.0.1".into(),
            port: 0,
            drain_seconds: 0,
            health_port: None,
            request_timeout_ms,
            max_concurrent_requests: 0,
            retry_after_ms: 100,
            max_message_bytes: 4 * 1024 * 1024,
            prebound: Default::default(),
        }
    }

    /// A handler that never answers in time.
    fn slow() -> impl Service<
        http::Request<Body>,
        Response = http::Response<Body>,
        Error = std::convert::Infallible,
        Future = impl Send,
    > + Clone
    + Send
    + 'static {
        tower::service_fn(|_request: http::Request<Body>| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<_, std::convert::Infallible>(http::Response::new(Body::empty()))
        })
    }

    fn status_of(response: &http::Response<Body>) -> Option<Code> {
        Status::from_header_map(response.headers()).map(|s| s.code())
    }

    #[tokio::test]
    async fn the_callers_shorter_deadline_wins_and_is_answered_deadline_exceeded() {
        let service = OverloadLayer::new(&settings(30_000), "test").layer(slow());
        let mut request = http::Request::new(Body::empty());
        *request.uri_mut() = http::Uri::from_static("/backorder.test.v1.T/Call");
        set_grpc_timeout(request.headers_mut(), Duration::from_millis(50));
        let response = tokio::time::timeout(Duration::from_secs(30), service.oneshot(request))
            .await
            .expect("answered by the caller's deadline")
            .expect("a response");
        assert_eq!(status_of(&response), Some(Code::DeadlineExceeded));
    }

    #[tokio::test]
    async fn the_servers_limit_is_answered_unavailable_with_retry_advice() {
        let service = OverloadLayer::new(&settings(50), "test").layer(slow());
        let mut request = http::Request::new(Body::empty());
        *request.uri_mut() = http::Uri::from_static("/backorder.test.v1.T/Call");
        let response = tokio::time::timeout(Duration::from_secs(30), service.oneshot(request))
            .await
            .expect("answered by the server's limit")
            .expect("a response");
        let status = Status::from_header_map(response.headers()).expect("a status");
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(
            status.get_details_retry_info().and_then(|r| r.retry_delay),
            Some(Duration::from_millis(100))
        );
    }

    #[test]
    fn grpc_timeouts_read_and_write() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(grpc_timeout(&headers), None);
        headers.insert("grpc-timeout", http::HeaderValue::from_static("150m"));
        assert_eq!(grpc_timeout(&headers), Some(Duration::from_millis(150)));
        headers.insert("grpc-timeout", http::HeaderValue::from_static("2S"));
        assert_eq!(grpc_timeout(&headers), Some(Duration::from_secs(2)));
        headers.insert("grpc-timeout", http::HeaderValue::from_static("xS"));
        assert_eq!(grpc_timeout(&headers), None);
        set_grpc_timeout(&mut headers, Duration::from_micros(1500));
        assert_eq!(grpc_timeout(&headers), Some(Duration::from_millis(2)));
    }
}
