//! Log lines joined to traces: every line logged inside a traced span carries
//! its `trace_id` and `span_id`, in text and in JSON.

use std::fmt;
use std::sync::OnceLock;

use opentelemetry::trace::TraceContextExt;
use tracing::span::Id;
use tracing::{Dispatch, Event, Subscriber};
use tracing_core::dispatcher::WeakDispatch;
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields, Writer};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The OpenTelemetry ids of a span, kept in its extensions for formatters.
#[derive(Clone, Debug)]
struct TraceIds {
    trace_id: String,
    span_id: String,
}

/// Records each span's OpenTelemetry ids when it is first entered. Event
/// formatters cannot ask the tracing dispatcher (it refuses re-entry while an
/// event is dispatched), so the ids are read here, where the dispatch is
/// known, and looked up by the formatters from the span's extensions. First
/// entry comes after any `set_parent`, so this never fixes a parent early.
#[derive(Default)]
pub struct TraceIdLayer {
    dispatch: OnceLock<WeakDispatch>,
}

impl<S> Layer<S> for TraceIdLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_register_dispatch(&self, dispatch: &Dispatch) {
        let _ = self.dispatch.set(dispatch.downgrade());
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if span.extensions().get::<TraceIds>().is_some() {
            return;
        }
        let Some(dispatch) = self.dispatch.get().and_then(WeakDispatch::upgrade) else {
            return;
        };
        let Some(cx) = tracing_opentelemetry::get_otel_context(id, &dispatch) else {
            return;
        };
        let otel_span = cx.span();
        let sc = otel_span.span_context();
        if sc.is_valid() {
            span.extensions_mut().insert(TraceIds {
                trace_id: sc.trace_id().to_string(),
                span_id: sc.span_id().to_string(),
            });
        }
    }
}

fn current_ids<S, N>(ctx: &FmtContext<'_, S, N>) -> Option<(String, String)>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    let span = ctx.lookup_current()?;
    let extensions = span.extensions();
    let ids = extensions.get::<TraceIds>()?;
    Some((ids.trace_id.clone(), ids.span_id.clone()))
}

/// Human-readable lines, prefixed with the trace and span id when traced.
pub struct TraceTextFormat;

impl<S, N> FormatEvent<S, N> for TraceTextFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if let Some((trace_id, span_id)) = current_ids(ctx) {
            write!(writer, "trace_id={trace_id} span_id={span_id} ")?;
        }
        format::Format::default().format_event(ctx, writer, event)
    }
}

/// One JSON object per line with `trace_id` and `span_id` fields when traced.
pub struct TraceJsonFormat;

impl<S, N> FormatEvent<S, N> for TraceJsonFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = String::new();
        format::Format::default()
            .json()
            .flatten_event(true)
            .format_event(ctx, Writer::new(&mut line), event)?;
        match (current_ids(ctx), line.strip_prefix('{')) {
            (Some((trace_id, span_id)), Some(rest)) => write!(
                writer,
                "{{\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\",{rest}"
            ),
            _ => writer.write_str(&line),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut inner) = self.0.lock() {
                inner.extend_from_slice(data);
            }
            Ok(data.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged_with<F>(json: bool, body: F) -> (String, String)
    where
        F: FnOnce(),
    {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let provider = SdkTracerProvider::builder().build();
        let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
        let make_writer = move || writer.clone();
        let mut trace_id = String::new();
        if json {
            let subscriber = tracing_subscriber::registry()
                .with(otel)
                .with(TraceIdLayer::default())
                .with(
                    tracing_subscriber::fmt::layer()
                        .json()
                        .event_format(TraceJsonFormat)
                        .with_writer(make_writer),
                );
            tracing::subscriber::with_default(subscriber, || {
                let span = tracing::info_span!("work");
                let _entered = span.enter();
                trace_id = span.context().span().span_context().trace_id().to_string();
                body();
            });
        } else {
            let subscriber = tracing_subscriber::registry()
                .with(otel)
                .with(TraceIdLayer::default())
                .with(
                    tracing_subscriber::fmt::layer()
                        .event_format(TraceTextFormat)
                        .with_writer(make_writer),
                );
            tracing::subscriber::with_default(subscriber, || {
                let span = tracing::info_span!("work");
                let _entered = span.enter();
                trace_id = span.context().span().span_context().trace_id().to_string();
                body();
            });
        }
        let text = buffer
            .0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        (text, trace_id)
    }

    #[test]
    fn json_lines_carry_the_trace_and_span_id() {
        let (line, trace_id) = logged_with(true, || tracing::info!(answer = 42, "hello"));
        let value: serde_json::Value = serde_json::from_str(line.trim()).expect("one JSON object");
        assert_eq!(value["trace_id"], trace_id.as_str());
        assert_eq!(value["span_id"].as_str().map(str::len), Some(16));
        assert_eq!(value["answer"], 42);
    }

    #[test]
    fn text_lines_carry_the_trace_id() {
        let (line, trace_id) = logged_with(false, || tracing::info!("hello"));
        assert!(
            line.starts_with(&format!("trace_id={trace_id} span_id=")),
            "{line}"
        );
        assert!(line.contains("hello"));
    }
}
