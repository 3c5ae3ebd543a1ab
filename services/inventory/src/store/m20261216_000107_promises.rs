//! Promises: each product keeps its inbound supply as procurement last
//! reported it (a revision, its open purchase-order lots and its preferred
//! supplier's lead time), and each waiting line the dates it was promised.
//! Every column is new and nullable or defaulted, so pods of the previous
//! version keep working while this one rolls out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, integer_null, string_null, text};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            (
                "product",
                big_integer("inbound_revision").default(0).to_owned(),
            ),
            ("product", text("inbound_lots").default("[]").to_owned()),
            ("product", integer_null("lead_time_days").to_owned()),
            ("reservation", big_integer_null("promised_from").to_owned()),
            ("reservation", big_integer_null("promised_to").to_owned()),
            ("reservation", string_null("promised_po").to_owned()),
        ];
        for (table, mut column) in columns {
            let name = column.get_column_name();
            if manager.has_column(table, &name).await? {
                continue;
            }
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            ("reservation", "promised_po"),
            ("reservation", "promised_to"),
            ("reservation", "promised_from"),
            ("product", "lead_time_days"),
            ("product", "inbound_lots"),
            ("product", "inbound_revision"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
