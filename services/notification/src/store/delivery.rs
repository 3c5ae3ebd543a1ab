//! One notification on one channel: at most one row per pair, which is what
//! makes delivery exactly-once per event per channel in the database.

use sea_orm::entity::prelude::*;

/// Row of `delivery`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery")]
pub struct Model {
    /// Notification id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub notification_id: String,
    /// Channel code (see `domain::Channel`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: i32,
    /// Status code (see `domain::DeliveryStatus`).
    pub status: i32,
    /// Why the channel refused it.
    pub error: Option<String>,
    /// When it was handed over or refused (Unix ms).
    pub sent_at: Option<i64>,
    /// When sending was last attempted or claimed (Unix ms); a pending
    /// delivery whose attempt is older than `domain::RESEND_AFTER_MS` is
    /// sent again.
    pub attempted_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
