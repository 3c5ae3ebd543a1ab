//! Tables every service has: the outbox and the idempotency records.

pub mod idempotency_record;
pub mod m20261122_000001_create_platform_tables;
pub mod outbox_message;
