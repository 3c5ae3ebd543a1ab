//! Procurement's tables (sea-orm entities), migrations and queries.

mod address;
pub mod demand;
pub mod m20261122_000200_create_procurement_tables;
pub mod m20261122_000201_add_received_at;
pub mod m20261204_000202_drop_ship;
pub mod m20261205_000203_replenishment;
pub mod m20261205_000204_delays;
pub mod m20261216_000205_inbound_revisions;
pub mod purchase_order;
pub mod purchase_order_line;
pub mod queries;
pub mod replenishment_policy;
pub mod supplier;
pub mod supplier_item;

use sea_orm::DbErr;
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use uuid::Uuid;

pub use address::Address;

/// Procurement's migrations, platform tables first.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut migrations = backorder_platform::store::migrations();
        let own: Vec<Box<dyn MigrationTrait>> = vec![
            Box::new(m20261122_000200_create_procurement_tables::Migration),
            Box::new(m20261122_000201_add_received_at::Migration),
            Box::new(m20261204_000202_drop_ship::Migration),
            Box::new(m20261205_000203_replenishment::Migration),
            Box::new(m20261205_000204_delays::Migration),
            Box::new(m20261216_000205_inbound_revisions::Migration),
        ];
        migrations.extend(own);
        migrations
    }
}

/// An id read back from a row, as the UUID it was stored as; a row that
/// holds anything else is corrupt, which callers report as an internal
/// error rather than act on.
pub fn stored_id(value: &str) -> Result<Uuid, DbErr> {
    Uuid::try_parse(value).map_err(|_| DbErr::Custom(format!("stored id {value:?} is not a UUID")))
}
