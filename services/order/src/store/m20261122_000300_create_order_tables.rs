//! Orders, their lines, shipments and the order timeline.

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
                    .table("customer_order")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(string("request_id").unique_key())
                    .col(string("customer_id"))
                    .col(integer("status"))
                    .col(boolean("accept_backorders"))
                    .col(integer("ship_policy"))
                    .col(text_null("trace_context"))
                    .col(big_integer("created_at"))
                    .col(big_integer("updated_at"))
                    .to_owned(),
            )
            .await?;
        for (name, first) in [
            ("customer_order_customer", "customer_id"),
            ("customer_order_status", "status"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("customer_order")
                        .col(first)
                        .col("id")
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("order_line")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(string("order_id"))
                    .col(integer("line_no"))
                    .col(string("sku"))
                    .col(big_integer("quantity"))
                    .col(big_integer("reserved_quantity"))
                    .col(big_integer("backordered_quantity"))
                    .col(integer("status"))
                    .col(big_integer_null("eta"))
                    .col(string_null("purchase_order_id"))
                    .col(string_null("shipment_id"))
                    .col(big_integer("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("order_line_order")
                    .table("order_line")
                    .col("order_id")
                    .col("line_no")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("shipment")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(string("order_id"))
                    .col(string("tracking_number"))
                    .col(string("carrier"))
                    .col(integer("status"))
                    .col(big_integer("shipped_at"))
                    .col(big_integer_null("delivered_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shipment_order")
                    .table("shipment")
                    .col("order_id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("order_event")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(string("order_id"))
                    .col(string("line_id"))
                    .col(string("event"))
                    .col(text("detail"))
                    .col(big_integer("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("order_event_order")
                    .table("order_event")
                    .col("order_id")
                    .col("id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["order_event", "shipment", "order_line", "customer_order"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
