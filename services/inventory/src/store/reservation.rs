//! Stock promised to one order line.

use backorder_platform::ServiceError;
use sea_orm::entity::prelude::*;

use crate::domain::{Promise, Reservation, ReservationState};

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
    /// Warehouse of the line's first reservation, kept from before lines
    /// could hold stock in several; where its units are is in
    /// `reservation_part`.
    pub warehouse: String,
    /// Units ordered.
    pub quantity: i64,
    /// Units reserved.
    pub reserved_quantity: i64,
    /// Units waiting.
    pub waiting_quantity: i64,
    /// State code (see [`ReservationState`]).
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
    /// Earliest date promised while the line waits (Unix ms).
    pub promised_from: Option<i64>,
    /// Latest date promised (Unix ms).
    pub promised_to: Option<i64>,
    /// Purchase order expected to fill the line; unset for a lead-time
    /// estimate.
    pub promised_po: Option<String>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Reservation {
    type Error = ServiceError;

    /// A stored row as a domain line; a row with an unknown state or a
    /// malformed id is refused (the service answers `INTERNAL`) rather than
    /// acted upon.
    fn try_from(row: Model) -> Result<Self, Self::Error> {
        let state = ReservationState::try_from(row.state)
            .map_err(|e| ServiceError::Internal(format!("reservation {}: {e}", row.id)))?;
        Ok(Self {
            id: stored_uuid("reservation id", &row.id)?,
            order_id: stored_uuid("reservation order_id", &row.order_id)?,
            line_id: stored_uuid("reservation line_id", &row.line_id)?,
            sku: row.sku,
            quantity: row.quantity,
            reserved: row.reserved_quantity,
            waiting: row.waiting_quantity,
            state,
            priority: row.priority,
            priority_reason: row.priority_reason,
            trace_context: row.trace_context,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl From<&Reservation> for Model {
    fn from(line: &Reservation) -> Self {
        Self {
            id: line.id.to_string(),
            order_id: line.order_id.to_string(),
            line_id: line.line_id.to_string(),
            sku: line.sku.clone(),
            warehouse: backorder_platform::warehouse::WarehouseCode::DEFAULT.to_owned(),
            quantity: line.quantity,
            reserved_quantity: line.reserved,
            waiting_quantity: line.waiting,
            state: line.state.code(),
            priority: line.priority,
            priority_reason: line.priority_reason.clone(),
            trace_context: line.trace_context.clone(),
            created_at: line.created_at,
            updated_at: line.updated_at,
            promised_from: None,
            promised_to: None,
            promised_po: None,
        }
    }
}

fn stored_uuid(what: &str, value: &str) -> Result<Uuid, ServiceError> {
    Uuid::try_parse(value)
        .map_err(|_| ServiceError::Internal(format!("stored {what} {value:?} is not a UUID")))
}

impl Model {
    /// The promise stored on the row, if any.
    pub fn promise(&self) -> Option<Promise> {
        Some(Promise {
            from: self.promised_from?,
            to: self.promised_to?,
            purchase_order_id: self.promised_po.clone(),
        })
    }
}
