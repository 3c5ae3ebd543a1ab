//! Queries over order's tables, by concern; callers own transaction
//! boundaries (a unit of work's `db()` or the context's pool for reads).
//! Ids cross this boundary as [`uuid::Uuid`] and rows leave it as the
//! domain's types.

mod delays;
mod events;
mod lines;
mod lost_sales;
mod orders;
mod parts;
mod payments;
mod shipments;
mod stats;

pub use delays::{due_offers, offer_of, offers_of_orders, save_offer, settle_offer};
pub use events::{events_of, record, record_all};
pub use lines::{lines_of, lines_of_orders, set_line_item, update_line, update_lines};
pub use lost_sales::{LostSalesRow, lost_sales, record_lost_sale, refused_totals};
pub use orders::{
    Deletion, PendingOrder, Placed, claim_attempt, delete_pending_order, due_pending_orders,
    find_order, find_order_by_request, insert_pending_order, list_orders, lock_order,
    set_order_status,
};
pub use parts::{insert_parts, replace_parts};
pub use payments::{
    PaymentRequest, claim_request, due_requests, insert_request, record_answer, record_retry,
    save_line_payment, set_unit_prices,
};
pub use shipments::{
    count_parcels, find_drop_shipment, find_shipment, insert_shipment, set_shipment_delivered,
    shipments_of_bundle, shipments_of_orders,
};
pub use stats::backorder_counts;
