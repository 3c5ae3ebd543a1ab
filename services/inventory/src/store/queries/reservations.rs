//! Reservations, one per order line.

use std::collections::HashMap;

use backorder_platform::ServiceResult;
use backorder_platform::time::now_ms;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use super::changed_meanwhile;
use crate::domain::{Reservation, ReservationState};
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

/// The current reservation of one order line (see [`current`]).
pub async fn find_reservation<C: ConnectionTrait>(
    conn: &C,
    order_id: Uuid,
    line_id: Uuid,
) -> ServiceResult<Option<Reservation>> {
    let rows = reservation::Entity::find()
        .filter(Column::OrderId.eq(order_id.to_string()))
        .filter(Column::LineId.eq(line_id.to_string()))
        .all(conn)
        .await?;
    Ok(current(lines(rows)?).pop())
}

/// The current reservations of some lines of one order (see
/// [`current`]), in no particular order.
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
    Ok(current(lines(rows)?))
}

/// One reservation per line: a line given another SKU keeps its old,
/// released reservation beside the new one, and only the new one speaks
/// for the line. That is the one not released (at most one is, by the
/// `reservation_open_line` index), else the latest.
fn current(rows: Vec<Reservation>) -> Vec<Reservation> {
    let mut by_line: HashMap<Uuid, Reservation> = HashMap::new();
    for row in rows {
        let rank = |r: &Reservation| (r.state != ReservationState::Released, r.created_at, r.id);
        match by_line.get(&row.line_id) {
            Some(kept) if rank(kept) >= rank(&row) => {}
            _ => {
                by_line.insert(row.line_id, row);
            }
        }
    }
    by_line.into_values().collect()
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

/// Writes `after`'s quantity, reserved and waiting units and state over
/// the line (a line changed to fewer units), provided it is still as
/// `before` was read.
pub async fn resize_reservation<C: ConnectionTrait>(
    conn: &C,
    before: &Reservation,
    after: &Reservation,
) -> ServiceResult<()> {
    let written = reservation::Entity::update_many()
        .col_expr(Column::Quantity, Expr::value(after.quantity))
        .col_expr(Column::ReservedQuantity, Expr::value(after.reserved))
        .col_expr(Column::WaitingQuantity, Expr::value(after.waiting))
        .col_expr(Column::State, Expr::value(after.state.code()))
        .col_expr(Column::UpdatedAt, Expr::value(now_ms()))
        .filter(Column::Id.eq(before.id.to_string()))
        .filter(Column::State.eq(before.state.code()))
        .filter(Column::Quantity.eq(before.quantity))
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
