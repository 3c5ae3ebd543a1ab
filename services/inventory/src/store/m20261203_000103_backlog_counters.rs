//! The backlog's totals without reading every line: each stock row counts
//! the lines waiting for its units (beside the units, which it already
//! kept), and waiting lines are indexed by arrival, so the oldest is one
//! index read. Existing rows are counted once here.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer;

use super::m20261201_000102_index_queue_in_allocation_order::WAITING;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !manager.has_column("stock_level", "waiting_lines").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table("stock_level")
                        .add_column(big_integer("waiting_lines").default(0))
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "UPDATE stock_level SET waiting_lines = (SELECT COUNT(*) FROM reservation r \
             WHERE r.sku = stock_level.sku AND r.warehouse = stock_level.warehouse \
             AND r.state = {WAITING})"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS reservation_waiting_since \
             ON reservation (created_at) WHERE state = {WAITING}"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS reservation_waiting_since")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("stock_level")
                    .drop_column("waiting_lines")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
