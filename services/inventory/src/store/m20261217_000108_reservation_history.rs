//! A line given another SKU keeps its old reservation, released, beside
//! the new one: the released row still names the demand procurement let
//! go, and the ledger and demand history still read it. So an order line
//! may have many reservations, of which at most one is not released.

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// `ReservationState::Released`, written as a literal: a partial index's
/// predicate is fixed when it is created.
pub const RELEASED: i32 = 4;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE UNIQUE INDEX IF NOT EXISTS reservation_open_line \
             ON reservation (order_id, line_id) WHERE state <> {RELEASED}"
        ))
        .await?;
        // Lookups by line still need an index once the unique one goes.
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS reservation_of_line ON reservation (order_id, line_id)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS reservation_order_line")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Only the current reservation of each line can stay under the
        // old one-row-per-line index.
        db.execute_unprepared(&format!(
            "DELETE FROM reservation WHERE state = {RELEASED} AND EXISTS \
             (SELECT 1 FROM reservation newer WHERE newer.order_id = reservation.order_id \
             AND newer.line_id = reservation.line_id AND newer.id <> reservation.id \
             AND (newer.state <> {RELEASED} OR newer.created_at > reservation.created_at))"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX IF NOT EXISTS reservation_order_line \
             ON reservation (order_id, line_id)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS reservation_of_line")
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS reservation_open_line")
            .await?;
        Ok(())
    }
}
