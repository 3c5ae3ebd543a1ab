//! The waiting queue of a SKU indexed in allocation order (priority
//! descending, then arrival), over waiting lines only: filling k lines reads
//! k index entries, whatever the backlog of this SKU or of others. The
//! older `reservation_queue` index is all ascending, which a mixed-direction
//! ORDER BY cannot use without sorting the SKU's whole backlog.

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// `ReservationState::Waiting`, written as a literal: a partial index only
/// serves queries whose predicate matches it literally.
pub const WAITING: i32 = 1;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS reservation_waiting_queue \
                 ON reservation (sku, priority DESC, created_at, id) WHERE state = {WAITING}"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS reservation_waiting_queue")
            .await?;
        Ok(())
    }
}
