//! Inventory over real gRPC: the service built in-process on port 0 against
//! a fresh database (PostgreSQL when BACKORDER_TEST_DATABASE_URL is set,
//! SQLite otherwise). Races are staged on PostgreSQL by holding a SKU's
//! stock row locked until every racer is queued behind it.

mod changes;
mod codes;
mod drop_ship;
mod limits;
mod messages;
mod migrations;
mod planning;
mod promises;
mod quantities;
mod shipments;
mod support;
mod twins;
mod warehouses;
