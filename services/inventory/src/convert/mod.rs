//! The edge of the service: requests parsed into domain commands (every
//! bad field named, nothing applied until all are good) and domain values
//! turned into replies.

mod changes;
mod history;
mod promises;
mod requests;
mod responses;
mod shipment;
mod warehouses;

pub use changes::LineChange;
pub use history::{HistoryQuery, MAX_HISTORY_SKUS};
pub use promises::{SupplySnapshot, promise_dates};
pub use requests::{
    Adjustment, Cancellation, LineRequest, NewProduct, OrderReservation, PriorityChange, Receipt,
    ReservationQuery, parse_sku,
};
pub use responses::{backlog_entry, product, reservation, warehouse, warehouse_units};
pub use shipment::Shipment;
pub use warehouses::{NewWarehouse, WarehouseKey};
