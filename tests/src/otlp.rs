//! A real OTLP/gRPC receiver of traces and metrics for tests: services
//! export to it exactly as they would to a collector.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value as NumberValue;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::Span;
use tokio::sync::oneshot;
use tonic::{Request, Response, Status};

/// One exported span with the `service.name` of its resource.
#[derive(Clone, Debug)]
pub struct CollectedSpan {
    pub service: String,
    pub span: Span,
}

impl CollectedSpan {
    pub fn trace_id(&self) -> String {
        hex(&self.span.trace_id)
    }

    pub fn span_id(&self) -> String {
        hex(&self.span.span_id)
    }

    pub fn parent_span_id(&self) -> String {
        hex(&self.span.parent_span_id)
    }

    /// A string attribute.
    pub fn attribute(&self, key: &str) -> Option<String> {
        self.span
            .attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref())
            .and_then(|v| v.value.as_ref())
            .map(value_text)
    }

    /// Every attribute value as text (span, events and links).
    pub fn all_text(&self) -> Vec<String> {
        let mut out = vec![self.span.name.clone()];
        let texts = |attrs: &[KeyValue]| -> Vec<String> {
            attrs
                .iter()
                .filter_map(|kv| {
                    kv.value
                        .as_ref()
                        .and_then(|v| v.value.as_ref())
                        .map(value_text)
                })
                .collect()
        };
        out.extend(texts(&self.span.attributes));
        for event in &self.span.events {
            out.push(event.name.clone());
            out.extend(texts(&event.attributes));
        }
        out
    }
}

/// One exported gauge or sum data point with the `service.name` of its
/// resource.
#[derive(Clone, Debug)]
pub struct CollectedPoint {
    pub service: String,
    pub metric: String,
    pub unit: String,
    /// Attributes as text, by key.
    pub attributes: Vec<(String, String)>,
    /// The value (an integer point as a float; a histogram's count).
    pub value: f64,
}

impl CollectedPoint {
    /// A string attribute.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn service_name(resource: Option<&Resource>) -> String {
    resource
        .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
        .map(value_text)
        .unwrap_or_default()
}

fn value_text(value: &Value) -> String {
    match value {
        Value::StringValue(s) => s.clone(),
        Value::IntValue(i) => i.to_string(),
        Value::BoolValue(b) => b.to_string(),
        Value::DoubleValue(d) => d.to_string(),
        other => format!("{other:?}"),
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<CollectedSpan>>>,
    points: Arc<Mutex<Vec<CollectedPoint>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut collected = Vec::new();
        for resource_spans in request.into_inner().resource_spans {
            let service = service_name(resource_spans.resource.as_ref());
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    collected.push(CollectedSpan {
                        service: service.clone(),
                        span,
                    });
                }
            }
        }
        if let Ok(mut spans) = self.spans.lock() {
            spans.extend(collected);
        }
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tonic::async_trait]
impl MetricsService for Collector {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let mut collected = Vec::new();
        for resource_metrics in request.into_inner().resource_metrics {
            let service = service_name(resource_metrics.resource.as_ref());
            for metric in resource_metrics
                .scope_metrics
                .into_iter()
                .flat_map(|scope| scope.metrics)
            {
                // A histogram point is collected as its count of values.
                if let Some(Data::Histogram(histogram)) = &metric.data {
                    for point in &histogram.data_points {
                        #[allow(clippy::cast_precision_loss)]
                        collected.push(CollectedPoint {
                            service: service.clone(),
                            metric: metric.name.clone(),
                            unit: metric.unit.clone(),
                            attributes: point
                                .attributes
                                .iter()
                                .filter_map(|kv| {
                                    let value = kv.value.as_ref()?.value.as_ref()?;
                                    Some((kv.key.clone(), value_text(value)))
                                })
                                .collect(),
                            value: point.count as f64,
                        });
                    }
                }
                let points = match metric.data {
                    Some(Data::Gauge(gauge)) => gauge.data_points,
                    Some(Data::Sum(sum)) => sum.data_points,
                    _ => Vec::new(),
                };
                for point in points {
                    let value = match point.value {
                        Some(NumberValue::AsDouble(d)) => d,
                        #[allow(clippy::cast_precision_loss)]
                        Some(NumberValue::AsInt(i)) => i as f64,
                        None => continue,
                    };
                    collected.push(CollectedPoint {
                        service: service.clone(),
                        metric: metric.name.clone(),
                        unit: metric.unit.clone(),
                        attributes: point
                            .attributes
                            .iter()
                            .filter_map(|kv| {
                                let value = kv.value.as_ref()?.value.as_ref()?;
                                Some((kv.key.clone(), value_text(value)))
                            })
                            .collect(),
                        value,
                    });
                }
            }
        }
        if let Ok(mut points) = self.points.lock() {
            points.extend(collected);
        }
        Ok(Response::new(ExportMetricsServiceResponse {
            partial_success: None,
        }))
    }
}

/// The receiver; stops when dropped.
pub struct OtlpReceiver {
    pub addr: SocketAddr,
    collector: Collector,
    _stop: oneshot::Sender<()>,
}

impl OtlpReceiver {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind OTLP receiver");
        let addr = listener.local_addr().expect("receiver address");
        let collector = Collector::default();
        let (stop, stopped) = oneshot::channel::<()>();
        let traces = TraceServiceServer::new(collector.clone());
        let metrics = MetricsServiceServer::new(collector.clone());
        tokio::spawn(async move {
            let _ = tonic::transport::Server::builder()
                .add_service(traces)
                .add_service(metrics)
                .serve_with_incoming_shutdown(
                    tokio_stream::wrappers::TcpListenerStream::new(listener),
                    async {
                        let _ = stopped.await;
                    },
                )
                .await;
        });
        Self {
            addr,
            collector,
            _stop: stop,
        }
    }

    /// `http://addr`, for OTEL_EXPORTER_OTLP_ENDPOINT.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything received so far.
    pub fn spans(&self) -> Vec<CollectedSpan> {
        self.collector
            .spans
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Every metric data point received so far, in the order received.
    pub fn points(&self) -> Vec<CollectedPoint> {
        self.collector
            .points
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
    }
}
