//! Between the wire and the rules: requests parsed into domain commands
//! (every bad field named at once), stored rows turned into replies.

mod reduction;
mod replenishment;
mod requests;
mod responses;

pub use replenishment::{PlanContext, plan, plan_sku, policy};
pub use requests::parse_id;
pub use responses::{
    demand, item, line, purchase_order, purchase_orders, status, supplier, suppliers,
};
