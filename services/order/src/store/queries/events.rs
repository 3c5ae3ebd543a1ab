//! The order's own timeline.

use backorder_platform::ServiceResult;
use backorder_platform::ids::new_id_string;
use backorder_platform::time::now_ms;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::super::order_event::{self, Column};
use crate::domain::timeline::Recorded;

/// Appends `event` to the order's timeline (about one line, or the whole
/// order when `line_id` is `None`).
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    order_id: Uuid,
    line_id: Option<Uuid>,
    event: Recorded<'_>,
) -> ServiceResult<()> {
    order_event::ActiveModel {
        id: Set(new_id_string()),
        order_id: Set(order_id.to_string()),
        line_id: Set(line_id.map(|id| id.to_string()).unwrap_or_default()),
        event: Set(event.name().to_owned()),
        detail: Set(event.detail()),
        created_at: Set(now_ms()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Appends several events of one order in one statement, in the given
/// order (their ids are time-ordered).
pub async fn record_all<C: ConnectionTrait>(
    conn: &C,
    order_id: Uuid,
    events: Vec<(Option<Uuid>, Recorded<'_>)>,
) -> ServiceResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let rows = events
        .into_iter()
        .map(|(line_id, event)| order_event::ActiveModel {
            id: Set(new_id_string()),
            order_id: Set(order_id.to_string()),
            line_id: Set(line_id.map(|id| id.to_string()).unwrap_or_default()),
            event: Set(event.name().to_owned()),
            detail: Set(event.detail()),
            created_at: Set(now),
        });
    order_event::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The order's own timeline, oldest first.
pub async fn events_of<C: ConnectionTrait>(
    conn: &C,
    order_id: Uuid,
) -> ServiceResult<Vec<order_event::Model>> {
    Ok(order_event::Entity::find()
        .filter(Column::OrderId.eq(order_id.to_string()))
        .order_by_asc(Column::Id)
        .all(conn)
        .await?)
}
