//! RED metrics of the calls a server answers: one histogram,
//! `rpc.server.duration` (milliseconds), whose count is the rate, whose
//! `rpc.grpc.status_code` attribute gives the errors, and whose buckets
//! give the latency, per `rpc.service` and `rpc.method` (OpenTelemetry's
//! RPC conventions). Health and reflection are left out: probes would
//! drown the service's own calls.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Instant;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Histogram, Meter};
use tower::{Layer, Service};

use crate::grpc::status_code_of;
use crate::overload::is_exempt;

/// Bucket bounds (ms): fine where calls usually end, coarse up to the
/// server's time limits.
const BOUNDS_MS: [f64; 16] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 35.0, 50.0, 75.0, 100.0, 150.0, 250.0, 500.0, 1_000.0, 2_500.0,
    5_000.0, 10_000.0,
];

/// Measures each call's duration and outcome; does nothing without a meter.
#[derive(Clone, Default)]
pub struct RpcMetricsLayer {
    duration: Option<Histogram<f64>>,
}

impl RpcMetricsLayer {
    /// Records on `meter`, or nowhere when metrics are not exported.
    pub fn new(meter: Option<&Meter>) -> Self {
        Self {
            duration: meter.map(|meter| {
                meter
                    .f64_histogram("rpc.server.duration")
                    .with_description("Time to answer each call, by RPC and status code")
                    .with_unit("ms")
                    .with_boundaries(BOUNDS_MS.to_vec())
                    .build()
            }),
        }
    }
}

impl<S> Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics {
            inner,
            duration: self.duration.clone(),
        }
    }
}

/// The service made by [`RpcMetricsLayer`].
#[derive(Clone)]
pub struct RpcMetrics<S> {
    inner: S,
    duration: Option<Histogram<f64>>,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for RpcMetrics<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let path = request.uri().path();
        let Some(duration) = self.duration.clone().filter(|_| !is_exempt(path)) else {
            return Box::pin(inner.call(request));
        };
        let trimmed = path.trim_start_matches('/');
        let (service, method) = trimmed.split_once('/').unwrap_or((trimmed, ""));
        let (service, method) = (service.to_owned(), method.to_owned());
        let started = Instant::now();
        Box::pin(async move {
            let result = inner.call(request).await;
            // A transport failure before any status counts as UNAVAILABLE.
            let code = result
                .as_ref()
                .map_or(14, |response| status_code_of(response.headers()));
            duration.record(
                started.elapsed().as_secs_f64() * 1_000.0,
                &[
                    KeyValue::new("rpc.system", "grpc"),
                    KeyValue::new("rpc.service", service),
                    KeyValue::new("rpc.method", method),
                    KeyValue::new("rpc.grpc.status_code", i64::from(code)),
                ],
            );
            result
        })
    }
}
