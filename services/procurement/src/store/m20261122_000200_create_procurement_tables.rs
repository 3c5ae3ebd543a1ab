//! Suppliers, their offers, purchase orders with their lines, and demand.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, integer, string, string_null, text, text_null,
};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("supplier")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(text("name"))
                    .col(integer("lead_time_days"))
                    .col(big_integer("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("supplier_item")
                    .if_not_exists()
                    .col(string("supplier_id"))
                    .col(string("sku"))
                    .col(big_integer("unit_cost_minor"))
                    .col(big_integer("minimum_order_quantity"))
                    .col(big_integer("case_pack"))
                    .col(boolean("preferred"))
                    .col(big_integer("updated_at"))
                    .primary_key(Index::create().col("supplier_id").col("sku"))
                    .to_owned(),
            )
            .await?;
        // Sourcing reads every offer of one SKU.
        manager
            .create_index(
                Index::create()
                    .name("supplier_item_sku")
                    .table("supplier_item")
                    .col("sku")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("purchase_order")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(string("supplier_id"))
                    .col(integer("status"))
                    .col(big_integer_null("promised_at"))
                    .col(big_integer_null("submitted_at"))
                    .col(big_integer("created_at"))
                    .col(big_integer("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("purchase_order_supplier")
                    .table("purchase_order")
                    .col("supplier_id")
                    .col("id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // One open draft per supplier: a racing second draft fails with a
        // unique violation (ABORTED), and its sender retries into the first.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX IF NOT EXISTS purchase_order_one_draft \
                 ON purchase_order (supplier_id) WHERE status = 1",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("purchase_order_line")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(string("purchase_order_id"))
                    .col(string("sku"))
                    .col(big_integer("demand_quantity"))
                    .col(big_integer("ordered_quantity"))
                    .col(big_integer("received_quantity"))
                    .col(big_integer("unit_cost_minor"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("purchase_order_line_sku")
                    .table("purchase_order_line")
                    .col("purchase_order_id")
                    .col("sku")
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("demand")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(string("sku"))
                    .col(big_integer("quantity"))
                    .col(string("order_id"))
                    .col(string("line_id"))
                    .col(string_null("purchase_order_id"))
                    .col(big_integer_null("eta"))
                    .col(boolean("released"))
                    .col(text_null("trace_context"))
                    .col(big_integer("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("demand_order")
                    .table("demand")
                    .col("order_id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // The demand a purchase order carries (acknowledge, receive, cancel).
        manager
            .create_index(
                Index::create()
                    .name("demand_purchase_order")
                    .table("demand")
                    .col("purchase_order_id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // Unsourced demand of a SKU, picked up when a supplier offers it.
        manager
            .create_index(
                Index::create()
                    .name("demand_sku")
                    .table("demand")
                    .col("sku")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "demand",
            "purchase_order_line",
            "purchase_order",
            "supplier_item",
            "supplier",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
