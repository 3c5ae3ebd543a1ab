//! Warehouses: where each line's ready units are (a line's units may sit
//! in several warehouses) and the warehouse each parcel left from.
//!
//! Additive, with defaults, so pods of the previous version keep working
//! against the migrated tables while a rollout runs: their parcels leave
//! from the default warehouse, and units they add without parts are read
//! as held there. The backfill states what earlier rows meant: everything
//! was in the default warehouse, a ready line holding all it has not
//! shipped, a backordered one the units reserved for it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

const ORDER_INDEX: &str = "order_line_stock_order";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("order_line_stock")
                    .if_not_exists()
                    .col(string("line_id"))
                    .col(string("warehouse"))
                    .col(string("order_id"))
                    .col(big_integer("quantity"))
                    .primary_key(Index::create().col("line_id").col("warehouse"))
                    .to_owned(),
            )
            .await?;
        if !manager.has_column("shipment", "warehouse").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table("shipment")
                        .add_column(string("warehouse").default("default"))
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        // Line statuses: 2 backordered, 3 ready. A ready line's count is
        // set from what it ordered and shipped, which rows written before
        // partial shipments did not keep, so its parts and its count agree.
        for statement in [
            format!("CREATE INDEX IF NOT EXISTS {ORDER_INDEX} ON order_line_stock (order_id)"),
            "UPDATE order_line SET ready_quantity = quantity - shipped_quantity \
             WHERE status = 3 AND ready_quantity <> quantity - shipped_quantity"
                .to_owned(),
            "INSERT INTO order_line_stock (line_id, warehouse, order_id, quantity) \
             SELECT id, 'default', order_id, ready_quantity FROM order_line \
             WHERE status IN (2, 3) AND ready_quantity > 0 \
             AND NOT EXISTS (SELECT 1 FROM order_line_stock s WHERE s.line_id = order_line.id)"
                .to_owned(),
        ] {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP INDEX IF EXISTS {ORDER_INDEX}"))
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table("order_line_stock")
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("shipment")
                    .drop_column("warehouse")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
