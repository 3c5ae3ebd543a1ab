//! Server bootstrap shared by all services: bind, health, reflection (v1 and
//! v1alpha), RPC tracing, time and concurrency limits ([`crate::overload`]),
//! readiness after migrations, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

use crate::access::AccessLayer;
use crate::config::ServerSettings;
use crate::grpc::RpcTraceLayer;
use crate::overload::OverloadLayer;
use crate::rpc_metrics::RpcMetricsLayer;
use crate::tls::Transport;
use opentelemetry::metrics::Meter;

/// Health service name that reports process liveness only; it never depends
/// on the database (Kubernetes liveness probes use it).
pub const LIVENESS_SERVICE: &str = "liveness";

/// Boxed error of the bootstrap.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Binds the listener first so the real port is known (port 0 in tests).
///
/// A failure names the address and the setting that moves it: "address in
/// use" alone does not tell an operator which of four services clashed.
pub async fn bind(settings: &ServerSettings) -> std::io::Result<TcpListener> {
    if let Some(listener) = settings.prebound.take() {
        listener.set_nonblocking(true)?;
        return TcpListener::from_std(listener);
    }
    let address = format!("{}:{}", settings.host, settings.port);
    TcpListener::bind(address.as_str()).await.map_err(|error| {
        let hint = match error.kind() {
            std::io::ErrorKind::AddrInUse => {
                "; another process holds this port: stop it, or choose another \
                 port with server.port (BACKORDER__SERVER__PORT)"
            }
            std::io::ErrorKind::PermissionDenied => {
                "; ports below 1024 need privileges: choose another with \
                 server.port (BACKORDER__SERVER__PORT)"
            }
            _ => "",
        };
        std::io::Error::new(
            error.kind(),
            format!("cannot listen on {address}: {error}{hint}"),
        )
    })
}

/// A shutdown broadcast: true once the process is asked to stop.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Resolves once shutdown has begun.
    pub async fn wait(&mut self) {
        let _ = self.0.wait_for(|stopping| *stopping).await;
    }

    /// Whether shutdown has begun.
    pub fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }
}

/// Stops whoever holds the matching [`Shutdown`] (an in-process service).
#[derive(Clone)]
pub struct ShutdownTrigger(watch::Sender<bool>);

impl ShutdownTrigger {
    /// Begins shutdown.
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

impl Shutdown {
    /// A broadcast stopped by hand (tests, embedding).
    pub fn channel() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger(tx), Shutdown(rx))
    }
}

/// Starts listening for SIGTERM and Ctrl-C; returns the broadcast.
pub fn shutdown_on_signals() -> (ShutdownTrigger, Shutdown) {
    let (trigger, shutdown) = Shutdown::channel();
    let sender = trigger.0.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested");
        let _ = sender.send(true);
    });
    (trigger, shutdown)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Reflection for grpcurl: the descriptors of the whole contract (with
/// comments, imports and well-known types), health and the google.rpc error
/// details, advertising only what this server really serves.
fn reflection(grpc_service_name: &'static str) -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(backorder_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
        .include_reflection_service(false)
        .with_service_name(grpc_service_name)
        .with_service_name("grpc.health.v1.Health")
        .with_service_name("grpc.reflection.v1.ServerReflection")
        .with_service_name("grpc.reflection.v1alpha.ServerReflection")
}

/// How a server is secured and measured: its transport, who may call
/// what, and the meter of its RPC metrics and serving time.
pub struct Wiring {
    /// Plaintext or mutual TLS.
    pub transport: Transport,
    /// Authentication and per-RPC callers.
    pub access: AccessLayer,
    /// Where `rpc.server.duration` and `health.not_serving_seconds` go;
    /// none when metrics are not exported.
    pub meter: Option<Meter>,
}

impl Wiring {
    /// Plaintext, every caller trusted, nothing measured (tests of one
    /// component).
    pub fn open() -> Self {
        Self {
            transport: Transport::plaintext(),
            access: AccessLayer::open(),
            meter: None,
        }
    }
}

/// Serves `routes` (the service's own gRPC service, named
/// `grpc_service_name`) on `listener`, plus health and reflection.
/// Health says `NOT_SERVING` until `ready` resolves (database migrated) and
/// again from the moment `shutdown` fires, for `drain_seconds`, before the
/// server stops accepting and finishes in-flight calls.
pub async fn serve<R>(
    listener: TcpListener,
    routes: Routes,
    grpc_service_name: &'static str,
    settings: &ServerSettings,
    wiring: Wiring,
    ready: R,
    mut shutdown: Shutdown,
) -> Result<(), BoxError>
where
    R: Future<Output = ()> + Send + 'static,
{
    let local_addr: SocketAddr = listener.local_addr()?;
    let not_serving = NotServingClock::started();
    if let Some(meter) = &wiring.meter {
        not_serving.register(meter);
    }
    let (reporter, health_service) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", ServingStatus::NotServing)
        .await;
    reporter
        .set_service_status(grpc_service_name, ServingStatus::NotServing)
        .await;
    reporter
        .set_service_status(LIVENESS_SERVICE, ServingStatus::Serving)
        .await;

    let reflection_v1 = reflection(grpc_service_name).build_v1()?;
    let reflection_v1alpha = reflection(grpc_service_name).build_v1alpha()?;
    let routes = routes
        .add_service(health_service.clone())
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);

    let (stop_health, health_stop) = tokio::sync::oneshot::channel::<()>();
    if let Some(port) = settings.health_port {
        let address = format!("{}:{port}", settings.host);
        let listener = TcpListener::bind(address.as_str())
            .await
            .map_err(|error| format!("cannot listen for health on {address}: {error}"))?;
        let health = health_service.clone();
        tracing::info!(%address, "health (plaintext, grpc.health.v1 only)");
        // Answers until the service itself has stopped, so the probes see
        // NOT_SERVING while it drains rather than a closed port.
        tokio::spawn(async move {
            let served = Server::builder()
                .add_service(health)
                .serve_with_incoming_shutdown(TcpIncoming::from(listener), async move {
                    let _ = health_stop.await;
                })
                .await;
            if let Err(error) = served {
                tracing::error!(%error, "the health port stopped");
            }
        });
    }

    let ready_reporter = reporter.clone();
    let ready_clock = not_serving.clone();
    let readiness = tokio::spawn(async move {
        ready.await;
        ready_clock.serving();
        ready_reporter
            .set_service_status("", ServingStatus::Serving)
            .await;
        ready_reporter
            .set_service_status(grpc_service_name, ServingStatus::Serving)
            .await;
        tracing::info!(service = grpc_service_name, "serving");
    });

    let drain = Duration::from_secs(settings.drain_seconds);
    let stop = async move {
        shutdown.wait().await;
        readiness.abort();
        not_serving.not_serving();
        reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
        reporter
            .set_service_status(grpc_service_name, ServingStatus::NotServing)
            .await;
        if !drain.is_zero() {
            tracing::info!(seconds = drain.as_secs(), "draining before stop");
            tokio::time::sleep(drain).await;
        }
    };

    // `backorder.inventory.v1.InventoryService` -> `inventory`, the domain of
    // the service's error details.
    let domain = grpc_service_name
        .split('.')
        .nth(1)
        .unwrap_or(grpc_service_name);
    let mut builder = Server::builder();
    match wiring.transport.server_config() {
        Some(tls) => {
            builder = builder.tls_config(tls)?;
            tracing::info!(%local_addr, service = grpc_service_name, "listening (mutual TLS)");
        }
        None => tracing::warn!(
            %local_addr,
            service = grpc_service_name,
            "listening in PLAINTEXT: no TLS, and every caller is trusted with every RPC; \
             for anything but development set tls.cert_file, tls.key_file and tls.ca_file \
             (and tls.required)"
        ),
    }
    // Traced outermost, so a refused or timed-out call still has its span;
    // callers are checked before a refused call could take a slot.
    let served = builder
        .layer(RpcTraceLayer::server())
        .layer(RpcMetricsLayer::new(wiring.meter.as_ref()))
        .layer(wiring.access)
        .layer(OverloadLayer::new(settings, domain))
        .add_routes(routes)
        .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), stop)
        .await;
    let _ = stop_health.send(());
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// Since when the service has said `NOT_SERVING` (starting, or draining),
/// exported as `health.not_serving_seconds`: 0 while serving, growing
/// while not, so a rollout stuck before readiness shows.
#[derive(Clone)]
struct NotServingClock(std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>);

impl NotServingClock {
    fn started() -> Self {
        Self(std::sync::Arc::new(std::sync::Mutex::new(Some(
            std::time::Instant::now(),
        ))))
    }

    fn serving(&self) {
        if let Ok(mut since) = self.0.lock() {
            *since = None;
        }
    }

    fn not_serving(&self) {
        if let Ok(mut since) = self.0.lock() {
            since.get_or_insert_with(std::time::Instant::now);
        }
    }

    fn seconds(&self) -> f64 {
        self.0
            .lock()
            .ok()
            .and_then(|since| since.map(|at| at.elapsed().as_secs_f64()))
            .unwrap_or(0.0)
    }

    fn register(&self, meter: &Meter) {
        let clock = self.clone();
        meter
            .f64_observable_gauge("health.not_serving_seconds")
            .with_description("Seconds since the service last said NOT_SERVING; 0 while serving")
            .with_unit("s")
            .with_callback(move |gauge| gauge.observe(clock.seconds(), &[]))
            .build();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_not_serving_clock_runs_while_starting_and_draining_only() {
        let clock = NotServingClock::started();
        std::thread::sleep(Duration::from_millis(20));
        assert!(clock.seconds() >= 0.02, "starting counts");
        clock.serving();
        assert_eq!(clock.seconds(), 0.0);
        clock.not_serving();
        std::thread::sleep(Duration::from_millis(20));
        let draining = clock.seconds();
        assert!(draining >= 0.02, "draining counts");
        clock.not_serving();
        assert!(
            clock.seconds() >= draining,
            "a second stop does not reset it"
        );
    }
}
