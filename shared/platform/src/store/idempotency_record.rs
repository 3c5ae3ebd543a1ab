//! The stored answer to a mutating request, keyed by its `request_id`.

use sea_orm::entity::prelude::*;

/// Row of `idempotency_record`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_record")]
pub struct Model {
    /// Caller's request id (or the sender's outbox message id).
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: String,
    /// Method it was used with.
    pub method: String,
    /// SHA-256 of the encoded request, hex.
    pub request_hash: String,
    /// Encoded response.
    pub response: Vec<u8>,
    /// Id of the resource the request created or changed (for operators).
    pub resource_id: String,
    /// When it was stored (Unix ms).
    pub created_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
