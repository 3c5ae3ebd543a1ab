//! Deliveries that are retried: how many attempts were made and when the
//! next one is due (the merchant's webhook, see
//! [`crate::domain::webhook`]).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer_null, integer};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        if !manager.has_column("delivery", "attempts").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table("delivery")
                        .add_column(integer("attempts").default(0))
                        .to_owned(),
                )
                .await?;
        }
        if !manager.has_column("delivery", "next_attempt_at").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table("delivery")
                        .add_column(big_integer_null("next_attempt_at"))
                        .to_owned(),
                )
                .await?;
        }
        // The webhook worker's scan: a channel's pending deliveries by when
        // they are due. Customer channels leave `next_attempt_at` unset.
        manager
            .create_index(
                Index::create()
                    .name("delivery_due")
                    .table("delivery")
                    .col("channel")
                    .col("status")
                    .col("next_attempt_at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("delivery_due")
                    .table("delivery")
                    .to_owned(),
            )
            .await?;
        for column in ["next_attempt_at", "attempts"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("delivery")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
