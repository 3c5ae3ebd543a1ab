//! Replenishment: a policy per SKU, demand raised by procurement itself
//! (on no order line) with at most one open per SKU, when that demand's
//! units arrived, and each supplier's submission schedule. Everything
//! stored before is order-line demand and suppliers without a schedule
//! (the new columns default to that), so nothing is backfilled.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, boolean, double, integer, string};

use super::m20261204_000202_drop_ship::add_column;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The partial-index predicate of an open replenishment demand, written
/// once: the conflict target of the guarded insert repeats it literally
/// (SQLite matches a partial index's conflict target only by its exact
/// terms).
pub const OPEN_REPLENISHMENT: &str =
    "replenishment = TRUE AND released = FALSE AND received_at IS NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            "supplier",
            integer("auto_submit_hours").default(0).to_owned(),
        )
        .await?;
        add_column(
            manager,
            "demand",
            boolean("replenishment").default(false).to_owned(),
        )
        .await?;
        add_column(manager, "demand", big_integer_null("received_at")).await?;
        manager
            .create_table(
                Table::create()
                    .table("replenishment_policy")
                    .if_not_exists()
                    .col(string("sku").primary_key())
                    .col(boolean("enabled"))
                    .col(double("service_level_percent"))
                    .col(integer("history_days"))
                    .col(big_integer("updated_at"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // However many replicas run the worker, a SKU has one open
        // replenishment demand: a racing second insert finds this entry
        // and does nothing.
        db.execute_unprepared(&format!(
            "CREATE UNIQUE INDEX IF NOT EXISTS demand_one_open_replenishment \
             ON demand (sku) WHERE {OPEN_REPLENISHMENT}"
        ))
        .await?;
        // What is on order of some SKUs: their lines, wherever they are.
        manager
            .create_index(
                Index::create()
                    .name("purchase_order_line_by_sku")
                    .table("purchase_order_line")
                    .col("sku")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for index in [
            "demand_one_open_replenishment",
            "purchase_order_line_by_sku",
        ] {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {index}"))
                .await?;
        }
        manager
            .drop_table(
                Table::drop()
                    .table("replenishment_policy")
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        // Without its flag, replenishment demand would read as demand of an
        // order line with no order, and ETAs would be sent for it: it goes.
        // The purchase order lines keep its units, ordered as stock.
        db.execute_unprepared("DELETE FROM demand WHERE replenishment = TRUE")
            .await?;
        for (table, column) in [
            ("demand", "received_at"),
            ("demand", "replenishment"),
            ("supplier", "auto_submit_hours"),
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
