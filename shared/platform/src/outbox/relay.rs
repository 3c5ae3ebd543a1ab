//! Delivers one service's outbox to its peers.
//!
//! Each destination has its own worker, so a slow or absent receiver never
//! holds up another. Replicas sharing a database take turns per destination
//! through a lease row (`outbox_lease`): the holder alone sends, in message
//! id order. A worker reads only the head of its destination's queue through
//! a partial index over undelivered, unparked messages, so a round costs the
//! same with a million messages waiting as with ten; delivered messages are
//! acknowledged in one statement per round.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use backorder_proto::Peer;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TryInsertResult,
};
use tokio::task::JoinSet;
use tonic::Status;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::OutboxSignal;
use super::codec::RawCodec;
use super::policy::{Disposition, PARKED, backoff_ms, disposition};
use crate::config::OutboxSettings;
use crate::grpc::PeerChannel;
use crate::server::Shutdown;
use crate::store::{idempotency_record, outbox_lease, outbox_message};
use crate::telemetry::context_from_traceparent;
use crate::time::{DAY_MS, now_ms};

/// Delivered messages and idempotency records are kept this long.
const RETENTION_MS: i64 = 7 * DAY_MS;
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Undelivered and not parked: the predicate of the `outbox_due` partial
/// index, spelled the same way so PostgreSQL uses it.
pub(super) fn due_predicate() -> Expr {
    Expr::cust(format!(
        "delivered_at IS NULL AND next_attempt_at < {PARKED}"
    ))
}

/// The oldest `limit` messages still due to `destination`: an index range
/// scan of `outbox_due`, whatever the size of the backlog or the history.
fn head_query(destination: Peer, limit: u64) -> sea_orm::Select<outbox_message::Entity> {
    use outbox_message::Column;
    outbox_message::Entity::find()
        .filter(Column::Destination.eq(destination.name()))
        .filter(due_predicate())
        .order_by_asc(Column::Id)
        .limit(limit)
}

/// Delivers the outbox of one service to its peers.
pub struct Relay {
    db: DatabaseConnection,
    peers: BTreeMap<Peer, PeerChannel>,
    settings: OutboxSettings,
    signal: OutboxSignal,
    owner: String,
}

/// How a round ended.
enum Round {
    /// A full batch went out; go again at once.
    More,
    /// Nothing more is due for this long (or another replica holds the
    /// destination).
    Idle(Duration),
}

impl Relay {
    /// A relay for `db` that can reach `peers`.
    pub fn new(
        db: DatabaseConnection,
        peers: BTreeMap<Peer, PeerChannel>,
        settings: OutboxSettings,
        signal: OutboxSignal,
    ) -> Self {
        Self {
            db,
            peers,
            settings,
            signal,
            owner: crate::ids::new_id_string(),
        }
    }

    /// Runs one worker per destination, and the purge, until `shutdown`.
    pub async fn run(self, shutdown: Shutdown) {
        let relay = Arc::new(self);
        let mut workers = JoinSet::new();
        for peer in relay.peers.keys().copied() {
            workers.spawn(relay.clone().run_destination(peer, shutdown.clone()));
        }
        workers.spawn(relay.clone().run_purge(shutdown));
        while workers.join_next().await.is_some() {}
    }

    fn poll(&self) -> Duration {
        Duration::from_millis(self.settings.poll_interval_ms.max(10))
    }

    async fn run_destination(self: Arc<Self>, destination: Peer, mut shutdown: Shutdown) {
        // When this relay's turn at the destination ends, as written.
        let mut turn: Option<i64> = None;
        loop {
            if shutdown.is_stopping() {
                break;
            }
            let wait = match self.round(destination, &mut turn).await {
                Ok(Round::More) => continue,
                Ok(Round::Idle(wait)) => wait.min(self.poll()),
                Err(error) => {
                    tracing::warn!(%error, %destination, "outbox round failed");
                    self.poll()
                }
            };
            tokio::select! {
                _ = self.signal.woken(destination) => {}
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.wait() => break,
            }
        }
        // Let another replica take over at once instead of after the lease.
        if let Err(error) = self.release_lease(destination).await {
            tracing::debug!(%error, %destination, "releasing the outbox lease failed");
        }
    }

    async fn run_purge(self: Arc<Self>, mut shutdown: Shutdown) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(PURGE_EVERY) => {}
                _ = shutdown.wait() => break,
            }
            if let Err(error) = self.purge().await {
                tracing::warn!(%error, "outbox purge failed");
            }
        }
    }

    /// Takes or renews this relay's turn at `destination`; the time it ends.
    async fn hold_lease(&self, destination: Peer) -> Result<Option<i64>, DbErr> {
        use outbox_lease::Column;
        let now = now_ms();
        let until = now.saturating_add(self.settings.lease_ms);
        let inserted = outbox_lease::Entity::insert(outbox_lease::ActiveModel {
            destination: Set(destination.name().to_owned()),
            owner: Set(self.owner.clone()),
            lease_until: Set(until),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&self.db)
        .await?;
        // SQLite reports a skipped insert as zero rows, PostgreSQL as a conflict.
        if let TryInsertResult::Inserted(rows) = inserted
            && rows > 0
        {
            return Ok(Some(until));
        }
        let taken = outbox_lease::Entity::update_many()
            .col_expr(Column::Owner, Expr::value(self.owner.clone()))
            .col_expr(Column::LeaseUntil, Expr::value(until))
            .filter(Column::Destination.eq(destination.name()))
            .filter(
                sea_orm::Condition::any()
                    .add(Column::Owner.eq(self.owner.clone()))
                    .add(Column::LeaseUntil.lt(now)),
            )
            .exec(&self.db)
            .await?;
        Ok((taken.rows_affected == 1).then_some(until))
    }

    async fn release_lease(&self, destination: Peer) -> Result<(), DbErr> {
        use outbox_lease::Column;
        outbox_lease::Entity::update_many()
            .col_expr(Column::LeaseUntil, Expr::value(0i64))
            .filter(Column::Destination.eq(destination.name()))
            .filter(Column::Owner.eq(self.owner.clone()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Sends what is due at the head of `destination`'s queue, oldest first.
    ///
    /// The turn is renewed only once half of it has passed: a busy relay
    /// writes its lease row a few times per lease, not once per round.
    async fn round(&self, destination: Peer, turn: &mut Option<i64>) -> Result<Round, DbErr> {
        use outbox_message::Column;
        let half = self.settings.lease_ms / 2;
        if !turn.is_some_and(|end| end.saturating_sub(now_ms()) > half) {
            *turn = self.hold_lease(destination).await?;
        }
        let Some(mut lease_end) = *turn else {
            return Ok(Round::Idle(self.poll()));
        };
        let head = head_query(destination, self.settings.batch_size)
            .all(&self.db)
            .await?;
        let full = head.len() as u64 >= self.settings.batch_size;
        let call_ms = i64::try_from(self.settings.call_timeout_ms).unwrap_or(i64::MAX);
        let mut delivered = Vec::new();
        let mut outcome = if full {
            Round::More
        } else {
            Round::Idle(self.poll())
        };
        for message in head {
            let now = now_ms();
            if message.next_attempt_at > now {
                let wait = u64::try_from(message.next_attempt_at - now).unwrap_or(0);
                outcome = Round::Idle(Duration::from_millis(wait));
                break;
            }
            if now.saturating_add(call_ms) > lease_end {
                // The turn could lapse during the call and another replica
                // send behind this one: renew first, or stop.
                *turn = self.hold_lease(destination).await?;
                let Some(end) = *turn else {
                    outcome = Round::Idle(self.poll());
                    break;
                };
                lease_end = end;
            }
            let result = match self.peers.get(&destination) {
                Some(channel) => deliver(channel.clone(), &self.settings, &message).await,
                None => Err(Status::failed_precondition(format!(
                    "no address configured for {destination}"
                ))),
            };
            match result {
                Ok(()) => delivered.push(message.id),
                Err(status) => {
                    let attempts = message.attempts.saturating_add(1);
                    match disposition(status.code(), attempts, self.settings.max_attempts) {
                        Disposition::Park => {
                            tracing::error!(
                                message_id = %message.id,
                                method = %message.method,
                                attempts,
                                code = ?status.code(),
                                error = %status.message(),
                                "delivery refused; message parked for an operator"
                            );
                            self.record_failure(&message.id, attempts, PARKED, &status)
                                .await?;
                        }
                        Disposition::Retry => {
                            let delay = backoff_ms(&self.settings, attempts);
                            tracing::warn!(
                                message_id = %message.id,
                                method = %message.method,
                                attempts,
                                retry_in_ms = delay,
                                code = ?status.code(),
                                error = %status.message(),
                                "delivery failed"
                            );
                            self.record_failure(
                                &message.id,
                                attempts,
                                now_ms().saturating_add(delay),
                                &status,
                            )
                            .await?;
                            // Later messages wait: they must not overtake it.
                            outcome = Round::Idle(Duration::from_millis(
                                u64::try_from(delay).unwrap_or(0),
                            ));
                            break;
                        }
                    }
                }
            }
        }
        if !delivered.is_empty() {
            outbox_message::Entity::update_many()
                .col_expr(Column::DeliveredAt, Expr::value(now_ms()))
                .filter(Column::Id.is_in(delivered))
                .exec(&self.db)
                .await?;
        }
        Ok(outcome)
    }

    async fn record_failure(
        &self,
        id: &str,
        attempts: i32,
        next_attempt_at: i64,
        status: &Status,
    ) -> Result<(), DbErr> {
        use outbox_message::Column;
        outbox_message::Entity::update_many()
            .col_expr(Column::Attempts, Expr::value(attempts))
            .col_expr(Column::NextAttemptAt, Expr::value(next_attempt_at))
            .col_expr(
                Column::LastError,
                Expr::value(format!(
                    "{}: {}",
                    code_name(status.code()),
                    status.message()
                )),
            )
            .filter(Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn purge(&self) -> Result<(), DbErr> {
        let cutoff = now_ms() - RETENTION_MS;
        outbox_message::Entity::delete_many()
            .filter(outbox_message::Column::DeliveredAt.lt(cutoff))
            .exec(&self.db)
            .await?;
        idempotency_record::Entity::delete_many()
            .filter(idempotency_record::Column::CreatedAt.lt(cutoff))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

/// The code's name as gRPC spells it (`UNAVAILABLE`), as operators see it
/// in grpcurl and in the documentation.
fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

async fn deliver(
    channel: PeerChannel,
    settings: &OutboxSettings,
    message: &outbox_message::Model,
) -> Result<(), Status> {
    let span = tracing::info_span!(
        "outbox.deliver",
        otel.name = %format!("deliver {}", message.method.trim_start_matches('/')),
        otel.kind = "producer",
        messaging.message.id = %message.id,
        messaging.destination.name = %message.destination,
        delivery.attempt = message.attempts + 1,
    );
    if let Some(traceparent) = &message.trace_context {
        let _ = span.set_parent(context_from_traceparent(traceparent));
    }
    let timeout = Duration::from_millis(settings.call_timeout_ms);
    let call = async {
        let path = http::uri::PathAndQuery::try_from(message.method.as_str())
            .map_err(|e| Status::internal(format!("bad method path: {e}")))?;
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready()
            .await
            .map_err(|e| Status::unavailable(format!("peer not ready: {e}")))?;
        let mut request = tonic::Request::new(message.payload.clone());
        request.set_timeout(timeout);
        grpc.unary::<Vec<u8>, Vec<u8>, RawCodec>(request, path, RawCodec)
            .await
            .map(|_| ())
    };
    // The whole attempt, connecting included, is bounded by the call timeout.
    match tokio::time::timeout(timeout, call.instrument(span)).await {
        Ok(result) => result,
        Err(_) => Err(Status::deadline_exceeded(format!(
            "no answer within {} ms",
            settings.call_timeout_ms
        ))),
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::ConnectionTrait;

    use super::*;
    use crate::testing::TestDatabase;

    struct PlatformOnly;

    impl sea_orm_migration::MigratorTrait for PlatformOnly {
        fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
            crate::store::migrations()
        }
    }

    /// The claim must not grow with the backlog: on PostgreSQL, with 200,000
    /// delivered and parked messages and a long queue, the head is read
    /// from the partial index in id order, with no sort and no scan of the
    /// history.
    #[tokio::test]
    async fn the_head_of_a_queue_is_read_from_the_partial_index_whatever_the_backlog() {
        if crate::testing::postgres_server().is_none() {
            eprintln!("skipped: needs BACKORDER_TEST_DATABASE_URL (PostgreSQL)");
            return;
        }
        let database = TestDatabase::fresh("relay_plan").await.expect("database");
        let db = crate::db::connect(&database.settings)
            .await
            .expect("connect");
        crate::db::migrate::<PlatformOnly>(&db)
            .await
            .expect("migrate");
        db.execute_unprepared(&format!(
            "INSERT INTO outbox (id, destination, method, payload, attempts, next_attempt_at, \
             delivered_at, created_at) \
             SELECT lpad(g::text, 36, '0'), 'notification', '/m', ''::bytea, 0, \
                    CASE WHEN g % 2 = 0 THEN {PARKED} ELSE 0 END, \
                    CASE WHEN g % 2 = 0 THEN NULL ELSE 1 END, 0 \
             FROM generate_series(1, 200000) AS g; \
             INSERT INTO outbox (id, destination, method, payload, attempts, next_attempt_at, created_at) \
             SELECT lpad((300000 + g)::text, 36, '0'), 'notification', '/m', ''::bytea, 0, 0, 0 \
             FROM generate_series(1, 20000) AS g; \
             ANALYZE outbox;"
        ))
        .await
        .expect("backlog");
        crate::testing::assert_index_scan(&db, head_query(Peer::Notification, 100), "outbox_due")
            .await;
    }
}
