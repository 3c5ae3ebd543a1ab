//! Tables every service has: the outbox (with its per-destination leases)
//! and the idempotency records.

pub mod idempotency_record;
pub mod m20261122_000001_create_platform_tables;
pub mod m20261201_000002_outbox_per_destination;
pub mod outbox_lease;
pub mod outbox_message;

use sea_orm_migration::MigrationTrait;

/// The platform's migrations, in order; every service's migrator lists
/// them before its own.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261122_000001_create_platform_tables::Migration),
        Box::new(m20261201_000002_outbox_per_destination::Migration),
    ]
}
