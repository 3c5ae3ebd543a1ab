//! Stock promised to one order line.

use sea_orm::entity::prelude::*;

/// Row of `reservation`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reservation")]
pub struct Model {
    /// Reservation id (UUID v7); also the demand id in procurement.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Order id.
    pub order_id: String,
    /// Order line id.
    pub line_id: String,
    /// SKU.
    pub sku: String,
    /// Warehouse.
    pub warehouse: String,
    /// Units ordered.
    pub quantity: i64,
    /// Units reserved.
    pub reserved_quantity: i64,
    /// Units waiting.
    pub waiting_quantity: i64,
    /// State code (see `domain::ReservationState`).
    pub state: i32,
    /// Higher is served first; equal priorities by arrival.
    pub priority: i32,
    /// Why the line has its priority; empty for first come, first served.
    pub priority_reason: String,
    /// `traceparent` of the sale, so later work joins its trace.
    pub trace_context: Option<String>,
    /// Unix ms; the line's place in the queue.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
