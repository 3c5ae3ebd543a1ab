//! Between the wire and the domain: requests parsed into commands (with
//! precise field violations), the domain's values as answers and as the
//! messages sent to peers, and peers' records as timeline entries.

pub mod changes;
pub mod delays;
pub mod requests;
pub mod timeline;
pub mod views;

pub use requests::OrderQuery;
