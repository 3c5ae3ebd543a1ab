//! Procurement's integration tests, in one binary: the handlers against a
//! fresh database (PostgreSQL when `BACKORDER_TEST_DATABASE_URL` is set,
//! SQLite otherwise) and the service started in-process.

mod fake_inventory;
mod helpers;

mod api;
mod delays;
mod drop_ship;
mod drop_shipments;
mod inbound;
mod limits;
mod migrations;
mod races;
mod reduction;
mod replenisher;
mod replenishment;
mod schedule;
mod service;
mod statuses;
mod tombstone;
mod traces;
