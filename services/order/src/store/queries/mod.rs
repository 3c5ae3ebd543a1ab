//! Queries over order's tables, by concern; callers own transaction
//! boundaries (a unit of work's `db()` or the context's pool for reads).
//! Ids cross this boundary as [`uuid::Uuid`] and rows leave it as the
//! domain's types.

mod events;
mod lines;
mod lost_sales;
mod orders;
mod parts;
mod shipments;
mod stats;

pub use events::{events_of, record, record_all};
pub use lines::{lines_of, lines_of_orders, update_line, update_lines};
pub use lost_sales::{LostSalesRow, lost_sales, record_lost_sale, refused_totals};
pub use orders::{
    Deletion, PendingOrder, Placed, claim_attempt, delete_pending_order, due_pending_orders,
    find_order, find_order_by_request, insert_pending_order, list_orders, lock_order,
    set_order_status,
};
pub use parts::{insert_parts, replace_parts};
pub use shipments::{
    count_parcels, find_drop_shipment, find_shipment, insert_shipment, set_shipment_delivered,
    shipments_of_bundle, shipments_of_orders,
};
pub use stats::backorder_counts;
