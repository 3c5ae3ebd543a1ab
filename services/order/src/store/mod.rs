//! Order's tables (sea-orm entities), migrations, queries, and the reading
//! of stored rows into the domain's types.

pub mod customer_order;
pub mod delay_offer;
pub mod lost_sales;
pub mod m20261122_000300_create_order_tables;
pub mod m20261122_000301_index_orders_by_time;
pub mod m20261202_000302_pending_order_retries;
pub mod m20261203_000303_fulfilment_choices;
pub mod m20261203_000304_partial_shipments;
pub mod m20261204_000305_warehouses;
pub mod m20261204_000306_drop_ship;
pub mod m20261205_000307_lost_sales;
pub mod m20261216_000308_promises;
pub mod m20261216_000309_delay_offers;
pub mod m20261216_000310_payments;
pub mod order_event;
pub mod order_line;
pub mod order_line_stock;
pub mod payment_request;
pub mod queries;
pub mod rows;
pub mod shipment;
pub mod shipment_item;

use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// Order's migrations, platform tables first.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut migrations = backorder_platform::store::migrations();
        let own: Vec<Box<dyn MigrationTrait>> = vec![
            Box::new(m20261122_000300_create_order_tables::Migration),
            Box::new(m20261122_000301_index_orders_by_time::Migration),
            Box::new(m20261202_000302_pending_order_retries::Migration),
            Box::new(m20261203_000303_fulfilment_choices::Migration),
            Box::new(m20261203_000304_partial_shipments::Migration),
            Box::new(m20261204_000305_warehouses::Migration),
            Box::new(m20261204_000306_drop_ship::Migration),
            Box::new(m20261205_000307_lost_sales::Migration),
            Box::new(m20261216_000308_promises::Migration),
            Box::new(m20261216_000309_delay_offers::Migration),
            Box::new(m20261216_000310_payments::Migration),
        ];
        migrations.extend(own);
        migrations
    }
}
