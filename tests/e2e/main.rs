//! End-to-end tests: the four services as real processes over real gRPC.

mod bad_input;
mod concurrency;
mod fixtures;
mod lifecycle;
mod operations;
mod resilience;
mod tracing;
