//! Fulfilment choices of an order: a parcel limit for the up-to-n
//! shipments policy and the delivery address (which decides what may be
//! bundled), and the parcel a shipment shares with other orders' shipments.
//!
//! Additive only, with defaults, so pods of the previous version keep
//! working against the migrated tables while a rollout runs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, string, string_null};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

const BUNDLE_INDEX: &str = "shipment_bundle";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let columns = [
            (
                "customer_order",
                "max_shipments",
                integer("max_shipments").default(0).to_owned(),
            ),
            (
                "customer_order",
                "ship_to_address",
                string("ship_to_address").default("").to_owned(),
            ),
            ("shipment", "bundle_id", string_null("bundle_id")),
        ];
        for (table, name, mut column) in columns {
            if !manager.has_column(table, name).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table)
                            .add_column(&mut column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {BUNDLE_INDEX} ON shipment (bundle_id) \
                 WHERE bundle_id IS NOT NULL"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP INDEX IF EXISTS {BUNDLE_INDEX}"))
            .await?;
        for (table, name) in [
            ("shipment", "bundle_id"),
            ("customer_order", "ship_to_address"),
            ("customer_order", "max_shipments"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(name).to_owned())
                .await?;
        }
        Ok(())
    }
}
