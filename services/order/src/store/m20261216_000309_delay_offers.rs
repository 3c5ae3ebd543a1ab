//! `delay_offer`: the latest delay offered on each line, keyed by line, and
//! the index the delay-rule worker reads (open offers by deadline). A new
//! table only, so pods of the previous version are unaffected while a
//! rollout runs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, integer, integer_null, string};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// What the delay-rule worker reads: offers by state, then deadline.
const DUE_INDEX: &str = "delay_offer_due";
/// An order's offers, read with its lines.
const ORDER_INDEX: &str = "delay_offer_by_order";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("delay_offer")
                    .if_not_exists()
                    .col(string("line_id").primary_key())
                    .col(string("order_id"))
                    .col(big_integer("previous_eta"))
                    .col(big_integer("new_eta"))
                    .col(big_integer("new_eta_latest"))
                    .col(big_integer("offered_at"))
                    .col(big_integer("answer_by"))
                    .col(integer("state"))
                    .col(integer_null("answer"))
                    .col(big_integer_null("answered_at"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {DUE_INDEX} ON delay_offer (state, answer_by)"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {ORDER_INDEX} ON delay_offer (order_id)"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("delay_offer").to_owned())
            .await
    }
}
