//! Creates the outbox and the idempotency records. Every service's migrator
//! lists this migration first.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, blob, integer, string, string_null, text, text_null,
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
                    .table("outbox")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(string("destination"))
                    .col(string("method"))
                    .col(blob("payload"))
                    .col(text_null("trace_context"))
                    .col(integer("attempts"))
                    .col(big_integer("next_attempt_at"))
                    .col(big_integer_null("lease_until"))
                    .col(string_null("lease_owner"))
                    .col(big_integer_null("delivered_at"))
                    .col(text_null("last_error"))
                    .col(big_integer("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_pending")
                    .table("outbox")
                    .col("delivered_at")
                    .col("next_attempt_at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_destination_order")
                    .table("outbox")
                    .col("destination")
                    .col("id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("idempotency_record")
                    .if_not_exists()
                    .col(string("request_id").primary_key())
                    .col(string("method"))
                    .col(string("request_hash"))
                    .col(blob("response"))
                    .col(text("resource_id"))
                    .col(big_integer("created_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("idempotency_record").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("outbox").to_owned())
            .await
    }
}
