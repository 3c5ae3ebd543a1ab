//! Which relay replica sends to a destination, and until when.

use sea_orm::entity::prelude::*;

/// Row of `outbox_lease`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_lease")]
pub struct Model {
    /// Peer name (`inventory`, `order`, ...).
    #[sea_orm(primary_key, auto_increment = false)]
    pub destination: String,
    /// Relay instance holding the turn.
    pub owner: String,
    /// The turn ends at this time (Unix ms) unless renewed.
    pub lease_until: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
