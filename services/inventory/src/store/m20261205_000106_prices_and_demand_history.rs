//! Product prices, so the backlog has a value, and an index that reads one
//! SKU's reservations by arrival for its demand history. Existing products
//! get price 0 until one is set.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !manager.has_column("product", "price_minor").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table("product")
                        .add_column(big_integer("price_minor").default(0))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS reservation_sku_arrival \
                 ON reservation (sku, created_at)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS reservation_sku_arrival")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("product")
                    .drop_column("price_minor")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
