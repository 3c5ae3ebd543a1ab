//! The notification service started in-process on port 0, with a fresh
//! database (PostgreSQL when `BACKORDER_TEST_DATABASE_URL` is set).

mod concurrency;
mod helpers;
// The webhook receiver the unit tests use, shared rather than copied.
#[path = "../../src/test_support/hook.rs"]
mod hook;
mod privacy;
mod shutdown;
mod webhook;
