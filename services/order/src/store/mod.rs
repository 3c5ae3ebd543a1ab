//! Order's tables (sea-orm entities), migrations and queries.

pub mod customer_order;
pub mod m20261122_000300_create_order_tables;
pub mod m20261122_000301_index_orders_by_time;
pub mod order_event;
pub mod order_line;
pub mod queries;
pub mod shipment;

use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// Order's migrations, platform tables first.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(backorder_platform::store::m20261122_000001_create_platform_tables::Migration),
            Box::new(m20261122_000300_create_order_tables::Migration),
            Box::new(m20261122_000301_index_orders_by_time::Migration),
        ]
    }
}
