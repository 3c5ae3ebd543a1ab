//! End-to-end tests: the four services over real gRPC, in-process on ports
//! the OS chose, or as processes where the test is about processes.

mod access;
mod bad_input;
mod charging;
mod concurrency;
mod delays;
mod drop_ship;
mod faults;
mod fixtures;
mod fulfilment;
mod invariants;
mod lifecycle;
mod limits;
mod line_changes;
mod malformed;
mod measures;
mod metrics;
mod operations;
mod paging;
mod promises;
mod races;
mod resilience;
mod tracing;
mod warehouses;
