//! Between the wire and the rules: requests parsed into domain commands
//! (every bad field named at once), stored rows turned into replies.

mod requests;
mod responses;

pub use requests::parse_id;
pub use responses::{
    demand, item, line, purchase_order, purchase_orders, status, supplier, suppliers,
};
