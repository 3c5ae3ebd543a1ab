//! The outbox per destination: a lease row per destination (replicas take
//! turns), a partial index over the messages still due (the relay reads the
//! head of a queue without walking delivered or parked ones), and when an
//! operator dropped a parked message.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, string};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("outbox_lease")
                    .if_not_exists()
                    .col(string("destination").primary_key())
                    .col(string("owner"))
                    .col(big_integer("lease_until"))
                    .to_owned(),
            )
            .await?;
        if !manager.has_column("outbox", "dropped_at").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table("outbox")
                        .add_column(big_integer_null("dropped_at"))
                        .to_owned(),
                )
                .await?;
        }
        // The literal must match the relay's query for PostgreSQL to use it.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (destination, id) \
                 WHERE delivered_at IS NULL AND next_attempt_at < {}",
                i64::MAX
            ))
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS outbox_parked ON outbox (id) \
                 WHERE delivered_at IS NULL AND next_attempt_at = {}",
                i64::MAX
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS outbox_parked")
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS outbox_due")
            .await?;
        manager
            .drop_table(Table::drop().table("outbox_lease").to_owned())
            .await
    }
}
