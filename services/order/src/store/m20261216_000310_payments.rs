//! Charging: each line's unit price from the sale and its payment summary
//! (columns on `order_line`, written with the line), and `payment_request`,
//! the queue of requests to the merchant's payment endpoint, each written
//! in the transaction of the change that needs it.
//!
//! Additive, with defaults, so pods of the previous version keep working
//! against the migrated tables while a rollout runs. Nothing is
//! backfilled: lines sold before have no price and are never charged.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, integer, integer_null, string, string_null,
};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// What the payment worker reads: requests still unanswered, by when due.
const DUE_INDEX: &str = "payment_request_due";
/// A line's requests, for operators and tests.
const LINE_INDEX: &str = "payment_request_by_line";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let columns = [
            (
                "unit_price_minor",
                big_integer("unit_price_minor").default(0).to_owned(),
            ),
            ("charge_at", integer_null("charge_at")),
            ("payment_state", integer_null("payment_state")),
            (
                "payment_amount_minor",
                big_integer_null("payment_amount_minor"),
            ),
            ("payment_reference", string_null("payment_reference")),
            ("payment_updated_at", big_integer_null("payment_updated_at")),
        ];
        for (name, mut column) in columns {
            if !manager.has_column("order_line", name).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table("order_line")
                            .add_column(&mut column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        manager
            .create_table(
                Table::create()
                    .table("payment_request")
                    .if_not_exists()
                    .col(string("id").primary_key())
                    .col(string("order_id"))
                    .col(string("line_id"))
                    .col(integer("action"))
                    .col(big_integer("amount_minor"))
                    .col(string("prior_reference").default(""))
                    .col(integer("state"))
                    .col(integer("attempts").default(0))
                    .col(big_integer_null("next_attempt_at"))
                    .col(string_null("last_error"))
                    .col(string_null("reference"))
                    .col(string_null("trace_context"))
                    .col(big_integer("created_at"))
                    .col(big_integer("updated_at"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {DUE_INDEX} ON payment_request (next_attempt_at) \
             WHERE next_attempt_at IS NOT NULL"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {LINE_INDEX} ON payment_request (line_id, created_at)"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("payment_request").to_owned())
            .await?;
        for name in [
            "payment_updated_at",
            "payment_reference",
            "payment_amount_minor",
            "payment_state",
            "charge_at",
            "unit_price_minor",
        ] {
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
