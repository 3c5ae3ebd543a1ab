//! One message to a customer about one event.

use sea_orm::entity::prelude::*;

/// Row of `notification`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification")]
pub struct Model {
    /// The event id (the `request_id` of `Notify`, UUID v7: ordering by id
    /// is ordering by event time).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Customer id.
    pub customer_id: String,
    /// Order id.
    pub order_id: String,
    /// Line id; empty for the whole order.
    pub line_id: String,
    /// Event code (see `domain::Event`).
    pub event: i32,
    /// The text sent.
    pub message: String,
    /// Unix ms.
    pub created_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
