//! Background work, registered with the service so it starts after
//! migrations and stops when the service stops.

pub mod replenisher;
