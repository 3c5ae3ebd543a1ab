//! The latest date of a line's promise: a date estimated from a lead time
//! is a range, from `eta` to `eta_latest`. Nullable, so pods of the
//! previous version keep writing lines while this one rolls out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer_null;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.has_column("order_line", "eta_latest").await? {
            return Ok(());
        }
        manager
            .alter_table(
                Table::alter()
                    .table("order_line")
                    .add_column(big_integer_null("eta_latest"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("order_line")
                    .drop_column("eta_latest")
                    .to_owned(),
            )
            .await
    }
}
