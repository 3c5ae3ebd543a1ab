//! Delays: the date a purchase order still open past its expected date is
//! now expected by. Nothing stored before is marked: the worker finds the
//! late ones on its first pass.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer_null;

use super::m20261204_000202_drop_ship::add_column;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The partial-index predicate of a purchase order that can be late
/// (submitted, acknowledged or partially received), written once: the
/// worker's query repeats it literally, as SQLite uses a partial index only
/// for a query that names its terms.
pub const MAY_BE_LATE: &str = "status IN (2, 3, 4)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(manager, "purchase_order", big_integer_null("delayed_until")).await?;
        // The worker pages through open purchase orders by id on every
        // pass; they are few beside the received and cancelled history.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS purchase_order_may_be_late \
                 ON purchase_order (id) WHERE {MAY_BE_LATE}"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS purchase_order_may_be_late")
            .await?;
        if manager
            .has_column("purchase_order", "delayed_until")
            .await?
        {
            manager
                .alter_table(
                    Table::alter()
                        .table("purchase_order")
                        .drop_column("delayed_until")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
