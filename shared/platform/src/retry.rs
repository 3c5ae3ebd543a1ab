//! What every call to a peer gets on its way out: a deadline (the caller's,
//! else `client.timeout_ms`) that bounds the whole call, waiting for an
//! address to call included, and, for calls marked [`Idempotent`], retries
//! with jittered backoff on `UNAVAILABLE`, `RESOURCE_EXHAUSTED` and
//! `ABORTED`, within a budget so that a failing peer gets at most a share
//! more calls, never a multiple.
//!
//! Only the caller knows whether a call may be repeated: reads may, and so
//! may mutating calls that carry a `request_id` (the receiver answers a
//! repeat with the first answer). Everything else is attempted once.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use http_body_util::BodyExt;
use rand::Rng;
use tokio::time::Instant;
use tonic::body::Body;
use tonic::{Code, Status};
use tonic_types::StatusExt;
use tower::retry::budget::{Budget, TpsBudget};
use tower::{Service, ServiceExt};

use crate::config::ClientSettings;
use crate::overload::{grpc_timeout, set_grpc_timeout};
use crate::server::BoxError;

/// Marks a call safe to repeat (see the module's documentation); put in a
/// request's extensions by [`idempotent`] or [`mark_idempotent`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Idempotent;

/// A request for `message` with deadline `timeout`, marked [`Idempotent`].
pub fn idempotent<T>(message: T, timeout: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(timeout);
    mark_idempotent(&mut request);
    request
}

/// Marks `request` [`Idempotent`].
pub fn mark_idempotent<T>(request: &mut tonic::Request<T>) {
    request.extensions_mut().insert(Idempotent);
}

/// How many addresses a balanced channel currently has: with none, a call
/// that runs out of time failed for want of a peer, not for a slow one.
#[derive(Clone, Debug, Default)]
pub struct ResolvedAddresses(Arc<AtomicUsize>);

impl ResolvedAddresses {
    pub(crate) fn set(&self, count: usize) {
        self.0.store(count, Ordering::Relaxed);
    }

    fn none(&self) -> bool {
        self.0.load(Ordering::Relaxed) == 0
    }
}

/// Deadlines and retries around a channel (see the module's documentation).
#[derive(Clone)]
pub struct CallPolicy<S> {
    inner: S,
    shared: Arc<Shared>,
}

struct Shared {
    target: String,
    timeout: Duration,
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    budget: TpsBudget,
    resolved: Option<ResolvedAddresses>,
}

/// How long retries are remembered by the budget.
const BUDGET_WINDOW: Duration = Duration::from_secs(10);

impl<S> CallPolicy<S> {
    /// Wraps `inner`, the channel to `target` (named in errors). `resolved`
    /// is the address count of a balanced channel, `None` for one address.
    pub fn new(
        inner: S,
        target: &str,
        settings: &ClientSettings,
        resolved: Option<ResolvedAddresses>,
    ) -> Self {
        let percent = settings.retry_budget_percent.min(1000) as f32 / 100.0;
        Self {
            inner,
            shared: Arc::new(Shared {
                target: target.to_owned(),
                timeout: Duration::from_millis(settings.timeout_ms.max(1)),
                max_attempts: settings.max_attempts.max(1),
                initial_backoff: Duration::from_millis(settings.initial_backoff_ms),
                max_backoff: Duration::from_millis(settings.max_backoff_ms),
                budget: TpsBudget::new(
                    BUDGET_WINDOW,
                    settings.retry_min_per_second.min(1_000_000),
                    percent,
                ),
                resolved,
            }),
        }
    }
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S> Service<http::Request<Body>> for CallPolicy<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is awaited inside the call, under its deadline: a
        // balanced channel with no address is never ready, and waiting
        // for it here would be waiting with no deadline at all.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let inner = self.inner.clone();
        let shared = self.shared.clone();
        Box::pin(async move { shared.run(inner, request).await })
    }
}

impl Shared {
    async fn run<S>(
        &self,
        inner: S,
        request: http::Request<Body>,
    ) -> Result<http::Response<Body>, BoxError>
    where
        S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
    {
        let (mut parts, body) = request.into_parts();
        let timeout = grpc_timeout(&parts.headers).unwrap_or(self.timeout);
        let deadline = Instant::now() + timeout;
        let retryable = self.max_attempts > 1 && parts.extensions.get::<Idempotent>().is_some();
        if !retryable {
            set_grpc_timeout(&mut parts.headers, timeout);
            return self
                .attempt(inner, http::Request::from_parts(parts, body), deadline)
                .await;
        }
        self.budget.deposit();
        // A repeat needs the request again: a unary request is one small
        // message, kept in memory for the length of the call.
        let bytes = match tokio::time::timeout_at(deadline, body.collect()).await {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(error)) => return Err(error.into()),
            Err(_) => return Err(Box::new(self.out_of_time())),
        };
        let mut attempt = 1;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let mut builder = http::Request::builder()
                .method(parts.method.clone())
                .uri(parts.uri.clone())
                .version(parts.version);
            if let Some(headers) = builder.headers_mut() {
                *headers = parts.headers.clone();
                set_grpc_timeout(headers, remaining);
            }
            if let Some(extensions) = builder.extensions_mut() {
                *extensions = parts.extensions.clone();
            }
            let request = builder.body(Body::new(http_body_util::Full::new(bytes.clone())))?;
            let outcome = self.attempt(inner.clone(), request, deadline).await;
            let Some(advised) = worth_retrying(&outcome) else {
                return outcome;
            };
            if attempt >= self.max_attempts {
                return outcome;
            }
            let delay = self.backoff(attempt).max(advised);
            if Instant::now() + delay >= deadline {
                return outcome;
            }
            if !self.budget.withdraw() {
                tracing::debug!(target = %self.target, "retry budget spent; not retrying");
                return outcome;
            }
            tracing::debug!(
                target = %self.target,
                attempt,
                delay_ms = delay.as_millis() as u64,
                "retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One attempt, waiting for the channel included, bounded by `deadline`.
    async fn attempt<S>(
        &self,
        inner: S,
        request: http::Request<Body>,
        deadline: Instant,
    ) -> Result<http::Response<Body>, BoxError>
    where
        S: Service<http::Request<Body>, Response = http::Response<Body>> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
    {
        let call = async move {
            let mut inner = inner;
            let ready = inner.ready().await.map_err(Into::into)?;
            ready.call(request).await.map_err(Into::into)
        };
        match tokio::time::timeout_at(deadline, call).await {
            // The connection enforces the same grpc-timeout and reports it
            // as CANCELLED; whichever timer fired first, the call ran out
            // of time.
            Ok(Err(error)) if timed_out(error.as_ref()) => Err(Box::new(self.out_of_time())),
            Ok(result) => result,
            Err(_) => Err(Box::new(self.out_of_time())),
        }
    }

    /// The status of a call that ran out of time: `UNAVAILABLE` when the
    /// balanced channel has no address to call (nothing could answer, and a
    /// later call may find one), `DEADLINE_EXCEEDED` otherwise.
    fn out_of_time(&self) -> Status {
        if self.resolved.as_ref().is_some_and(ResolvedAddresses::none) {
            Status::unavailable(format!(
                "no address of {} resolved before the deadline",
                self.target
            ))
        } else {
            Status::deadline_exceeded(format!("{} did not answer in time", self.target))
        }
    }

    /// Full jitter over an exponential ceiling: retries of many callers
    /// spread out instead of arriving together.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_backoff);
        let millis = ceiling.as_millis() as u64;
        if millis == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

/// Whether `error` (or one of its causes) is tonic's own timeout.
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<tonic::TimeoutExpired>() {
            return true;
        }
        current = error.source();
    }
    false
}

/// `Some(advised delay)` when `outcome` is worth another attempt: the peer
/// could not be reached, or answered `UNAVAILABLE`, `RESOURCE_EXHAUSTED` or
/// `ABORTED` (its `RetryInfo`, if any, is the least delay). A status in the
/// trailers of a streamed answer is not looked at: such an answer has begun.
fn worth_retrying(outcome: &Result<http::Response<Body>, BoxError>) -> Option<Duration> {
    match outcome {
        // Our own deadline status: no time left for another attempt.
        Err(error) if error.downcast_ref::<Status>().is_some() => None,
        // Not connected, connection lost: nothing was answered.
        Err(_) => Some(Duration::ZERO),
        Ok(response) => {
            let status = Status::from_header_map(response.headers())?;
            match status.code() {
                Code::Unavailable | Code::ResourceExhausted | Code::Aborted => Some(
                    status
                        .get_details_retry_info()
                        .and_then(|info| info.retry_delay)
                        .unwrap_or(Duration::ZERO),
                ),
                _ => None,
            }
        }
    }
}
