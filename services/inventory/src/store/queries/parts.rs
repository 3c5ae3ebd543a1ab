//! Where each line's reserved units are: one row per line and warehouse
//! holding some. A line's parts add up to its reserved units.

use std::collections::HashMap;

use backorder_platform::ServiceResult;
use backorder_platform::warehouse::WarehouseCode;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::domain::Part;
use crate::store::reservation_part::{self, Column};

/// Stores the parts of newly reserved lines (reservation id, parts) in one
/// statement.
pub async fn insert_parts<C: ConnectionTrait>(
    conn: &C,
    lines: &[(Uuid, &[Part])],
) -> ServiceResult<()> {
    let rows: Vec<reservation_part::ActiveModel> = lines
        .iter()
        .flat_map(|(id, parts)| {
            parts
                .iter()
                .filter(|(_, units)| *units > 0)
                .map(move |(warehouse, units)| reservation_part::ActiveModel {
                    reservation_id: Set(id.to_string()),
                    warehouse: Set(warehouse.to_string()),
                    reserved: Set(*units),
                })
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    reservation_part::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Adds units to lines' parts in `warehouse` (allocations there), one
/// statement for all of them: a receipt filling many lines pays one round
/// trip here, not one per line.
pub async fn add_to_parts<C: ConnectionTrait>(
    conn: &C,
    warehouse: &WarehouseCode,
    grants: &[(Uuid, i64)],
) -> ServiceResult<()> {
    if grants.is_empty() {
        return Ok(());
    }
    let rows = grants
        .iter()
        .map(|(reservation_id, units)| reservation_part::ActiveModel {
            reservation_id: Set(reservation_id.to_string()),
            warehouse: Set(warehouse.to_string()),
            reserved: Set(*units),
        });
    reservation_part::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([Column::ReservationId, Column::Warehouse])
                // The row's units plus the ones this statement brings.
                .value(
                    Column::Reserved,
                    Expr::col((reservation_part::Entity, Column::Reserved))
                        .add(Expr::cust("excluded.reserved")),
                )
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Sets a line's part in `warehouse` to `units` (deleting it at 0): after
/// units of it shipped.
pub async fn set_part<C: ConnectionTrait>(
    conn: &C,
    reservation_id: Uuid,
    warehouse: &WarehouseCode,
    units: i64,
) -> ServiceResult<()> {
    if units == 0 {
        reservation_part::Entity::delete_many()
            .filter(Column::ReservationId.eq(reservation_id.to_string()))
            .filter(Column::Warehouse.eq(warehouse.as_str()))
            .exec(conn)
            .await?;
    } else {
        reservation_part::Entity::update_many()
            .col_expr(Column::Reserved, Expr::value(units))
            .filter(Column::ReservationId.eq(reservation_id.to_string()))
            .filter(Column::Warehouse.eq(warehouse.as_str()))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Drops every part of a line (it shipped whole or was released).
pub async fn clear_parts<C: ConnectionTrait>(conn: &C, reservation_id: Uuid) -> ServiceResult<()> {
    reservation_part::Entity::delete_many()
        .filter(Column::ReservationId.eq(reservation_id.to_string()))
        .exec(conn)
        .await?;
    Ok(())
}

/// The parts of several lines, by reservation id, each by warehouse code.
pub async fn parts_of<C: ConnectionTrait>(
    conn: &C,
    reservation_ids: &[Uuid],
) -> ServiceResult<HashMap<Uuid, Vec<Part>>> {
    if reservation_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = reservation_part::Entity::find()
        .filter(Column::ReservationId.is_in(reservation_ids.iter().map(Uuid::to_string)))
        .order_by_asc(Column::ReservationId)
        .order_by_asc(Column::Warehouse)
        .all(conn)
        .await?;
    let mut parts: HashMap<Uuid, Vec<Part>> = HashMap::new();
    for row in rows {
        let Ok(id) = Uuid::try_parse(&row.reservation_id) else {
            continue;
        };
        parts
            .entry(id)
            .or_default()
            .push((WarehouseCode::stored(row.warehouse), row.reserved));
    }
    Ok(parts)
}
