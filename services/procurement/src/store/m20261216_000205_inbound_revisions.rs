//! One row per SKU whose inbound supply was reported to inventory, with the
//! revision of the last report. Taking the row (an upsert that bumps the
//! revision) serialises two reports of one SKU, so the later revision
//! always describes the later purchase orders.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("inbound_revision")
                    .if_not_exists()
                    .col(string("sku").primary_key())
                    .col(big_integer("revision"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("inbound_revision").to_owned())
            .await
    }
}
