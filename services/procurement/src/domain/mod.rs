//! Procurement rules, free of I/O: which supplier gets a SKU's demand, how
//! demand is rounded to what a supplier sells, when a line is expected, how
//! a purchase order moves through its lifecycle, the bounds on quantities,
//! and how a supplier has delivered.

pub mod commands;
pub mod lifecycle;
pub mod performance;
pub mod quantity;
pub mod refusal;
pub mod sourcing;
pub mod status;

pub use commands::{
    Acknowledgement, Cancellation, NewDemand, NewSupplier, OfferTerms, PurchaseOrderFilter,
    Receipt, ReceiptLine,
};
pub use lifecycle::{
    LineProgress, acknowledge, cancel, check_receivable, receive_line, status_after_receipt, submit,
};
pub use performance::{Performance, ReceivedPo, supplier_performance};
pub use quantity::{
    MAX_LEAD_TIME_DAYS, MAX_LINE_QUANTITY, MAX_QUANTITY, MAX_RECEIPT_LINES, Quantity,
};
pub use refusal::PoRefusal;
pub use sourcing::{Offer, add_to_line, eta, ordered_quantity, pick_offer, remove_from_line};
pub use status::{PoStatus, UnknownStatus};
