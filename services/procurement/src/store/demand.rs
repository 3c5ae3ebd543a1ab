//! Backorder demand of one order line, and the purchase order carrying it;
//! or replenishment demand, which procurement raises itself for stock and
//! which belongs to no order line (its order and line ids are empty, and
//! no ETA is ever sent for it). At most one replenishment demand per SKU
//! is open: until the purchase order line carrying it is fully received.
//!
//! A release that arrives before its demand (inventory's replicas may
//! deliver out of order) leaves a tombstone: a released row whose order is
//! not known yet. The demand arriving later fills it in and stays released.

use sea_orm::entity::prelude::*;

use super::Address;

/// Row of `demand`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demand")]
pub struct Model {
    /// Demand id: the inventory reservation that is short.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// SKU.
    pub sku: String,
    /// Units short.
    pub quantity: i64,
    /// Order id; empty on a tombstone and on replenishment demand.
    pub order_id: String,
    /// Order line id; empty on a tombstone and on replenishment demand.
    pub line_id: String,
    /// Purchase order carrying it; unset while no supplier supplies the SKU.
    pub purchase_order_id: Option<String>,
    /// Expected arrival (Unix ms); unset while unsourced.
    pub eta: Option<i64>,
    /// Whether the line was cancelled.
    pub released: bool,
    /// Whether the supplier ships the line straight to the customer.
    pub drop_ship: bool,
    /// Where a drop-ship line goes, kept only while no purchase order
    /// carries it (the purchase order holds it from then on).
    pub ship_to_address: Option<Address>,
    /// When the supplier shipped a drop-ship line (Unix ms); the demand is
    /// then closed.
    pub shipped_at: Option<i64>,
    /// `traceparent` of the work that raised it, so later work joins its trace.
    pub trace_context: Option<String>,
    /// Whether procurement raised it to replenish stock (no order line).
    pub replenishment: bool,
    /// When the line carrying replenishment demand was fully received (Unix
    /// ms); the demand is then closed and the SKU may be replenished again.
    pub received_at: Option<i64>,
    /// Unix ms.
    pub created_at: i64,
}

impl Model {
    /// Whether the row only records a release whose demand has not arrived.
    pub fn is_tombstone(&self) -> bool {
        self.order_id.is_empty() && !self.replenishment
    }
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
