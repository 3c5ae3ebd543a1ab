//! Warehouses, and where each line's reserved units are. Everything stored
//! before is in the warehouse "default", which this creates: every stock
//! row already names it, and each open line's reserved units become its
//! part there, so nothing moves and nothing is lost.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, integer, string, text};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rank of the default warehouse: room for warehouses before and after it.
pub const DEFAULT_RANK: i32 = 100;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("warehouse")
                    .if_not_exists()
                    .col(string("code").primary_key())
                    .col(text("name"))
                    .col(integer("rank"))
                    .col(big_integer("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("reservation_part")
                    .if_not_exists()
                    .col(string("reservation_id"))
                    .col(string("warehouse"))
                    .col(big_integer("reserved"))
                    .primary_key(Index::create().col("reservation_id").col("warehouse"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO warehouse (code, name, rank, created_at) \
             VALUES ('default', 'Default', {DEFAULT_RANK}, 0) ON CONFLICT DO NOTHING"
        ))
        .await?;
        // Open lines (waiting 1, allocated 2) hold their reserved units in
        // the warehouse they were reserved in.
        db.execute_unprepared(
            "INSERT INTO reservation_part (reservation_id, warehouse, reserved) \
             SELECT id, warehouse, reserved_quantity FROM reservation \
             WHERE reserved_quantity > 0 AND state IN (1, 2) ON CONFLICT DO NOTHING",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("reservation_part").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("warehouse").to_owned())
            .await?;
        Ok(())
    }
}
