//! One message to a customer about one event.

use sea_orm::entity::prelude::*;

use crate::domain::{Event, Notice, UnknownCode};

/// Row of `notification`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification")]
pub struct Model {
    /// The event id (the `request_id` of `Notify`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Customer id.
    pub customer_id: String,
    /// Order id.
    pub order_id: String,
    /// Line id; empty for the whole order.
    pub line_id: String,
    /// Event code (see [`Event`]).
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

impl Model {
    /// The row recording `notice` with the text `message`, at `created_at`
    /// (Unix ms).
    pub fn new(notice: &Notice, message: String, created_at: i64) -> Self {
        Self {
            id: notice.id.to_string(),
            customer_id: notice.customer_id.to_string(),
            order_id: notice.order_id.to_string(),
            line_id: notice.line_id.map(|id| id.to_string()).unwrap_or_default(),
            event: notice.event.code(),
            message,
            created_at,
        }
    }

    /// The event; an unknown stored code is an error.
    pub fn event(&self) -> Result<Event, UnknownCode> {
        Event::try_from(self.event)
    }
}
