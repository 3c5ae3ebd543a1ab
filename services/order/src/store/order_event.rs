//! The order's own timeline.

use sea_orm::entity::prelude::*;

/// Row of `order_event`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_event")]
pub struct Model {
    /// Event id (UUID v7, time-ordered).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Order id.
    pub order_id: String,
    /// Line id; empty for the whole order.
    pub line_id: String,
    /// Event name, lower_snake_case.
    pub event: String,
    /// Detail for people.
    pub detail: String,
    /// Unix ms.
    pub created_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
