//! Queries over procurement's tables. Each takes a connection or the
//! transaction of a unit of work; callers own the transaction.
//!
//! Locking: a purchase order's lines, and the demand it carries, change only
//! under the purchase order's row lock; whoever also locks demand rows takes
//! purchase order locks first (drafts in supplier-id order), then demand
//! rows by id. Demand is never written back whole from a read: each write
//! names the columns it changes and the state it expects.

pub mod demands;
pub mod lines;
pub mod purchase_orders;
pub mod replenishment;
pub mod suppliers;
pub mod supply;
