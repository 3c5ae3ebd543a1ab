//! Partial shipments: a line counts the units it shipped and the units
//! reserved for it that may ship now, and each shipment lists the units of
//! each line it carried (a line may now leave in several parcels).
//!
//! Additive, with defaults and a backfill that states what earlier rows
//! meant: a ready line could ship all it ordered, a backordered one what
//! was reserved at placement, a shipped or delivered one shipped it all;
//! every earlier shipment carried the whole of its lines.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["shipped_quantity", "ready_quantity"] {
            if !manager.has_column("order_line", name).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table("order_line")
                            .add_column(big_integer(name).default(0))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        manager
            .create_table(
                Table::create()
                    .table("shipment_item")
                    .if_not_exists()
                    .col(string("shipment_id"))
                    .col(string("line_id"))
                    .col(string("order_id"))
                    .col(big_integer("quantity"))
                    .primary_key(Index::create().col("shipment_id").col("line_id"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // Line statuses: 2 backordered, 3 ready, 4 shipped, 5 delivered.
        for statement in [
            "UPDATE order_line SET ready_quantity = quantity WHERE status = 3",
            "UPDATE order_line SET ready_quantity = reserved_quantity WHERE status = 2",
            "UPDATE order_line SET shipped_quantity = quantity WHERE status IN (4, 5)",
            "INSERT INTO shipment_item (shipment_id, line_id, order_id, quantity) \
             SELECT shipment_id, id, order_id, quantity FROM order_line \
             WHERE shipment_id IS NOT NULL AND status IN (4, 5) \
             AND NOT EXISTS (SELECT 1 FROM shipment_item i \
               WHERE i.shipment_id = order_line.shipment_id AND i.line_id = order_line.id)",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("shipment_item").if_exists().to_owned())
            .await?;
        for name in ["ready_quantity", "shipped_quantity"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("order_line")
                        .drop_column(name)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
