//! Customers, notifications and their deliveries.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, integer, string, text, text_null};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("customer")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(text("name"))
                    .col(text("email"))
                    .col(string("phone"))
                    .col(text("push_token"))
                    .col(string("channels"))
                    .col(big_integer("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("notification")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(string("customer_id"))
                    .col(string("order_id"))
                    .col(string("line_id"))
                    .col(integer("event"))
                    .col(text("message"))
                    .col(big_integer("created_at"))
                    .to_owned(),
            )
            .await?;
        // A customer's or an order's notifications in id (event time) order:
        // one page reads one index range.
        manager
            .create_index(
                Index::create()
                    .name("notification_customer")
                    .table("notification")
                    .col("customer_id")
                    .col("id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notification_order")
                    .table("notification")
                    .col("order_id")
                    .col("id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("delivery")
                    .if_not_exists()
                    .col(string("notification_id"))
                    .col(integer("channel"))
                    .col(integer("status"))
                    .col(text_null("error"))
                    .col(big_integer_null("sent_at"))
                    .col(big_integer("attempted_at"))
                    .primary_key(Index::create().col("notification_id").col("channel"))
                    .to_owned(),
            )
            .await?;
        // The resender's scan: pending deliveries by last attempt.
        manager
            .create_index(
                Index::create()
                    .name("delivery_status_attempt")
                    .table("delivery")
                    .col("status")
                    .col("attempted_at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["delivery", "notification", "customer"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
