//! The notification service started in-process on port 0, with a fresh
//! database (PostgreSQL when `BACKORDER_TEST_DATABASE_URL` is set).

mod concurrency;
mod helpers;
mod privacy;
mod shutdown;
