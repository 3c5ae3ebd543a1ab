//! Products procurement drop-ships: a short line of one goes to the
//! supplier instead of waiting in the queue. Existing products are not.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::boolean;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !manager.has_column("product", "drop_ship").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table("product")
                        .add_column(boolean("drop_ship").default(false))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("product")
                    .drop_column("drop_ship")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
