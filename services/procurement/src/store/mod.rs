//! Procurement's tables (sea-orm entities), migrations and queries.

pub mod demand;
pub mod m20261122_000200_create_procurement_tables;
pub mod m20261122_000201_add_received_at;
pub mod purchase_order;
pub mod purchase_order_line;
pub mod queries;
pub mod supplier;
pub mod supplier_item;

use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// Procurement's migrations, platform tables first.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(backorder_platform::store::m20261122_000001_create_platform_tables::Migration),
            Box::new(m20261122_000200_create_procurement_tables::Migration),
            Box::new(m20261122_000201_add_received_at::Migration),
        ]
    }
}
