//! Inventory rules, free of I/O: how a line is reserved or backordered, how
//! arriving stock is shared among waiting lines, when stock may move, and
//! the bounds every quantity stays within.

mod change;
mod demand;
mod policy;
mod promise;
mod quantity;
mod reservation;
mod stock;
mod warehouse;

use std::fmt;

pub use change::{
    ChangeRefusal, Reduction, check_changeable, check_substitutable, cut_parts, reduce,
    shipped_units,
};
pub use demand::{DAY_MS, MAX_HISTORY_DAYS, daily_series, day_of, value_of};
pub use policy::{BackorderPolicy, MAX_PRICE_MINOR, Product};
pub use promise::{
    InboundSupply, Lot, MAX_LEAD_TIME_DAYS, MAX_LOTS, Promise, QueueWalk, repromise,
};
pub use quantity::{
    MAX_BACKORDER_CAP, MAX_LINES, MAX_QUANTITY, QuantityLimit, Total, valid_delta, valid_quantity,
};
pub use reservation::{Allocation, MAX_PRIORITY, Reservation, ReservationState, valid_priority};
pub use stock::{Grant, LineOutcome, Refusal, ReserveError, StockPosition, StockRefusal, Waiting};
pub use warehouse::{MAX_RANK, Part, SkuStock, Take, Warehouse, place, valid_rank};

/// A stored code that names no known value: a corrupt or newer row. It is
/// refused rather than read as some default, which would act on a guess.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownCode {
    /// What the code stands for (e.g. `reservation state`).
    pub kind: &'static str,
    /// The stored code.
    pub code: i32,
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} code {}", self.kind, self.code)
    }
}

impl std::error::Error for UnknownCode {}
