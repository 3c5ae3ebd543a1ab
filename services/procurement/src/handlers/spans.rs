//! Tracing for work that serves many demands at once (acknowledge, cancel,
//! late sourcing): each demand gets a short span in the trace of the sale
//! that raised it, linked both ways with the RPC's span.

use backorder_platform::telemetry::{continue_stored_trace, traceparent_of};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::store::demand;

/// The RPC span of work that serves many demands.
pub struct Batch {
    span: tracing::Span,
}

impl Batch {
    /// The current span as the batch.
    pub fn current() -> Self {
        Self {
            span: tracing::Span::current(),
        }
    }

    /// A span for the work on one demand, in the trace of its sale. Ids
    /// only: no customer data.
    pub fn demand_span(&self, demand: &demand::Model, name: &'static str) -> tracing::Span {
        let span = tracing::info_span!(
            "procurement.demand",
            otel.name = name,
            demand.id = %demand.id,
            order.id = %demand.order_id,
            order.line_id = %demand.line_id,
            sku = %demand.sku,
            quantity = demand.quantity,
        );
        continue_stored_trace(&span, demand.trace_context.as_deref(), &self.span);
        span
    }
}

/// The `traceparent` messages sent for the work of `span` continue.
pub fn traceparent(span: &tracing::Span) -> Option<String> {
    traceparent_of(&span.context())
}
