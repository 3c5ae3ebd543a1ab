//! The transactional outbox: a message another service must get is written
//! in the same transaction as the change that caused it (through
//! [`crate::unit_of_work::Work::send`]), then relayed over gRPC until the
//! receiver acknowledges it.
//!
//! Every message carries its id as the receiver's `request_id`, which the
//! receiver's idempotency records turn into exactly-once effects.

mod admin;
mod codec;
mod lag;
mod policy;
mod relay;

use std::sync::Arc;

use backorder_proto::Peer;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use tokio::sync::Notify;

use crate::store::outbox_message;
use crate::telemetry::current_traceparent;
use crate::time::now_ms;

pub use admin::OutboxAdmin;
pub use codec::RawCodec;
pub use lag::{Lag, lag, register_gauges};
pub use policy::{Disposition, PARKED, disposition};
pub use relay::Relay;

use backorder_proto::Rpc;
use backorder_proto::outbox::v1 as admin_pb;

use crate::access::{AccessRule, Callers};

/// Parked-message administration is for operators.
pub const ACCESS: &[AccessRule] = &[
    AccessRule {
        path: <admin_pb::ListParkedMessagesRequest as Rpc>::PATH,
        callers: Callers::OPERATOR,
    },
    AccessRule {
        path: <admin_pb::RetryParkedMessageRequest as Rpc>::PATH,
        callers: Callers::OPERATOR,
    },
    AccessRule {
        path: <admin_pb::DropParkedMessageRequest as Rpc>::PATH,
        callers: Callers::OPERATOR,
    },
];

/// Wakes the relay's worker for one destination right after a commit, so
/// messages leave within milliseconds instead of at the next poll.
#[derive(Clone, Default)]
pub struct OutboxSignal(Arc<[Notify; 4]>);

impl OutboxSignal {
    /// A new signal.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tells the worker for `destination` that messages are waiting. A wake
    /// while the worker is busy is remembered, never lost.
    pub fn wake(&self, destination: Peer) {
        self.notify(destination).notify_one();
    }

    fn notify(&self, destination: Peer) -> &Notify {
        let index = Peer::ALL
            .iter()
            .position(|p| *p == destination)
            .unwrap_or(0);
        &self.0[index]
    }

    /// Waits for the next [`OutboxSignal::wake`] of `destination`.
    pub async fn woken(&self, destination: Peer) {
        self.notify(destination).notified().await;
    }
}

/// A message for another service.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Message id; also the payload's `request_id`.
    pub id: String,
    /// The receiving service.
    pub destination: Peer,
    /// Full gRPC method path.
    pub method: &'static str,
    /// Encoded request.
    pub payload: Vec<u8>,
    /// `traceparent` the delivery continues; `None` takes the current span's.
    pub trace_context: Option<String>,
}

/// Writes `envelope`; call inside the transaction that made the change.
/// Handlers use [`crate::unit_of_work::Work::send`], which calls this.
pub async fn enqueue<C: ConnectionTrait>(conn: &C, envelope: Envelope) -> Result<(), DbErr> {
    let now = now_ms();
    outbox_message::ActiveModel {
        id: Set(envelope.id),
        destination: Set(envelope.destination.name().to_owned()),
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
        dropped_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}
