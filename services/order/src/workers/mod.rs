//! Background work, each worker registered with the service so it starts
//! after migrations and stops when the service stops.

pub mod delay_rules;
pub mod gauges;
pub mod payments;
pub mod pending_sweeper;
