//! Drop-ship: offers that ship straight to customers, demand that does,
//! and purchase orders addressed to one customer order. Everything stored
//! before is stock (the new flags default to false), so nothing is
//! backfilled; only the one-draft rule changes: it now counts stock drafts,
//! and a supplier's drop-ship drafts are one per customer order.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer_null, boolean, string_null, text_null};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Partial-index predicates, written once: the conflict targets of the
/// draft inserts repeat them literally (SQLite matches a partial index's
/// conflict target only by its exact terms).
pub const STOCK_DRAFT: &str = "status = 1 AND drop_ship = FALSE";
/// See [`STOCK_DRAFT`].
pub const DROP_SHIP_DRAFT: &str = "status = 1 AND drop_ship = TRUE";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let flag = |name: &'static str| boolean(name).default(false).to_owned();
        add_column(manager, "supplier_item", flag("drop_ship")).await?;
        add_column(manager, "demand", flag("drop_ship")).await?;
        add_column(manager, "demand", text_null("ship_to_address")).await?;
        add_column(manager, "demand", big_integer_null("shipped_at")).await?;
        add_column(manager, "purchase_order", flag("drop_ship")).await?;
        add_column(manager, "purchase_order", string_null("order_id")).await?;
        add_column(manager, "purchase_order", text_null("ship_to_address")).await?;
        add_column(manager, "purchase_order", text_null("carrier")).await?;
        add_column(manager, "purchase_order", text_null("tracking_number")).await?;

        // The new rule first, then the old one goes: a supplier is never
        // without a one-draft rule, even where DDL is not transactional.
        // Every row stored so far is stock, so the old rule's data already
        // satisfies the new one.
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE UNIQUE INDEX IF NOT EXISTS purchase_order_one_stock_draft \
             ON purchase_order (supplier_id) WHERE {STOCK_DRAFT}"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE UNIQUE INDEX IF NOT EXISTS purchase_order_one_drop_ship_draft \
             ON purchase_order (supplier_id, order_id) WHERE {DROP_SHIP_DRAFT}"
        ))
        .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS purchase_order_one_draft")
            .await?;
        // The drop-ship purchase orders of one customer order.
        manager
            .create_index(
                Index::create()
                    .name("purchase_order_order")
                    .table("purchase_order")
                    .col("order_id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Nothing is deleted: while a supplier has a stock draft and a
        // drop-ship draft open at once the old rule cannot hold, and this
        // fails on it; submit or cancel one of them first.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX IF NOT EXISTS purchase_order_one_draft \
             ON purchase_order (supplier_id) WHERE status = 1",
        )
        .await?;
        for index in [
            "purchase_order_one_stock_draft",
            "purchase_order_one_drop_ship_draft",
            "purchase_order_order",
        ] {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {index}"))
                .await?;
        }
        for (table, column) in [
            ("purchase_order", "tracking_number"),
            ("purchase_order", "carrier"),
            ("purchase_order", "ship_to_address"),
            ("purchase_order", "order_id"),
            ("purchase_order", "drop_ship"),
            ("demand", "shipped_at"),
            ("demand", "ship_to_address"),
            ("demand", "drop_ship"),
            ("supplier_item", "drop_ship"),
        ] {
            if manager.has_column(table, column).await? {
                manager
                    .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                    .await?;
            }
        }
        Ok(())
    }
}

/// Adds `column` to `table` unless it is there: SQLite runs each statement
/// of a migration on its own, so a migration stopped half-way is run again
/// over the columns it already added.
pub(crate) async fn add_column(
    manager: &SchemaManager<'_>,
    table: &'static str,
    column: ColumnDef,
) -> Result<(), DbErr> {
    if manager.has_column(table, column.get_column_name()).await? {
        return Ok(());
    }
    manager
        .alter_table(Table::alter().table(table).add_column(column).to_owned())
        .await
}
