//! Lost sales: orders refused at placement for a stockout, and their short
//! lines per SKU and reason. A refused order's own rows are deleted (it
//! never existed for the customer); these keep what the merchant lost.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, integer, string};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("refused_order")
                    .if_not_exists()
                    .col(string("order_id").primary_key())
                    .col(big_integer("units"))
                    .col(big_integer("refused_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("lost_sale")
                    .if_not_exists()
                    .col(string("order_id"))
                    .col(integer("line_index"))
                    .col(string("sku"))
                    .col(integer("reason"))
                    .col(big_integer("units"))
                    .col(big_integer("refused_at"))
                    .primary_key(Index::create().col("order_id").col("line_index"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS refused_order_by_time ON refused_order (refused_at)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS lost_sale_by_time ON lost_sale (refused_at)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("lost_sale").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("refused_order").to_owned())
            .await?;
        Ok(())
    }
}
