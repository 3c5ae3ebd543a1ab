//! Drop shipments: a line the supplier ships straight to the customer, and
//! the shipment recording that it did (no warehouse; the purchase order
//! the supplier shipped instead).
//!
//! Additive, with defaults, so pods of the previous version keep working
//! against the migrated tables while a rollout runs. Nothing is
//! backfilled: no line or shipment stored before was drop-shipped, which
//! is what the defaults say.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, string_null};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// One drop shipment per purchase order of an order: what makes a repeat
/// of the supplier's confirmation find the shipment it already made.
const PURCHASE_ORDER_INDEX: &str = "shipment_drop_purchase_order";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let columns = [
            (
                "order_line",
                "drop_ship",
                boolean("drop_ship").default(false).to_owned(),
            ),
            (
                "shipment",
                "drop_ship",
                boolean("drop_ship").default(false).to_owned(),
            ),
            (
                "shipment",
                "purchase_order_id",
                string_null("purchase_order_id"),
            ),
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
                "CREATE UNIQUE INDEX IF NOT EXISTS {PURCHASE_ORDER_INDEX} \
                 ON shipment (order_id, purchase_order_id) WHERE purchase_order_id IS NOT NULL"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP INDEX IF EXISTS {PURCHASE_ORDER_INDEX}"))
            .await?;
        for (table, name) in [
            ("shipment", "purchase_order_id"),
            ("shipment", "drop_ship"),
            ("order_line", "drop_ship"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(name).to_owned())
                .await?;
        }
        Ok(())
    }
}
