//! Reservations, one per order line.

use backorder_platform::ServiceResult;
use backorder_platform::time::now_ms;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use super::changed_meanwhile;
use crate::domain::Reservation;
use crate::store::reservation::{self, Column};

/// Stored rows as domain lines; one corrupt row refuses them all.
pub(super) fn lines(rows: Vec<reservation::Model>) -> ServiceResult<Vec<Reservation>> {
    rows.into_iter().map(Reservation::try_from).collect()
}

/// Inserts the reservations of an order's lines in one statement.
pub async fn insert_reservations<C: ConnectionTrait>(
    conn: &C,
    lines: &[Reservation],
) -> ServiceResult<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let rows = lines
        .iter()
        .map(|line| reservation::ActiveModel::from(reservation::Model::from(line)));
    reservation::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The reservation of one order line.
pub async fn find_reservation<C: ConnectionTrait>(
    conn: &C,
    order_id: Uuid,
    line_id: Uuid,
) -> ServiceResult<Option<Reservation>> {
    reservation::Entity::find()
        .filter(Column::OrderId.eq(order_id.to_string()))
        .filter(Column::LineId.eq(line_id.to_string()))
        .one(conn)
        .await?
        .map(Reservation::try_from)
        .transpose()
}

/// The reservations of some lines of one order, in no particular order.
pub async fn find_reservations<C: ConnectionTrait>(
    conn: &C,
    order_id: Uuid,
    line_ids: &[Uuid],
) -> ServiceResult<Vec<Reservation>> {
    let rows = reservation::Entity::find()
        .filter(Column::OrderId.eq(order_id.to_string()))
        .filter(Column::LineId.is_in(line_ids.iter().map(Uuid::to_string)))
        .all(conn)
        .await?;
    lines(rows)
}

/// An order's reservations by id (arrival), after `after`.
pub async fn reservations_of_order<C: ConnectionTrait>(
    conn: &C,
    order_id: Uuid,
    after: Option<&str>,
    limit: u64,
) -> ServiceResult<Vec<Reservation>> {
    lines(order_query(order_id, after, limit).all(conn).await?)
}

/// The statement [`reservations_of_order`] runs (public so the bench can
/// explain it).
pub fn order_query(order_id: Uuid, after: Option<&str>, limit: u64) -> Select<reservation::Entity> {
    let mut query = reservation::Entity::find()
        .filter(Column::OrderId.eq(order_id.to_string()))
        .order_by_asc(Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(Column::Id.gt(after));
    }
    query
}

/// Writes `after`'s quantities and state over the line, provided it is
/// still as `before` was read.
pub async fn update_reservation<C: ConnectionTrait>(
    conn: &C,
    before: &Reservation,
    after: &Reservation,
) -> ServiceResult<()> {
    let written = reservation::Entity::update_many()
        .col_expr(Column::ReservedQuantity, Expr::value(after.reserved))
        .col_expr(Column::WaitingQuantity, Expr::value(after.waiting))
        .col_expr(Column::State, Expr::value(after.state.code()))
        .col_expr(Column::UpdatedAt, Expr::value(now_ms()))
        .filter(Column::Id.eq(before.id.to_string()))
        .filter(Column::State.eq(before.state.code()))
        .filter(Column::ReservedQuantity.eq(before.reserved))
        .filter(Column::WaitingQuantity.eq(before.waiting))
        .exec(conn)
        .await?;
    if written.rows_affected == 1 {
        Ok(())
    } else {
        Err(changed_meanwhile(&format!("reservation {}", before.id)))
    }
}

/// Writes `after`'s place in the queue (priority, reason, time) over the
/// line, provided its state and priority are still as `before` was read.
pub async fn update_reservation_priority<C: ConnectionTrait>(
    conn: &C,
    before: &Reservation,
    after: &Reservation,
) -> ServiceResult<()> {
    let written = reservation::Entity::update_many()
        .col_expr(Column::Priority, Expr::value(after.priority))
        .col_expr(
            Column::PriorityReason,
            Expr::value(after.priority_reason.clone()),
        )
        .col_expr(Column::UpdatedAt, Expr::value(after.updated_at))
        .filter(Column::Id.eq(before.id.to_string()))
        .filter(Column::State.eq(before.state.code()))
        .filter(Column::Priority.eq(before.priority))
        .exec(conn)
        .await?;
    if written.rows_affected == 1 {
        Ok(())
    } else {
        Err(changed_meanwhile(&format!("reservation {}", before.id)))
    }
}
