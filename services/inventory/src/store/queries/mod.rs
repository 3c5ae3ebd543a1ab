//! Queries over inventory's tables. Each takes a connection or transaction;
//! the unit of work owns transaction boundaries. Rows come back as domain
//! values, so a corrupt stored code is refused here, once.
//!
//! Writes that change quantities or states are guarded: they name the row as
//! it was read and fail with `ABORTED` when it is no longer so. Callers hold
//! the SKU's stock lock, under which the guard always holds; it turns a
//! missed lock into a retry instead of a lost update.

mod backlog;
mod history;
mod ledger;
mod parts;
mod products;
mod promises;
mod queue;
mod reservations;
mod stock;
mod warehouses;

use backorder_platform::ServiceError;

pub use backlog::{
    BacklogRow, BacklogTotals, backlog, backlog_query, backlog_totals, backlog_value,
    oldest_waiting_query, stock_totals_query,
};
pub use history::daily_demand;
pub use ledger::{Movement, record_movement, record_movements};
pub use parts::{add_to_parts, clear_parts, insert_parts, parts_of, set_part};
pub use products::{
    find_product, find_products, insert_product, list_products, lock_products, set_drop_ship,
};
pub use promises::{
    PromisedLine, insert_promised, promised_queue, promises_of, set_promise, set_supply,
};
pub use queue::{QueueKey, queue_query, waiting_queue};
pub use reservations::{
    find_reservation, find_reservations, insert_reservations, order_query, reservations_of_order,
    resize_reservation, update_reservation, update_reservation_priority,
};
pub use stock::{find_stock, find_stocks, open_shelf, save_stock, save_stocks};
pub use warehouses::{find_warehouse, insert_warehouse, list_warehouses, warehouse_ranks};

/// A guarded write that found its row changed.
fn changed_meanwhile(what: &str) -> ServiceError {
    ServiceError::Aborted {
        reason: "CONCURRENT_UPDATE",
        message: format!("{what} changed while this request ran; retry"),
    }
}
