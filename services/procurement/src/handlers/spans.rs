//! Tracing for work that serves many demands at once (acknowledge, cancel,
//! late sourcing, a drop shipment): each demand, or one customer order's
//! demands together, get a short span in the trace of the sale that raised
//! them, linked both ways with the RPC's span.

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

    /// A span for work on one customer order's demands together, in the
    /// trace of the sale that raised `first` of them (an order's lines are
    /// reserved, so their demand raised, by one call). Ids only.
    pub fn order_span(
        &self,
        first: &demand::Model,
        purchase_order_id: &str,
        name: &'static str,
    ) -> tracing::Span {
        let span = tracing::info_span!(
            "procurement.order",
            otel.name = name,
            order.id = %first.order_id,
            purchase_order.id = %purchase_order_id,
        );
        continue_stored_trace(&span, first.trace_context.as_deref(), &self.span);
        span
    }
}

/// The `traceparent` messages sent for the work of `span` continue.
pub fn traceparent(span: &tracing::Span) -> Option<String> {
    traceparent_of(&span.context())
}
