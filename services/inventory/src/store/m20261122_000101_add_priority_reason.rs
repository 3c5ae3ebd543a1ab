//! The reason a waiting line was given its priority, kept with the line so
//! the queue order can be explained from the reservation alone.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("reservation")
                    .add_column(text("priority_reason").default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("reservation")
                    .drop_column("priority_reason")
                    .to_owned(),
            )
            .await
    }
}
