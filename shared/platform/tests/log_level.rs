//! With export off, the log level is the only filter: nothing below
//! it is even built (no span or event of the drivers' internals), so
//! logging at `info` costs what `info` logs; and no meter provider is built.

use backorder_platform::config::{LogFormat, TelemetrySettings};
use tracing::level_filters::LevelFilter;

#[test]
fn without_export_nothing_below_the_log_level_is_enabled() {
    // SAFETY-free: this test binary runs this one test, before any thread
    // reads the environment.
    for name in [
        "RUST_LOG",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    ] {
        assert!(
            std::env::var_os(name).is_none(),
            "{name} is set; this test needs the defaults"
        );
    }
    let settings = TelemetrySettings {
        log_format: LogFormat::Text,
        log_level: "info".to_owned(),
        otlp_endpoint: None,
        sample_ratio: None,
        metric_export_interval_ms: None,
    };
    let guard = backorder_platform::telemetry::init("log-level-test", &settings).expect("init");
    assert!(guard.meter().is_none(), "no meter provider without export");
    assert_eq!(LevelFilter::current(), LevelFilter::INFO);
    assert!(!tracing::enabled!(target: "h2", tracing::Level::TRACE));
    assert!(!tracing::enabled!(target: "sqlx::query", tracing::Level::DEBUG));
    assert!(tracing::enabled!(target: "backorder", tracing::Level::INFO));
}
