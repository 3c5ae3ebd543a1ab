//! Queries over the merchant's webhook deliveries: rows of `delivery` with
//! the channel code [`WEBHOOK_CHANNEL`], written with their notification
//! and retried on their own schedule (`next_attempt_at`).
//!
//! A worker claims a due delivery by moving `next_attempt_at` past the
//! attempt (a lease: a worker that dies mid-call leaves it due again once
//! the lease ends), then records the outcome only if its claim still
//! stands, so two replicas never both count or finish one attempt.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::delivery::{self, Column};
use super::notification;
use crate::domain::DeliveryStatus;
use crate::domain::webhook::WEBHOOK_CHANNEL;

/// How an attempt ended, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// SENT.
    Delivered,
    /// Still PENDING, due again at this time (Unix ms), with the reason.
    Retry {
        /// Due again (Unix ms).
        at: i64,
        /// Why this attempt failed.
        error: String,
    },
    /// FAILED with the reason.
    GaveUp {
        /// Why the last attempt failed.
        error: String,
    },
}

/// Webhook deliveries still pending and due at `now`, longest due first.
pub async fn due<C: ConnectionTrait>(
    conn: &C,
    now: i64,
    limit: u64,
) -> Result<Vec<delivery::Model>, DbErr> {
    delivery::Entity::find()
        .filter(Column::Channel.eq(WEBHOOK_CHANNEL))
        .filter(Column::Status.eq(DeliveryStatus::Pending.code()))
        .filter(Column::NextAttemptAt.lte(now))
        .order_by_asc(Column::NextAttemptAt)
        .order_by_asc(Column::NotificationId)
        .limit(limit)
        .all(conn)
        .await
}

/// Claims the webhook delivery of `notification_id` for an attempt at
/// `now`, due again at `until` unless recorded before, provided it is still
/// pending and due at `seen_next_attempt_at` (no one else claimed it).
/// Returns whether this caller won the claim.
pub async fn claim<C: ConnectionTrait>(
    conn: &C,
    notification_id: &str,
    seen_next_attempt_at: i64,
    now: i64,
    until: i64,
) -> Result<bool, DbErr> {
    let result = delivery::Entity::update_many()
        .col_expr(Column::AttemptedAt, Expr::value(now))
        .col_expr(Column::NextAttemptAt, Expr::value(Some(until)))
        .filter(Column::NotificationId.eq(notification_id))
        .filter(Column::Channel.eq(WEBHOOK_CHANNEL))
        .filter(Column::Status.eq(DeliveryStatus::Pending.code()))
        .filter(Column::NextAttemptAt.eq(seen_next_attempt_at))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records one attempt at `now` under the claim that set `next_attempt_at`
/// to `claimed_until`. Returns whether the claim still stood (else nothing
/// changed: another worker owns the delivery now).
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    notification_id: &str,
    claimed_until: i64,
    outcome: Recorded,
    now: i64,
) -> Result<bool, DbErr> {
    let (status, error, sent_at, next) = match outcome {
        Recorded::Delivered => (DeliveryStatus::Sent, None, Some(now), None),
        Recorded::Retry { at, error } => (DeliveryStatus::Pending, Some(error), None, Some(at)),
        Recorded::GaveUp { error } => (DeliveryStatus::Failed, Some(error), Some(now), None),
    };
    let result = delivery::Entity::update_many()
        .col_expr(Column::Status, Expr::value(status.code()))
        .col_expr(Column::Error, Expr::value(error))
        .col_expr(Column::SentAt, Expr::value(sent_at))
        .col_expr(Column::NextAttemptAt, Expr::value(next))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::NotificationId.eq(notification_id))
        .filter(Column::Channel.eq(WEBHOOK_CHANNEL))
        .filter(Column::Status.eq(DeliveryStatus::Pending.code()))
        .filter(Column::NextAttemptAt.eq(claimed_until))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The webhook delivery of a notification, when there is one.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    notification_id: &str,
) -> Result<Option<delivery::Model>, DbErr> {
    delivery::Entity::find_by_id((notification_id.to_owned(), WEBHOOK_CHANNEL))
        .one(conn)
        .await
}

/// The notification a webhook delivery is for.
pub async fn notification_of<C: ConnectionTrait>(
    conn: &C,
    notification_id: &str,
) -> Result<Option<notification::Model>, DbErr> {
    notification::Entity::find_by_id(notification_id.to_owned())
        .one(conn)
        .await
}
