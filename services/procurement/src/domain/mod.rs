//! Procurement rules, free of I/O: which supplier gets a SKU's demand, how
//! demand is rounded to what a supplier sells, when a line is expected, how
//! a purchase order moves through its lifecycle, the bounds on quantities,
//! what drop-ship demand needs, how a supplier has delivered, when stock
//! is replenished before it runs short, when a draft goes out on its
//! supplier's schedule, and when a purchase order is late.

pub mod commands;
pub mod delay;
pub mod drop_ship;
pub mod lifecycle;
pub mod performance;
pub mod quantity;
pub mod reduction;
pub mod refusal;
pub mod replenishment;
pub mod schedule;
pub mod sourcing;
pub mod status;

pub use commands::{
    Acknowledgement, Cancellation, DropShipment, NewDemand, NewSupplier, OfferTerms, PolicyTerms,
    PurchaseOrderFilter, Receipt, ReceiptLine, SupplierSchedule,
};
pub use delay::{PoDates, delayed_date, latest, may_be_late};
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
pub use reduction::{DemandReduction, ReductionRefusal, units_given_up};
pub use refusal::PoRefusal;
pub use replenishment::{
    DemandStats, MAX_HISTORY_DAYS, MAX_SERVICE_LEVEL_PERCENT, MIN_HISTORY_DAYS,
    MIN_PLANNED_LEAD_TIME_DAYS, MIN_SERVICE_LEVEL_PERCENT, Plan, PlanInputs, demand_stats,
    demand_units, plan, z_for_service_level,
};
pub use schedule::{MAX_AUTO_SUBMIT_HOURS, due_cutoff, is_due};
pub use sourcing::{
    LineTerms, Offer, add_to_line, eta, line_ordered, ordered_quantity, pick_offer,
    remove_from_line,
};
pub use status::{PoStatus, UnknownStatus};
