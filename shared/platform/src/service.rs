//! Runs one service: telemetry, lazy database, server with health and
//! reflection, migrations then readiness, the outbox relay, and a clean stop
//! that flushes spans. Each service's `run` is a call to [`launch`].

use std::collections::BTreeMap;

use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use sea_orm_migration::MigratorTrait;
use tonic::service::Routes;

use crate::config::CommonSettings;
use crate::grpc::{PeerChannel, peer_channel};
use crate::outbox::{OutboxSignal, Relay};
use crate::server::{self, BoxError};

/// What a service hands its API when it starts.
#[derive(Clone)]
pub struct ServiceContext {
    /// The service's own database.
    pub db: DatabaseConnection,
    /// Wakes the outbox relay after a commit.
    pub outbox: OutboxSignal,
    /// Channels to peers, by name, for synchronous calls.
    pub peers: BTreeMap<&'static str, PeerChannel>,
}

impl ServiceContext {
    /// Starts a transaction on the service's database.
    pub async fn begin(&self) -> Result<DatabaseTransaction, crate::ServiceError> {
        Ok(self.db.begin().await?)
    }

    /// Commits `txn`; when it wrote outbox messages, wakes the relay so they
    /// leave within milliseconds instead of at the next poll.
    pub async fn commit(
        &self,
        txn: DatabaseTransaction,
        wrote_messages: bool,
    ) -> Result<(), crate::ServiceError> {
        txn.commit().await?;
        if wrote_messages {
            self.outbox.wake();
        }
        Ok(())
    }

    /// The channel to `name`, or `UNAVAILABLE` naming the missing setting.
    pub fn peer(&self, name: &str) -> Result<PeerChannel, crate::ServiceError> {
        self.peers
            .get(name)
            .cloned()
            .ok_or_else(|| crate::ServiceError::Unavailable {
                reason: "PEER_NOT_CONFIGURED",
                message: format!("no address configured for {name}: set peers.{name}"),
            })
    }
}

/// A service's identity.
pub struct ServiceSpec {
    /// Short name: `inventory`, `order`, `procurement`, `notification`.
    pub name: &'static str,
    /// Fully-qualified gRPC service name, for health.
    pub grpc_service_name: &'static str,
}

/// Starts the service and runs it until SIGTERM or Ctrl-C.
pub async fn launch<M, F>(
    spec: ServiceSpec,
    settings: CommonSettings,
    peer_addresses: BTreeMap<&'static str, String>,
    make_routes: F,
) -> Result<(), BoxError>
where
    M: MigratorTrait,
    F: FnOnce(ServiceContext) -> Routes,
{
    let mut telemetry = crate::telemetry::init(spec.name, &settings.telemetry)?;
    crate::error::set_error_domain(spec.name);
    let (_stop, shutdown) = server::shutdown_on_signals();
    let listener = server::bind(&settings.server).await?;
    let db = crate::db::connect(&settings.database).await?;
    let mut peers = BTreeMap::new();
    for (name, address) in peer_addresses {
        peers.insert(name, peer_channel(&address)?);
    }
    let outbox = OutboxSignal::new();
    let relay = Relay::new(
        db.clone(),
        peers.clone(),
        settings.outbox.clone(),
        outbox.clone(),
    );
    let context = ServiceContext {
        db: db.clone(),
        outbox,
        peers,
    };
    let routes = make_routes(context);
    let relay_shutdown = shutdown.clone();
    let ready = async move {
        crate::db::migrate_until_ready::<M>(&db).await;
        relay.spawn(relay_shutdown);
    };
    let result = server::serve(
        listener,
        routes,
        spec.grpc_service_name,
        &settings.server,
        ready,
        shutdown,
    )
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
