//! The append-only stock ledger.

use sea_orm::entity::prelude::*;

/// Row of `stock_movement`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movement")]
pub struct Model {
    /// Movement id (UUID v7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// SKU.
    pub sku: String,
    /// Warehouse.
    pub warehouse: String,
    /// What moved it (see [`MovementKind`]).
    pub kind: String,
    /// Change of on hand.
    pub on_hand_delta: i64,
    /// Change of reserved.
    pub reserved_delta: i64,
    /// Order, purchase order or request it belongs to.
    pub reference: String,
    /// Why.
    pub reason: String,
    /// Unix ms.
    pub created_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What moved stock, as written to `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MovementKind {
    /// A manual adjustment.
    Adjust,
    /// Goods received.
    Receive,
    /// Stock reserved for a new order.
    Reserve,
    /// Stock given to a waiting line.
    Allocate,
    /// Stock shipped.
    Issue,
    /// A cancelled line's stock given back.
    Release,
    /// A waiting line's priority changed (no quantities move).
    Priority,
    /// A waiting line changed: units it no longer waits for left the
    /// backlog (no stock moves; stock it gave back is a `Release`).
    Change,
}

impl MovementKind {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Adjust => "adjust",
            Self::Receive => "receive",
            Self::Reserve => "reserve",
            Self::Allocate => "allocate",
            Self::Issue => "issue",
            Self::Release => "release",
            Self::Priority => "priority",
            Self::Change => "change",
        }
    }
}
