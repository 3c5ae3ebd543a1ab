//! When a purchase order was fully received, for supplier performance
//! (time to receive, on-time rate).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer_null;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("purchase_order")
                    .add_column(big_integer_null("received_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("purchase_order")
                    .drop_column("received_at")
                    .to_owned(),
            )
            .await
    }
}
