//! Quantities of one SKU in one warehouse (a shelf). The default
//! warehouse's shelf also keeps the SKU's backlog (see
//! `domain::SkuStock`); changes to a SKU's shelves are serialised by its
//! product row's lock.

use sea_orm::entity::prelude::*;

use crate::domain::StockPosition;

/// Row of `stock_level`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_level")]
pub struct Model {
    /// SKU.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sku: String,
    /// Warehouse code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub warehouse: String,
    /// On hand.
    pub on_hand: i64,
    /// Reserved.
    pub reserved: i64,
    /// Backordered (waiting).
    pub backordered: i64,
    /// Lines waiting for backordered units.
    pub waiting_lines: i64,
    /// Unix ms.
    pub updated_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<&Model> for StockPosition {
    fn from(row: &Model) -> Self {
        Self {
            on_hand: row.on_hand,
            reserved: row.reserved,
            backordered: row.backordered,
            waiting_lines: row.waiting_lines,
        }
    }
}
