//! Products, stock levels, reservations and the stock ledger.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, integer, string, text, text_null};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("product")
                    .if_not_exists()
                    .col(string("sku").primary_key())
                    .col(text("name"))
                    .col(integer("backorder_policy"))
                    .col(big_integer("backorder_cap"))
                    .col(big_integer("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("stock_level")
                    .if_not_exists()
                    .col(string("sku"))
                    .col(string("warehouse"))
                    .col(big_integer("on_hand"))
                    .col(big_integer("reserved"))
                    .col(big_integer("backordered"))
                    .col(big_integer("updated_at"))
                    .primary_key(Index::create().col("sku").col("warehouse"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("reservation")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(string("order_id"))
                    .col(string("line_id"))
                    .col(string("sku"))
                    .col(string("warehouse"))
                    .col(big_integer("quantity"))
                    .col(big_integer("reserved_quantity"))
                    .col(big_integer("waiting_quantity"))
                    .col(integer("state"))
                    .col(integer("priority"))
                    .col(text_null("trace_context"))
                    .col(big_integer("created_at"))
                    .col(big_integer("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reservation_order_line")
                    .table("reservation")
                    .col("order_id")
                    .col("line_id")
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // The waiting queue of a SKU in allocation order: filling k lines
        // reads k index entries, never the whole backlog.
        manager
            .create_index(
                Index::create()
                    .name("reservation_queue")
                    .table("reservation")
                    .col("sku")
                    .col("state")
                    .col("priority")
                    .col("created_at")
                    .col("id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("stock_movement")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(string("sku"))
                    .col(string("warehouse"))
                    .col(string("kind"))
                    .col(big_integer("on_hand_delta"))
                    .col(big_integer("reserved_delta"))
                    .col(string("reference"))
                    .col(text("reason"))
                    .col(big_integer("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("stock_movement_sku")
                    .table("stock_movement")
                    .col("sku")
                    .col("created_at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["stock_movement", "reservation", "stock_level", "product"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
