//! Queries over notification's tables. Each takes a connection or
//! transaction; callers own transaction boundaries.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use uuid::Uuid;

use super::{customer, delivery, notification};
use crate::domain::DeliveryStatus;
use crate::domain::webhook::WEBHOOK_CHANNEL;

/// A customer by id.
pub async fn find_customer<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<customer::Model>, DbErr> {
    customer::Entity::find_by_id(id.to_string()).one(conn).await
}

/// Inserts a customer or replaces every field of the existing one.
pub async fn upsert_customer<C: ConnectionTrait>(
    conn: &C,
    model: customer::Model,
) -> Result<(), DbErr> {
    use customer::Column;
    customer::Entity::insert(customer::ActiveModel::from(model))
        .on_conflict(
            OnConflict::column(Column::Id)
                .update_columns([
                    Column::Name,
                    Column::Email,
                    Column::Phone,
                    Column::PushToken,
                    Column::Channels,
                    Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Inserts a notification with its deliveries. A second notification with
/// the same id fails on the primary key.
pub async fn insert_notification<C: ConnectionTrait>(
    conn: &C,
    model: notification::Model,
    deliveries: Vec<delivery::Model>,
) -> Result<(), DbErr> {
    notification::ActiveModel::from(model).insert(conn).await?;
    delivery::Entity::insert_many(deliveries.into_iter().map(delivery::ActiveModel::from))
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// A notification by id.
pub async fn find_notification<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<notification::Model>, DbErr> {
    notification::Entity::find_by_id(id.to_string())
        .one(conn)
        .await
}

/// A notification and its customer (when known), by the notification id
/// stored on one of its deliveries.
pub async fn notification_and_customer<C: ConnectionTrait>(
    conn: &C,
    notification_id: &str,
) -> Result<Option<(notification::Model, Option<customer::Model>)>, DbErr> {
    let Some(notification) = notification::Entity::find_by_id(notification_id.to_owned())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let customer = customer::Entity::find_by_id(notification.customer_id.clone())
        .one(conn)
        .await?;
    Ok(Some((notification, customer)))
}

/// The customer's deliveries of the given notifications (not the
/// merchant's webhook), by notification then channel.
pub async fn deliveries_of<C: ConnectionTrait>(
    conn: &C,
    notification_ids: Vec<String>,
) -> Result<Vec<delivery::Model>, DbErr> {
    if notification_ids.is_empty() {
        return Ok(Vec::new());
    }
    delivery::Entity::find()
        .filter(delivery::Column::NotificationId.is_in(notification_ids))
        .filter(delivery::Column::Channel.ne(WEBHOOK_CHANNEL))
        .order_by_asc(delivery::Column::NotificationId)
        .order_by_asc(delivery::Column::Channel)
        .all(conn)
        .await
}

/// Notifications of a customer and/or an order, oldest first (by the time
/// they were recorded, then id), starting after the `(created_at, id)` key
/// `after`. Callers' event ids need not be time-ordered.
pub async fn list_notifications<C: ConnectionTrait>(
    conn: &C,
    customer_id: Option<Uuid>,
    order_id: Option<Uuid>,
    after: Option<(i64, &str)>,
    limit: u64,
) -> Result<Vec<notification::Model>, DbErr> {
    use notification::Column;
    let mut query = notification::Entity::find()
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .limit(limit);
    if let Some(customer_id) = customer_id {
        query = query.filter(Column::CustomerId.eq(customer_id.to_string()));
    }
    if let Some(order_id) = order_id {
        query = query.filter(Column::OrderId.eq(order_id.to_string()));
    }
    if let Some((created_at, id)) = after {
        query = query.filter(
            Condition::any().add(Column::CreatedAt.gt(created_at)).add(
                Condition::all()
                    .add(Column::CreatedAt.eq(created_at))
                    .add(Column::Id.gt(id)),
            ),
        );
    }
    query.all(conn).await
}

/// Records how handing a pending delivery over went. Only a delivery still
/// pending changes; returns whether this one did.
pub async fn finish_delivery<C: ConnectionTrait>(
    conn: &C,
    notification_id: &str,
    channel: i32,
    status: DeliveryStatus,
    error: Option<String>,
    at: i64,
) -> Result<bool, DbErr> {
    use delivery::Column;
    let result = delivery::Entity::update_many()
        .col_expr(Column::Status, Expr::value(status.code()))
        .col_expr(Column::Error, Expr::value(error))
        .col_expr(Column::SentAt, Expr::value(Some(at)))
        .filter(Column::NotificationId.eq(notification_id))
        .filter(Column::Channel.eq(channel))
        .filter(Column::Status.eq(DeliveryStatus::Pending.code()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Pending deliveries to customers last attempted at or before
/// `attempted_before`, oldest attempt first. Webhook deliveries have their
/// own schedule (see [`super::webhook`]).
pub async fn stale_pending<C: ConnectionTrait>(
    conn: &C,
    attempted_before: i64,
    limit: u64,
) -> Result<Vec<delivery::Model>, DbErr> {
    use delivery::Column;
    delivery::Entity::find()
        .filter(Column::Status.eq(DeliveryStatus::Pending.code()))
        .filter(Column::Channel.ne(WEBHOOK_CHANNEL))
        .filter(Column::AttemptedAt.lte(attempted_before))
        .order_by_asc(Column::AttemptedAt)
        .limit(limit)
        .all(conn)
        .await
}

/// Claims a pending delivery for another attempt: moves its attempt time
/// from `seen_attempted_at` to `now` unless someone else (another replica's
/// resender) already did. Returns whether this caller won the claim.
pub async fn claim_delivery<C: ConnectionTrait>(
    conn: &C,
    notification_id: &str,
    channel: i32,
    seen_attempted_at: i64,
    now: i64,
) -> Result<bool, DbErr> {
    use delivery::Column;
    let result = delivery::Entity::update_many()
        .col_expr(Column::AttemptedAt, Expr::value(now))
        .filter(Column::NotificationId.eq(notification_id))
        .filter(Column::Channel.eq(channel))
        .filter(Column::Status.eq(DeliveryStatus::Pending.code()))
        .filter(Column::AttemptedAt.eq(seen_attempted_at))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
