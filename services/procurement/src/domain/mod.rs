//! Procurement rules, free of I/O: which supplier gets a SKU's demand, how
//! demand is rounded to what a supplier sells, when a line is expected, how
//! a purchase order moves through its lifecycle, the bounds on quantities,
//! what drop-ship demand needs, and how a supplier has delivered.

pub mod commands;
pub mod drop_ship;
pub mod lifecycle;
pub mod performance;
pub mod quantity;
pub mod refusal;
pub mod sourcing;
pub mod status;

pub use commands::{
    Acknowledgement, Cancellation, DropShipment, NewDemand, NewSupplier, OfferTerms,
    PurchaseOrderFilter, Receipt, ReceiptLine,
};
pub use drop_ship::{
    MAX_ADDRESS_CHARS, MAX_CARRIER_CHARS, MAX_TRACKING_CHARS, ShipToAddress, ship, ship_to,
};
pub use lifecycle::{
    LineProgress, acknowledge, cancel, check_receivable, receive_line, status_after_receipt, submit,
};
pub use performance::{Performance, ReceivedPo, supplier_performance};
pub use quantity::{
    MAX_LEAD_TIME_DAYS, MAX_LINE_QUANTITY, MAX_QUANTITY, MAX_RECEIPT_LINES, Quantity,
};
pub use refusal::PoRefusal;
pub use sourcing::{
    LineTerms, Offer, add_to_line, eta, line_ordered, ordered_quantity, pick_offer,
    remove_from_line,
};
pub use status::{PoStatus, UnknownStatus};
