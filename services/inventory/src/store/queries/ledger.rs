//! The append-only stock ledger.

use backorder_platform::ServiceResult;
use backorder_platform::ids::new_id_string;
use backorder_platform::time::now_ms;
use backorder_platform::warehouse::WarehouseCode;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::store::stock_movement::{self, MovementKind};

/// One entry of the ledger.
#[derive(Debug, Clone)]
pub struct Movement<'a> {
    /// SKU moved.
    pub sku: &'a str,
    /// Warehouse it moved in.
    pub warehouse: &'a WarehouseCode,
    /// What moved it.
    pub kind: MovementKind,
    /// Change of on hand.
    pub on_hand_delta: i64,
    /// Change of reserved.
    pub reserved_delta: i64,
    /// Order, purchase order, shipment or request it belongs to.
    pub reference: &'a str,
    /// Why.
    pub reason: &'a str,
}

/// Appends `movement` to the ledger.
pub async fn record_movement<C: ConnectionTrait>(
    conn: &C,
    movement: Movement<'_>,
) -> ServiceResult<()> {
    record_movements(conn, vec![movement]).await
}

/// Appends `movements` to the ledger in one statement.
pub async fn record_movements<C: ConnectionTrait>(
    conn: &C,
    movements: Vec<Movement<'_>>,
) -> ServiceResult<()> {
    if movements.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let rows = movements
        .into_iter()
        .map(|movement| stock_movement::ActiveModel {
            id: Set(new_id_string()),
            sku: Set(movement.sku.to_owned()),
            warehouse: Set(movement.warehouse.to_string()),
            kind: Set(movement.kind.as_str().to_owned()),
            on_hand_delta: Set(movement.on_hand_delta),
            reserved_delta: Set(movement.reserved_delta),
            reference: Set(movement.reference.to_owned()),
            reason: Set(movement.reason.to_owned()),
            created_at: Set(now),
        });
    stock_movement::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
