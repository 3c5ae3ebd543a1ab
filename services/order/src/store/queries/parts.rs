//! Where lines' ready units are: one row per line and warehouse holding
//! some. Rows are written as the domain holds them after a change (the
//! changed lines' rows replaced), so what is stored is what was decided.

use std::collections::HashMap;

use backorder_platform::ServiceResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::super::order_line_stock::{self, Column};
use super::super::rows::{CorruptRow, LinePart, read_all};
use crate::domain::{Line, LineStatus, UnitsByWarehouse};

/// Gives each line its stored parts (`Line::settle`), with one read for
/// all the orders named, and none when no line can hold ready units.
pub(super) async fn settle_lines<C: ConnectionTrait>(
    conn: &C,
    order_ids: &[Uuid],
    mut lines: Vec<Line>,
) -> ServiceResult<Vec<Line>> {
    let may_hold = |l: &Line| matches!(l.status, LineStatus::Ready | LineStatus::Backordered);
    let mut by_line: HashMap<Uuid, Vec<LinePart>> = HashMap::new();
    if lines.iter().any(may_hold) {
        let rows = order_line_stock::Entity::find()
            .filter(Column::OrderId.is_in(order_ids.iter().map(Uuid::to_string)))
            .all(conn)
            .await?;
        for part in read_all::<_, LinePart>(rows)? {
            by_line.entry(part.line_id).or_default().push(part);
        }
    }
    for line in &mut lines {
        let parts = by_line.remove(&line.id).unwrap_or_default();
        let stored =
            UnitsByWarehouse::from_entries(parts.into_iter().map(|p| (p.warehouse, p.units)))
                .map_err(|e| CorruptRow {
                    table: "order_line_stock",
                    id: line.id.to_string(),
                    problem: e.to_string(),
                })?;
        line.settle(stored);
    }
    Ok(lines)
}

fn rows_of(lines: &[Line]) -> Vec<order_line_stock::ActiveModel> {
    lines
        .iter()
        .flat_map(|line| {
            line.ready_in.iter().map(|(warehouse, units)| {
                order_line_stock::ActiveModel::from(order_line_stock::Model {
                    line_id: line.id.to_string(),
                    warehouse: warehouse.as_str().to_owned(),
                    order_id: line.order_id.to_string(),
                    quantity: units,
                })
            })
        })
        .collect()
}

/// Stores the parts of lines that have none stored yet (a placement), in
/// one statement whatever their number.
pub async fn insert_parts<C: ConnectionTrait>(conn: &C, lines: &[Line]) -> ServiceResult<()> {
    let rows = rows_of(lines);
    if !rows.is_empty() {
        order_line_stock::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Replaces the stored parts of `lines` with the ones they hold now (none
/// for a line that shipped its last units or was cancelled).
pub async fn replace_parts<C: ConnectionTrait>(conn: &C, lines: &[Line]) -> ServiceResult<()> {
    if lines.is_empty() {
        return Ok(());
    }
    order_line_stock::Entity::delete_many()
        .filter(Column::LineId.is_in(lines.iter().map(|l| l.id.to_string())))
        .exec(conn)
        .await?;
    insert_parts(conn, lines).await
}
