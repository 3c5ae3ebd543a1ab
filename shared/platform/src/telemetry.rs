//! Logs, traces and metrics, set up once per process.
//!
//! Traces go through `tracing` and `tracing-opentelemetry` to an OTLP/gRPC
//! collector when an endpoint is configured (settings or the standard
//! `OTEL_EXPORTER_OTLP_*` variables); otherwise no OpenTelemetry layer is
//! installed at all, so tracing costs nothing beyond logging. Metrics go to
//! the same collector under the same rule: with no endpoint no meter
//! provider is built, and no service measures anything (see
//! [`crate::metrics`]).

use std::time::Duration;

use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry::{Context, global};
use opentelemetry_otlp::{MetricExporter, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, TelemetrySettings};

/// Keeps the trace and metric pipelines alive; flushes and shuts them down
/// when dropped.
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
}

impl TelemetryGuard {
    /// Whether spans are exported.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// The meter the service's gauges are registered with; `None` when
    /// metrics are not exported.
    pub fn meter(&self) -> Option<Meter> {
        self.meter_provider.as_ref().map(|p| p.meter(METER))
    }

    /// Exports the last readings and stops both exporters.
    pub fn shutdown(&mut self) {
        if let Some(provider) = self.meter_provider.take() {
            // Shutting down collects and exports once more.
            if let Err(error) = provider.shutdown() {
                eprintln!("stopping the metric exporter failed: {error}");
            }
        }
        if let Some(provider) = self.provider.take() {
            if let Err(error) = provider.force_flush() {
                eprintln!("flushing spans failed: {error}");
            }
            if let Err(error) = provider.shutdown() {
                eprintln!("stopping the span exporter failed: {error}");
            }
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Name of the meter (the instrumentation scope of every gauge).
const METER: &str = "backorder";

/// Metric export interval when neither the settings nor
/// `OTEL_METRIC_EXPORT_INTERVAL` give one (the SDK's own default is a minute,
/// too coarse for a backlog that moves by the second).
const DEFAULT_METRIC_EXPORT_INTERVAL: Duration = Duration::from_secs(10);

fn otlp_endpoint(settings: &TelemetrySettings) -> Option<String> {
    settings
        .otlp_endpoint
        .clone()
        .or_else(|| std::env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").ok())
        .or_else(|| std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok())
        .filter(|e| !e.trim().is_empty())
}

/// Where metrics go: the configured endpoint, else the standard variables,
/// unless `OTEL_METRICS_EXPORTER=none` turns metrics off on their own.
/// `env` reads a variable (a parameter so tests need not touch the
/// process's environment).
fn metrics_endpoint(
    settings: &TelemetrySettings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    if env("OTEL_METRICS_EXPORTER").is_some_and(|e| e.trim().eq_ignore_ascii_case("none")) {
        return None;
    }
    settings
        .otlp_endpoint
        .clone()
        .or_else(|| env("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"))
        .or_else(|| env("OTEL_EXPORTER_OTLP_ENDPOINT"))
        .filter(|e| !e.trim().is_empty())
}

/// The settings' interval, else `OTEL_METRIC_EXPORT_INTERVAL` (ms), else
/// the default.
fn metric_export_interval(
    settings: &TelemetrySettings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Duration {
    settings
        .metric_export_interval_ms
        .or_else(|| env("OTEL_METRIC_EXPORT_INTERVAL").and_then(|v| v.trim().parse().ok()))
        .filter(|ms| *ms > 0)
        .map_or(DEFAULT_METRIC_EXPORT_INTERVAL, Duration::from_millis)
}

/// The meter provider, or `None` when metrics are not exported. The tonic
/// exporter binds to the Tokio runtime it is built in: call from within it.
fn meter_provider(
    settings: &TelemetrySettings,
    resource: Resource,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<SdkMeterProvider>, String> {
    let Some(endpoint) = metrics_endpoint(settings, env) else {
        return Ok(None);
    };
    let exporter = MetricExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| format!("OTLP metric exporter: {e}"))?;
    let reader = PeriodicReader::builder(exporter)
        .with_interval(metric_export_interval(settings, env))
        .build();
    Ok(Some(
        SdkMeterProvider::builder()
            .with_reader(reader)
            .with_resource(resource)
            .build(),
    ))
}

fn resource(service: &str) -> Resource {
    let mut resource = Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name(service.to_owned());
    }
    resource.build()
}

/// The configured sampler, if the settings name one (else the SDK reads the
/// standard `OTEL_TRACES_SAMPLER` variables).
fn sampler(settings: &TelemetrySettings) -> Option<Sampler> {
    settings.sample_ratio.map(|ratio| {
        Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio.clamp(0.0, 1.0))))
    })
}

/// Installs the global subscriber for `service`. Call once, early in `main`.
pub fn init(service: &str, settings: &TelemetrySettings) -> Result<TelemetryGuard, String> {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| {
            EnvFilter::try_new(format!(
                "{},sqlx=warn,h2=warn,tower=warn,hyper=warn",
                settings.log_level
            ))
        })
        .map_err(|e| format!("invalid log filter: {e}"))?;

    let provider = match otlp_endpoint(settings) {
        Some(endpoint) => {
            let exporter = SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .build()
                .map_err(|e| format!("OTLP exporter: {e}"))?;
            let mut builder = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(resource(service));
            if let Some(sampler) = sampler(settings) {
                builder = builder.with_sampler(sampler);
            }
            Some(builder.build())
        }
        None => None,
    };
    let meter_provider = meter_provider(settings, resource(service), &|name| {
        std::env::var(name).ok()
    })?;
    // Spans are exported whatever the log level: the log filter applies to
    // log lines only, and traces take our own spans at INFO and above (the
    // HTTP/2 and database drivers' internals stay out).
    let trace_filter = Targets::new()
        .with_default(LevelFilter::INFO)
        .with_target("h2", LevelFilter::OFF)
        .with_target("hyper", LevelFilter::OFF)
        .with_target("hyper_util", LevelFilter::OFF)
        .with_target("tower", LevelFilter::OFF)
        .with_target("sqlx", LevelFilter::OFF);
    // The trace-id layer exists only to put exported trace ids on log
    // lines, so it comes, and is filtered, with the exporter: an unfiltered
    // layer would enable every span and event at every level (the global
    // level would be TRACE), and with export off the log filter must be
    // the only one.
    let otel_layer = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("backorder"))
            .and_then(crate::logfmt::TraceIdLayer::default())
            .with_filter(trace_filter)
    });
    let registry = tracing_subscriber::registry().with(otel_layer);
    let result = match settings.log_format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .event_format(crate::logfmt::TraceJsonFormat)
                    .with_filter(filter),
            )
            .try_init(),
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .event_format(crate::logfmt::TraceTextFormat)
                    .with_filter(filter),
            )
            .try_init(),
    };
    result.map_err(|e| format!("installing the log subscriber: {e}"))?;
    Ok(TelemetryGuard {
        provider,
        meter_provider,
    })
}

/// W3C `traceparent` of the current span, if it is being traced.
pub fn current_traceparent() -> Option<String> {
    traceparent_of(&tracing::Span::current().context())
}

/// W3C `traceparent` of a context, if it holds a valid span.
pub fn traceparent_of(cx: &Context) -> Option<String> {
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = std::collections::HashMap::new();
    TraceContextPropagator::new().inject_context(cx, &mut carrier);
    carrier.remove("traceparent")
}

/// A remote parent context from a stored `traceparent`.
pub fn context_from_traceparent(traceparent: &str) -> Context {
    let mut carrier = std::collections::HashMap::new();
    carrier.insert("traceparent".to_owned(), traceparent.to_owned());
    TraceContextPropagator::new().extract(&carrier)
}

/// Hex trace id of a stored `traceparent` (its second field).
pub fn trace_id_of(traceparent: &str) -> Option<String> {
    traceparent.split('-').nth(1).map(str::to_owned)
}

/// Writes the current context into gRPC/HTTP headers.
pub fn inject_headers(cx: &Context, headers: &mut http::HeaderMap) {
    global::get_text_map_propagator(|p| p.inject_context(cx, &mut HeaderInjector(headers)));
}

/// Reads a remote context from gRPC/HTTP headers.
pub fn extract_headers(headers: &http::HeaderMap) -> Context {
    global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)))
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::header::HeaderName::from_bytes(key.as_bytes()),
            http::header::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Work done now for something that began in another trace (a stock receipt
/// filling a sale's line, a shipment an operator starts days later): puts
/// `span`, not yet entered, in the trace of the stored `traceparent`, and
/// links it both ways with `batch`, the span of the work at hand, so each
/// trace view leads to the other.
pub fn continue_stored_trace(
    span: &tracing::Span,
    traceparent: Option<&str>,
    batch: &tracing::Span,
) {
    if let Some(traceparent) = traceparent {
        let origin = context_from_traceparent(traceparent);
        batch.add_link(origin.span().span_context().clone());
        let _ = span.set_parent(origin);
    }
    span.add_link(batch.context().span().span_context().clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(sample_ratio: Option<f64>) -> TelemetrySettings {
        TelemetrySettings {
            log_format: LogFormat::Text,
            log_level: "info".into(),
            otlp_endpoint: None,
            sample_ratio,
            metric_export_interval_ms: None,
        }
    }

    #[test]
    fn a_configured_ratio_samples_parent_based_and_is_clamped() {
        let quarter = format!("{:?}", sampler(&settings(Some(0.25))));
        assert!(
            quarter.contains("ParentBased(TraceIdRatioBased(0.25))"),
            "{quarter}"
        );
        let clamped = format!("{:?}", sampler(&settings(Some(7.0))));
        assert!(clamped.contains("TraceIdRatioBased(1.0)"), "{clamped}");
        assert!(
            sampler(&settings(None)).is_none(),
            "unset: the SDK reads OTEL_TRACES_SAMPLER"
        );
    }

    /// An environment holding only `pairs`.
    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[tokio::test]
    async fn a_meter_provider_is_built_only_when_metrics_are_exported() {
        let off = settings(None);
        let built = |env: &dyn Fn(&str) -> Option<String>| {
            meter_provider(&off, resource("probe"), env)
                .expect("exporter settings are valid")
                .is_some()
        };
        assert!(!built(&env(&[])), "no endpoint: nothing is built");
        assert!(
            !built(&env(&[(
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://127.0.0.1:1"
            )])),
            "a traces-only endpoint exports no metrics"
        );
        assert!(
            !built(&env(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"),
                ("OTEL_METRICS_EXPORTER", "none"),
            ])),
            "metrics turned off on their own"
        );
        assert!(built(&env(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://127.0.0.1:1"
        )])));
        let configured = TelemetrySettings {
            otlp_endpoint: Some("http://127.0.0.1:1".into()),
            ..settings(None)
        };
        assert!(
            meter_provider(&configured, resource("probe"), &env(&[]))
                .expect("valid")
                .is_some()
        );
    }

    #[test]
    fn the_metric_export_interval_is_the_settings_then_the_variable_then_ten_seconds() {
        let mut settings = settings(None);
        assert_eq!(
            metric_export_interval(&settings, &env(&[])),
            Duration::from_secs(10)
        );
        let variable = env(&[("OTEL_METRIC_EXPORT_INTERVAL", "250")]);
        assert_eq!(
            metric_export_interval(&settings, &variable),
            Duration::from_millis(250)
        );
        settings.metric_export_interval_ms = Some(2_000);
        assert_eq!(
            metric_export_interval(&settings, &variable),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn stored_trace_context_round_trips() {
        let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let cx = context_from_traceparent(traceparent);
        assert_eq!(traceparent_of(&cx).as_deref(), Some(traceparent));
        assert_eq!(
            trace_id_of(traceparent).as_deref(),
            Some("0af7651916cd43dd8448eb211c80319c")
        );
        assert!(traceparent_of(&Context::new()).is_none());
    }
}
