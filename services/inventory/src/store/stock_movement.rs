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
    /// `adjust`, `receive`, `reserve`, `allocate`, `issue`, `release`.
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
