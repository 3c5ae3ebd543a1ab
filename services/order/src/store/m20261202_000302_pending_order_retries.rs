//! Pending orders carry what a retry and the sweeper need: the fingerprint
//! of the PlaceOrder that created them (a retry must match it exactly), and
//! their own attempt count and next-attempt time, so orders that keep
//! failing back off instead of starving the ones behind them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, integer, string_null};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "customer_order";
const INDEX: &str = "customer_order_pending_due";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let columns = [
            ("request_hash", string_null("request_hash")),
            ("attempts", integer("attempts").default(0).to_owned()),
            (
                "next_attempt_at",
                big_integer("next_attempt_at").default(0).to_owned(),
            ),
        ];
        for (name, mut column) in columns {
            if !manager.has_column(TABLE, name).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table(TABLE)
                            .add_column(&mut column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        // Status 1 is ORDER_STATUS_PENDING; only pending orders are swept.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} (next_attempt_at, id) \
                 WHERE status = 1"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP INDEX IF EXISTS {INDEX}"))
            .await?;
        for name in ["next_attempt_at", "attempts", "request_hash"] {
            manager
                .alter_table(Table::alter().table(TABLE).drop_column(name).to_owned())
                .await?;
        }
        Ok(())
    }
}
