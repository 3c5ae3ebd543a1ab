//! The order service's integration tests, in one binary: handlers on a
//! fresh database with faked peers, and the whole service in-process.

mod changes;
mod config;
mod delays;
mod drop_ship;
mod fake_peers;
mod helpers;
mod lifecycle;
mod migrations;
mod notices;
mod payment_replicas;
mod placement;
mod races;
mod stored_data;
mod sweeper;
mod warehouses;
