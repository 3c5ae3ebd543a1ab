//! Inventory's tables (sea-orm entities), migrations and queries.

pub mod m20261122_000100_create_inventory_tables;
pub mod m20261122_000101_add_priority_reason;
pub mod m20261201_000102_index_queue_in_allocation_order;
pub mod m20261203_000103_backlog_counters;
pub mod m20261204_000104_warehouses;
pub mod m20261204_000105_drop_ship;
pub mod m20261205_000106_prices_and_demand_history;
pub mod m20261216_000107_promises;
pub mod m20261217_000108_reservation_history;
pub mod product;
pub mod queries;
pub mod reservation;
pub mod reservation_part;
pub mod stock_level;
pub mod stock_movement;
pub mod warehouse;

use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// Inventory's migrations, platform tables first.
pub struct Migrator;

/// Indexes built without blocking writes once the migrations are done
/// (the reservation table grows with every sale).
pub const INDEXES: &[backorder_platform::db::ConcurrentIndex] = &[
    // Replenishment reads a SKU's demand per day since a date
    // (`queries::history::daily_demand`); the queue index leads with the
    // SKU but then the state, so it would scan every reservation of it.
    backorder_platform::db::ConcurrentIndex {
        name: "reservation_demand_history",
        table: "reservation",
        columns: &["sku", "created_at"],
    },
];

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut migrations = backorder_platform::store::migrations();
        let own: Vec<Box<dyn MigrationTrait>> = vec![
            Box::new(m20261122_000100_create_inventory_tables::Migration),
            Box::new(m20261122_000101_add_priority_reason::Migration),
            Box::new(m20261201_000102_index_queue_in_allocation_order::Migration),
            Box::new(m20261203_000103_backlog_counters::Migration),
            Box::new(m20261204_000104_warehouses::Migration),
            Box::new(m20261204_000105_drop_ship::Migration),
            Box::new(m20261205_000106_prices_and_demand_history::Migration),
            Box::new(m20261216_000107_promises::Migration),
            Box::new(m20261217_000108_reservation_history::Migration),
        ];
        migrations.extend(own);
        migrations
    }
}
