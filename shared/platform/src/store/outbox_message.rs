//! A message waiting to be (or already) delivered to another service.

use sea_orm::entity::prelude::*;

/// Row of `outbox`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// Message id (UUID v7); also the receiver's `request_id`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Peer name (`inventory`, `order`, ...).
    pub destination: String,
    /// Full gRPC method path.
    pub method: String,
    /// Encoded request message.
    pub payload: Vec<u8>,
    /// W3C `traceparent` of the work that created the message.
    pub trace_context: Option<String>,
    /// Failed delivery attempts so far.
    pub attempts: i32,
    /// Not before this time (Unix ms).
    pub next_attempt_at: i64,
    /// Claimed by `lease_owner` until this time (Unix ms).
    pub lease_until: Option<i64>,
    /// Relay instance holding the claim.
    pub lease_owner: Option<String>,
    /// When the receiver acknowledged it (Unix ms).
    pub delivered_at: Option<i64>,
    /// Last delivery error.
    pub last_error: Option<String>,
    /// When it was written (Unix ms).
    pub created_at: i64,
    /// When an operator dropped it instead of delivering it (Unix ms).
    pub dropped_at: Option<i64>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
