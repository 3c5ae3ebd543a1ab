//! The transactional outbox: a message another service must get is written
//! in the same transaction as the change that caused it, then relayed over
//! gRPC until the receiver acknowledges it.
//!
//! The relay is woken right after each commit (polling is only a fallback),
//! claims due messages with a lease so replicas sharing a database never send
//! the same message at once, delivers each destination's messages in order,
//! and backs off exponentially on failure. Every message carries its id as
//! the receiver's `request_id`, which the receiver's idempotency records turn
//! into exactly-once effects.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BufMut};
use prost::Message;
use rand::Rng;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, Set,
};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Code, Status};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::config::OutboxSettings;
use crate::grpc::PeerChannel;
use crate::server::Shutdown;
use crate::store::{idempotency_record, outbox_message};
use crate::telemetry::{context_from_traceparent, current_traceparent};
use crate::time::{DAY_MS, now_ms};

/// Wakes the relay; call [`OutboxSignal::wake`] after committing messages.
#[derive(Clone, Default)]
pub struct OutboxSignal(Arc<Notify>);

impl OutboxSignal {
    /// A new signal.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tells the relay that messages are waiting.
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// A message for another service.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Message id; must also be the payload's `request_id`.
    pub id: String,
    /// Peer name, a key of the relay's peers.
    pub destination: &'static str,
    /// Full gRPC method path, e.g. `/backorder.order.v1.OrderService/MarkLineAllocated`.
    pub method: &'static str,
    /// Encoded request.
    pub payload: Vec<u8>,
    /// `traceparent` the delivery continues; `None` takes the current span's.
    pub trace_context: Option<String>,
}

impl Envelope {
    /// Wraps `message` (whose `request_id` must be `id`).
    pub fn new(
        id: String,
        destination: &'static str,
        method: &'static str,
        message: &impl Message,
    ) -> Self {
        Self {
            id,
            destination,
            method,
            payload: message.encode_to_vec(),
            trace_context: None,
        }
    }

    /// Continues the trace of `traceparent` instead of the current span.
    pub fn in_trace(mut self, traceparent: Option<String>) -> Self {
        if traceparent.is_some() {
            self.trace_context = traceparent;
        }
        self
    }
}

/// Writes `envelope`; call inside the transaction that made the change.
pub async fn enqueue<C: ConnectionTrait>(conn: &C, envelope: Envelope) -> Result<(), DbErr> {
    let now = now_ms();
    outbox_message::ActiveModel {
        id: Set(envelope.id),
        destination: Set(envelope.destination.to_owned()),
        method: Set(envelope.method.to_owned()),
        payload: Set(envelope.payload),
        trace_context: Set(envelope.trace_context.or_else(current_traceparent)),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        lease_owner: Set(None),
        delivered_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Delivers the outbox of one service to its peers.
pub struct Relay {
    db: DatabaseConnection,
    peers: Arc<BTreeMap<&'static str, PeerChannel>>,
    settings: OutboxSettings,
    signal: OutboxSignal,
    owner: String,
}

/// Delivered messages and idempotency records are kept this long.
const RETENTION_MS: i64 = 7 * DAY_MS;
const PURGE_EVERY: Duration = Duration::from_secs(3600);

impl Relay {
    /// A relay for `db` that can reach `peers` by name.
    pub fn new(
        db: DatabaseConnection,
        peers: BTreeMap<&'static str, PeerChannel>,
        settings: OutboxSettings,
        signal: OutboxSignal,
    ) -> Self {
        Self {
            db,
            peers: Arc::new(peers),
            settings,
            signal,
            owner: crate::ids::new_id_string(),
        }
    }

    /// Runs until `shutdown`.
    pub fn spawn(self, mut shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let poll = Duration::from_millis(self.settings.poll_interval_ms.max(10));
            let mut last_purge = tokio::time::Instant::now();
            loop {
                if shutdown.is_stopping() {
                    break;
                }
                let claimed = match self.run_once().await {
                    Ok(claimed) => claimed,
                    Err(error) => {
                        tracing::warn!(%error, "outbox round failed");
                        0
                    }
                };
                if last_purge.elapsed() >= PURGE_EVERY {
                    last_purge = tokio::time::Instant::now();
                    if let Err(error) = self.purge().await {
                        tracing::warn!(%error, "outbox purge failed");
                    }
                }
                if claimed as u64 >= self.settings.batch_size {
                    continue;
                }
                tokio::select! {
                    _ = self.signal.0.notified() => {}
                    _ = tokio::time::sleep(poll) => {}
                    _ = shutdown.wait() => break,
                }
            }
        })
    }

    /// Claims due messages and delivers them; returns how many were claimed.
    pub async fn run_once(&self) -> Result<usize, DbErr> {
        let claimed = self.claim().await?;
        let count = claimed.len();
        if count == 0 {
            return Ok(0);
        }
        let mut by_destination: BTreeMap<String, Vec<outbox_message::Model>> = BTreeMap::new();
        for message in claimed {
            by_destination
                .entry(message.destination.clone())
                .or_default()
                .push(message);
        }
        let mut deliveries = JoinSet::new();
        for (destination, messages) in by_destination {
            let db = self.db.clone();
            let peers = self.peers.clone();
            let settings = self.settings.clone();
            let owner = self.owner.clone();
            deliveries.spawn(async move {
                deliver_in_order(&db, &peers, &settings, &owner, &destination, messages).await
            });
        }
        while let Some(result) = deliveries.join_next().await {
            match result {
                Ok(Err(error)) => tracing::warn!(%error, "recording a delivery failed"),
                Err(error) => tracing::warn!(%error, "delivery task failed"),
                Ok(Ok(Batch::Done)) => {}
                // Due again at once: the next round must not wait for a poll.
                Ok(Ok(Batch::HandedBack)) => self.signal.wake(),
            }
        }
        Ok(count)
    }

    async fn claim(&self) -> Result<Vec<outbox_message::Model>, DbErr> {
        use outbox_message::Column;
        let now = now_ms();
        let lease_until = now + self.settings.lease_ms;
        let unleased = || {
            Condition::any()
                .add(Column::LeaseUntil.is_null())
                .add(Column::LeaseUntil.lt(now))
        };
        // Per destination, messages go in id order: one still waiting for
        // its retry, or in flight at another replica, holds back the later
        // ones (parked messages do not). The constants are our own integers.
        let no_earlier_pending = Expr::cust(format!(
            "NOT EXISTS (SELECT 1 FROM outbox AS earlier \
             WHERE earlier.destination = outbox.destination \
             AND earlier.id < outbox.id \
             AND earlier.delivered_at IS NULL \
             AND earlier.next_attempt_at <> {PARKED} \
             AND (earlier.next_attempt_at > {now} OR earlier.lease_until >= {now}))"
        ));
        let due = Query::select()
            .column(Column::Id)
            .from(outbox_message::Entity)
            .and_where(Column::DeliveredAt.is_null())
            .and_where(Column::NextAttemptAt.lte(now))
            .cond_where(unleased())
            .and_where(no_earlier_pending)
            .order_by(Column::Id, sea_orm::Order::Asc)
            .limit(self.settings.batch_size)
            .to_owned();
        // The outer conditions are re-checked on each row PostgreSQL locks,
        // so a replica racing for the same rows skips those already taken.
        let result = outbox_message::Entity::update_many()
            .col_expr(Column::LeaseUntil, Expr::value(lease_until))
            .col_expr(Column::LeaseOwner, Expr::value(self.owner.clone()))
            .filter(Column::Id.in_subquery(due))
            .filter(Column::DeliveredAt.is_null())
            .filter(unleased())
            .exec(&self.db)
            .await?;
        if result.rows_affected == 0 {
            return Ok(Vec::new());
        }
        outbox_message::Entity::find()
            .filter(Column::LeaseOwner.eq(self.owner.clone()))
            .filter(Column::LeaseUntil.eq(lease_until))
            .filter(Column::DeliveredAt.is_null())
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await
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

/// How one destination's share of a round ended.
enum Batch {
    /// Every message was delivered, parked or rescheduled.
    Done,
    /// The claim was running out; the unsent rest is due again now.
    HandedBack,
}

/// Delivers one destination's messages oldest first; stops at the first
/// failure so later messages never overtake it, releasing their claims.
async fn deliver_in_order(
    db: &DatabaseConnection,
    peers: &BTreeMap<&'static str, PeerChannel>,
    settings: &OutboxSettings,
    owner: &str,
    destination: &str,
    messages: Vec<outbox_message::Model>,
) -> Result<Batch, DbErr> {
    use outbox_message::Column;
    let mut remaining = messages.into_iter();
    while let Some(message) = remaining.next() {
        if !lease_outlasts_call(&message, settings, now_ms()) {
            // Past this point another replica may claim these messages; sending
            // on could let them overtake each other, so hand them all back.
            let unsent: Vec<String> = std::iter::once(message.id)
                .chain(remaining.map(|m| m.id))
                .collect();
            tracing::debug!(count = unsent.len(), %destination, "claim running out; released");
            outbox_message::Entity::update_many()
                .col_expr(Column::LeaseUntil, Expr::value(Option::<i64>::None))
                .filter(Column::Id.is_in(unsent))
                .filter(Column::LeaseOwner.eq(owner))
                .filter(Column::DeliveredAt.is_null())
                .exec(db)
                .await?;
            return Ok(Batch::HandedBack);
        }
        let outcome = match peers.get(destination) {
            Some(channel) => deliver(channel.clone(), settings, &message).await,
            None => Err(Status::failed_precondition(format!(
                "no address configured for peer {destination:?}"
            ))),
        };
        match outcome {
            Ok(()) => {
                outbox_message::Entity::update_many()
                    .col_expr(Column::DeliveredAt, Expr::value(now_ms()))
                    .col_expr(Column::LeaseUntil, Expr::value(Option::<i64>::None))
                    .filter(Column::Id.eq(message.id.clone()))
                    .filter(Column::LeaseOwner.eq(owner))
                    .exec(db)
                    .await?;
            }
            Err(status) if must_park(status.code(), message.attempts.saturating_add(1)) => {
                // Retrying cannot help; holding later messages behind this
                // one would stall the destination for good. Park it where an
                // operator can see it (`last_error`) and go on.
                tracing::error!(
                    message_id = %message.id,
                    method = %message.method,
                    code = ?status.code(),
                    error = %status.message(),
                    "delivery refused for good; message parked"
                );
                outbox_message::Entity::update_many()
                    .col_expr(
                        Column::Attempts,
                        Expr::value(message.attempts.saturating_add(1)),
                    )
                    .col_expr(Column::NextAttemptAt, Expr::value(PARKED))
                    .col_expr(
                        Column::LastError,
                        Expr::value(format!("parked: {:?}: {}", status.code(), status.message())),
                    )
                    .col_expr(Column::LeaseUntil, Expr::value(Option::<i64>::None))
                    .filter(Column::Id.eq(message.id.clone()))
                    .filter(Column::LeaseOwner.eq(owner))
                    .exec(db)
                    .await?;
            }
            Err(status) => {
                let attempts = message.attempts.saturating_add(1);
                let delay = backoff_ms(settings, attempts);
                tracing::warn!(
                    message_id = %message.id,
                    method = %message.method,
                    attempts,
                    retry_in_ms = delay,
                    code = ?status.code(),
                    error = %status.message(),
                    "delivery failed"
                );
                outbox_message::Entity::update_many()
                    .col_expr(Column::Attempts, Expr::value(attempts))
                    .col_expr(Column::NextAttemptAt, Expr::value(now_ms() + delay))
                    .col_expr(
                        Column::LastError,
                        Expr::value(format!("{:?}: {}", status.code(), status.message())),
                    )
                    .col_expr(Column::LeaseUntil, Expr::value(Option::<i64>::None))
                    .filter(Column::Id.eq(message.id.clone()))
                    .filter(Column::LeaseOwner.eq(owner))
                    .exec(db)
                    .await?;
                let rest: Vec<String> = remaining.map(|m| m.id).collect();
                if !rest.is_empty() {
                    outbox_message::Entity::update_many()
                        .col_expr(Column::NextAttemptAt, Expr::value(now_ms() + delay))
                        .col_expr(Column::LeaseUntil, Expr::value(Option::<i64>::None))
                        .filter(Column::Id.is_in(rest))
                        .filter(Column::LeaseOwner.eq(owner))
                        .exec(db)
                        .await?;
                }
                return Ok(Batch::Done);
            }
        }
    }
    Ok(Batch::Done)
}

/// Whether a call started `now` would end before this relay's claim on the
/// message lapses.
fn lease_outlasts_call(
    message: &outbox_message::Model,
    settings: &OutboxSettings,
    now: i64,
) -> bool {
    let call = i64::try_from(settings.call_timeout_ms).unwrap_or(i64::MAX);
    message
        .lease_until
        .is_some_and(|until| now.saturating_add(call) <= until)
}

/// `next_attempt_at` of a parked message: never again, until an operator
/// resets it.
pub const PARKED: i64 = i64::MAX;

/// Attempts after which a message its receiver keeps calling unknown is
/// parked (it may only have overtaken the change it refers to, so a few
/// retries come first).
const NOT_FOUND_ATTEMPTS: i32 = 10;

/// Whether a refusal is final: the request itself is wrong, so the same
/// bytes can never succeed.
fn must_park(code: Code, attempts: i32) -> bool {
    match code {
        Code::InvalidArgument | Code::AlreadyExists | Code::Unimplemented | Code::OutOfRange => {
            true
        }
        Code::NotFound => attempts >= NOT_FOUND_ATTEMPTS,
        _ => false,
    }
}

/// Exponential backoff with up to 20% jitter so replicas do not retry in step.
fn backoff_ms(settings: &OutboxSettings, attempts: i32) -> i64 {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let base = settings
        .initial_backoff_ms
        .saturating_mul(1u64 << exponent)
        .min(settings.max_backoff_ms);
    let jitter = rand::rng().random_range(0..=base / 5 + 1);
    i64::try_from(base + jitter).unwrap_or(i64::MAX)
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
    async {
        let path = http::uri::PathAndQuery::try_from(message.method.as_str())
            .map_err(|e| Status::internal(format!("bad method path: {e}")))?;
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready()
            .await
            .map_err(|e| Status::unavailable(format!("peer not ready: {e}")))?;
        let mut request = tonic::Request::new(message.payload.clone());
        request.set_timeout(Duration::from_millis(settings.call_timeout_ms));
        grpc.unary::<Vec<u8>, Vec<u8>, RawCodec>(request, path, RawCodec)
            .await
            .map(|_| ())
    }
    .instrument(span)
    .await
}

/// Passes already-encoded protobuf bytes through unchanged.
#[derive(Debug, Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Self::Item, dst: &mut EncodeBuf<'_>) -> Result<(), Self::Error> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Self::Item>, Self::Error> {
        let mut out = vec![0; src.remaining()];
        src.copy_to_slice(&mut out);
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> OutboxSettings {
        OutboxSettings {
            poll_interval_ms: 1000,
            batch_size: 10,
            initial_backoff_ms: 100,
            max_backoff_ms: 5_000,
            lease_ms: 1000,
            call_timeout_ms: 1000,
        }
    }

    #[test]
    fn only_final_refusals_park_a_message() {
        assert!(must_park(Code::InvalidArgument, 1));
        assert!(must_park(Code::AlreadyExists, 1));
        assert!(!must_park(Code::Unavailable, 100));
        assert!(!must_park(Code::FailedPrecondition, 100));
        assert!(!must_park(Code::Aborted, 100));
        assert!(!must_park(Code::NotFound, 3));
        assert!(must_park(Code::NotFound, NOT_FOUND_ATTEMPTS));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let s = settings();
        let first = backoff_ms(&s, 1);
        assert!((100..=121).contains(&first), "{first}");
        let third = backoff_ms(&s, 3);
        assert!((400..=481).contains(&third), "{third}");
        let late = backoff_ms(&s, 30);
        assert!((5_000..=6_001).contains(&late), "{late}");
    }
}
