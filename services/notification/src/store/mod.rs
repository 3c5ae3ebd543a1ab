//! Notification's tables (sea-orm entities), migrations and queries.

pub mod customer;
pub mod delivery;
pub mod m20261122_000400_create_notification_tables;
pub mod m20261215_000500_delivery_attempts;
pub mod notification;
pub mod queries;
pub mod webhook;

use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// Notification's migrations, platform tables first.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut migrations = backorder_platform::store::migrations();
        let own: Vec<Box<dyn MigrationTrait>> = vec![
            Box::new(m20261122_000400_create_notification_tables::Migration),
            Box::new(m20261215_000500_delivery_attempts::Migration),
        ];
        migrations.extend(own);
        migrations
    }
}
