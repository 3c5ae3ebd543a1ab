//! Background work, each worker registered with the service so it starts
//! after migrations and stops when the service stops.

pub mod gauges;
pub mod pending_sweeper;
