//! Runs one service: lazy database, server with health and reflection,
//! migrations then readiness, the outbox relay and the service's workers,
//! and a clean stop. [`build`] starts a service in-process (tests start the
//! whole suite this way on port 0); [`launch`] is what a binary's `main`
//! calls: telemetry, signals, [`build`], run until stopped.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backorder_proto::Peer;
use backorder_proto::outbox::v1::outbox_admin_service_server::OutboxAdminServiceServer;
use opentelemetry::metrics::Meter;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use tokio::task::JoinSet;
use tonic::service::Routes;

use crate::access::{AccessLayer, AccessRule, TokenStore};
use crate::config::CommonSettings;
use crate::error::{ServiceError, ServiceResult};
use crate::grpc::{PeerChannel, peer_channel_with};
use crate::outbox::{OutboxAdmin, OutboxSignal, Relay};
use crate::server::{self, BoxError, Shutdown, Wiring};
use crate::tls::Transport;
use crate::unit_of_work::{UnitOfWork, Work, WorkFuture};

/// gRPC's customary limit, tonic's default for what it decodes.
const DEFAULT_MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

type WorkerStart = Box<dyn FnOnce(Shutdown) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// What a service hands its API when it starts.
#[derive(Clone)]
pub struct ServiceContext {
    /// The service's own database, for reads outside a unit of work.
    pub db: DatabaseConnection,
    units: UnitOfWork,
    channels: BTreeMap<Peer, PeerChannel>,
    workers: Arc<Mutex<Vec<(&'static str, WorkerStart)>>>,
    meter: Option<Meter>,
    metrics_interval: Duration,
    max_message_bytes: usize,
}

impl ServiceContext {
    /// A context on `db` with no relay running: messages stay in the outbox
    /// (tests of one service's handlers).
    pub fn standalone(db: DatabaseConnection, channels: BTreeMap<Peer, PeerChannel>) -> Self {
        Self {
            units: UnitOfWork::new(db.clone(), OutboxSignal::new()),
            db,
            channels,
            workers: Arc::new(Mutex::new(Vec::new())),
            meter: None,
            metrics_interval: Duration::from_secs(15),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
        }
    }

    /// The meter of the service's gauges; `None` when metrics are not
    /// exported, and then nothing should be measured (see
    /// [`crate::metrics::sampled`]).
    pub fn meter(&self) -> Option<&Meter> {
        self.meter.as_ref()
    }

    /// Time between two readings behind the gauges (`metrics.interval_seconds`).
    pub fn metrics_interval(&self) -> Duration {
        self.metrics_interval
    }

    /// Largest message the service's server and its peers' clients take or
    /// send (`server.max_message_bytes`): give it to every generated server
    /// and client (`max_decoding_message_size`, `max_encoding_message_size`).
    pub fn max_message_bytes(&self) -> usize {
        self.max_message_bytes
    }

    /// Runs the mutating RPC `request` as one unit of work (see
    /// [`UnitOfWork::execute`]).
    pub async fn execute<R, F>(&self, request: &R, work: F) -> ServiceResult<R::Response>
    where
        R: backorder_proto::Idempotent,
        F: for<'w> FnOnce(&'w Work) -> WorkFuture<'w, R::Response>,
    {
        self.units.execute(request, work).await
    }

    /// Runs a worker's step as one unit of work (see [`UnitOfWork::internal`]).
    pub async fn internal<T, F>(&self, work: F) -> ServiceResult<T>
    where
        F: for<'w> FnOnce(&'w Work) -> WorkFuture<'w, T>,
    {
        self.units.internal(work).await
    }

    /// The channel to `peer`, or `UNAVAILABLE` naming the missing setting.
    /// Typed clients are built from it once, at start.
    pub fn channel(&self, peer: Peer) -> ServiceResult<PeerChannel> {
        self.channels
            .get(&peer)
            .cloned()
            .ok_or_else(|| ServiceError::Unavailable {
                reason: "PEER_NOT_CONFIGURED",
                message: format!("no address configured for {peer}: set peers.{peer}"),
            })
    }

    /// Registers a background worker, started once the database is migrated
    /// and stopped (awaited) when the service stops. `run` must return soon
    /// after its [`Shutdown`] fires.
    pub fn spawn_worker<F, Fut>(&self, name: &'static str, run: F)
    where
        F: FnOnce(Shutdown) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let start: WorkerStart = Box::new(move |shutdown| Box::pin(run(shutdown)));
        if let Ok(mut workers) = self.workers.lock() {
            workers.push((name, start));
        }
    }
}

/// A service's identity.
pub struct ServiceSpec {
    /// Which of the four services this is.
    pub peer: Peer,
    /// Fully-qualified gRPC service name, for health.
    pub grpc_service_name: &'static str,
    /// Who may call each of its RPCs (the `grpc_service!` table's
    /// `ACCESS`); outbox administration is for operators.
    pub access: &'static [AccessRule],
    /// Indexes of large tables, built without blocking writes after the
    /// migrations (see [`crate::db::ConcurrentIndex`]).
    pub indexes: &'static [crate::db::ConcurrentIndex],
}

/// A started service: listening, migrating in the background, serving.
pub struct RunningService {
    address: SocketAddr,
    server: Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>,
}

impl RunningService {
    /// The port it listens on (the real one when the setting was 0).
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `shutdown` fires, then drains, stops the relay and the
    /// workers, and returns.
    pub async fn run_until_stopped(self) -> Result<(), BoxError> {
        self.server.await
    }
}

/// Binds, connects lazily to the database and peers, and returns the
/// service ready to run; health says `NOT_SERVING` until migrations are done,
/// then the relay and the workers start. Exports no metrics.
pub async fn build<M, F>(
    spec: ServiceSpec,
    settings: &CommonSettings,
    peer_addresses: BTreeMap<Peer, String>,
    shutdown: Shutdown,
    make_routes: F,
) -> Result<RunningService, BoxError>
where
    M: MigratorTrait,
    F: FnOnce(ServiceContext) -> Result<Routes, BoxError>,
{
    build_metered::<M, F>(spec, settings, peer_addresses, shutdown, None, make_routes).await
}

/// Like [`build`], with the service's gauges registered on `meter` (the
/// outbox's, and whatever `make_routes` registers through the context).
pub async fn build_metered<M, F>(
    spec: ServiceSpec,
    settings: &CommonSettings,
    peer_addresses: BTreeMap<Peer, String>,
    shutdown: Shutdown,
    meter: Option<Meter>,
    make_routes: F,
) -> Result<RunningService, BoxError>
where
    M: MigratorTrait,
    F: FnOnce(ServiceContext) -> Result<Routes, BoxError>,
{
    let transport = Transport::from_settings(&settings.tls)?;
    let access = if transport.is_secure() {
        let tokens = Arc::new(TokenStore::open(settings.access.tokens_file.as_deref())?);
        if tokens.tokens().is_empty() {
            tracing::warn!(
                "no bearer tokens (access.tokens_file): only the suite's services can call"
            );
        }
        let every = Duration::from_secs(settings.access.reload_seconds);
        tokio::spawn(tokens.clone().watch(every, shutdown.clone()));
        let rules: Vec<AccessRule> = spec
            .access
            .iter()
            .chain(crate::outbox::ACCESS)
            .copied()
            .collect();
        AccessLayer::enforced(&rules, tokens, spec.peer.name())
    } else {
        AccessLayer::open()
    };
    let listener = server::bind(&settings.server).await?;
    let address = listener.local_addr()?;
    let db = crate::db::connect(&settings.database).await?;
    let mut channels = BTreeMap::new();
    for (peer, address) in peer_addresses {
        channels.insert(
            peer,
            peer_channel_with(&address, &settings.client, &transport)?,
        );
    }
    let outbox = OutboxSignal::new();
    let units = UnitOfWork::new(db.clone(), outbox.clone());
    let relay = Relay::new(
        db.clone(),
        channels.clone(),
        settings.outbox.clone(),
        outbox.clone(),
    );
    let rpc_meter = meter.clone();
    let spec_indexes = spec.indexes;
    let context = ServiceContext {
        db: db.clone(),
        units: units.clone(),
        channels,
        workers: Arc::new(Mutex::new(Vec::new())),
        meter,
        metrics_interval: Duration::from_secs(settings.metrics.interval_seconds),
        max_message_bytes: settings.server.max_message_bytes,
    };
    let workers = context.workers.clone();
    crate::outbox::register_gauges(&context, context.channels.keys().copied().collect());
    let max_message_bytes = settings.server.max_message_bytes;
    let routes = make_routes(context)?.add_service(
        OutboxAdminServiceServer::new(OutboxAdmin::new(spec.peer, db.clone(), units, outbox))
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes),
    );
    let mut tasks = JoinSet::new();
    let ready = {
        let shutdown = shutdown.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<JoinSet<()>>();
        let ready = async move {
            crate::db::migrate_until_ready::<M>(&db, spec_indexes).await;
            let mut started = JoinSet::new();
            started.spawn(relay.run(shutdown.clone()));
            let pending = workers
                .lock()
                .map(|mut w| std::mem::take(&mut *w))
                .unwrap_or_default();
            for (name, start) in pending {
                tracing::debug!(worker = name, "starting");
                started.spawn(start(shutdown.clone()));
            }
            let _ = tx.send(started);
        };
        tasks.spawn(async move {
            if let Ok(mut started) = rx.await {
                while started.join_next().await.is_some() {}
            }
        });
        ready
    };
    let grpc_service_name = spec.grpc_service_name;
    let server_settings = settings.server.clone();
    let server = Box::pin(async move {
        let result = server::serve(
            listener,
            routes,
            grpc_service_name,
            &server_settings,
            Wiring {
                transport,
                access,
                meter: rpc_meter,
            },
            ready,
            shutdown,
        )
        .await;
        while tasks.join_next().await.is_some() {}
        result
    });
    Ok(RunningService { address, server })
}

/// Starts the service from a binary and runs it until SIGTERM or Ctrl-C.
pub async fn launch<M, F>(
    spec: ServiceSpec,
    settings: CommonSettings,
    peer_addresses: BTreeMap<Peer, String>,
    make_routes: F,
) -> Result<(), BoxError>
where
    M: MigratorTrait,
    F: FnOnce(ServiceContext) -> Result<Routes, BoxError>,
{
    let mut telemetry = crate::telemetry::init(spec.peer.name(), &settings.telemetry)?;
    let (_stop, shutdown) = server::shutdown_on_signals();
    let meter = telemetry.meter();
    let result = async {
        build_metered::<M, F>(
            spec,
            &settings,
            peer_addresses,
            shutdown,
            meter,
            make_routes,
        )
        .await?
        .run_until_stopped()
        .await
    }
    .await;
    telemetry.shutdown();
    result
}

/// Why a service could not start, or stopped with an error. Returned from
/// `main`, it prints as a sentence with its causes rather than as a `Debug`
/// dump of nested structs, since operators read it in a pod's log.
pub struct Fatal(BoxError);

impl std::fmt::Debug for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl From<BoxError> for Fatal {
    fn from(error: BoxError) -> Self {
        Self(error)
    }
}

impl From<config::ConfigError> for Fatal {
    fn from(error: config::ConfigError) -> Self {
        Self(Box::new(error))
    }
}
