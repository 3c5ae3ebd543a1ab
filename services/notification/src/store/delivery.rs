//! One notification on one channel: at most one row per pair, which is what
//! makes delivery exactly-once per event per channel in the database.

use sea_orm::entity::prelude::*;

use crate::domain::webhook::WEBHOOK_CHANNEL;
use crate::domain::{Channel, DeliveryStatus, UnknownCode};

/// Row of `delivery`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery")]
pub struct Model {
    /// Notification id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub notification_id: String,
    /// Channel code (see [`Channel`]), or [`WEBHOOK_CHANNEL`] for the
    /// merchant's webhook.
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: i32,
    /// Status code (see [`DeliveryStatus`]).
    pub status: i32,
    /// Why the channel refused it.
    pub error: Option<String>,
    /// When it was handed over or refused (Unix ms).
    pub sent_at: Option<i64>,
    /// When sending was last attempted or claimed (Unix ms); a pending
    /// delivery whose attempt is older than [`crate::domain::RESEND_AFTER_MS`] is
    /// sent again.
    pub attempted_at: i64,
    /// Attempts made so far; counted for retried deliveries (the
    /// webhook's), 0 for customer channels.
    pub attempts: i32,
    /// When a retried delivery still pending is next due (Unix ms); unset
    /// for customer channels and once finished.
    pub next_attempt_at: Option<i64>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// A delivery of `notification_id` on `channel`, recorded at `at` (Unix
    /// ms) and not yet handed over.
    pub fn pending(notification_id: &str, channel: Channel, at: i64) -> Self {
        Self {
            notification_id: notification_id.to_owned(),
            channel: channel.code(),
            status: DeliveryStatus::Pending.code(),
            error: None,
            sent_at: None,
            attempted_at: at,
            attempts: 0,
            next_attempt_at: None,
        }
    }

    /// The merchant's webhook delivery of `notification_id`, recorded at
    /// `at` (Unix ms) and due at once.
    pub fn webhook(notification_id: &str, at: i64) -> Self {
        Self {
            notification_id: notification_id.to_owned(),
            channel: WEBHOOK_CHANNEL,
            status: DeliveryStatus::Pending.code(),
            error: None,
            sent_at: None,
            attempted_at: at,
            attempts: 0,
            next_attempt_at: Some(at),
        }
    }

    /// The channel; an unknown stored code is an error.
    pub fn channel(&self) -> Result<Channel, UnknownCode> {
        Channel::try_from(self.channel)
    }

    /// The status; an unknown stored code is an error.
    pub fn status(&self) -> Result<DeliveryStatus, UnknownCode> {
        DeliveryStatus::try_from(self.status)
    }
}
