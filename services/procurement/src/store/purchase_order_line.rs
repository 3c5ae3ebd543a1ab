//! One SKU on a purchase order (unique per purchase order and SKU).

use sea_orm::entity::prelude::*;

/// Row of `purchase_order_line`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_order_line")]
pub struct Model {
    /// Line id (UUID v7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Purchase order id.
    pub purchase_order_id: String,
    /// SKU.
    pub sku: String,
    /// Units of open backorder demand it serves.
    pub demand_quantity: i64,
    /// Units ordered: demand rounded up to MOQ and case pack.
    pub ordered_quantity: i64,
    /// Units received so far.
    pub received_quantity: i64,
    /// Cost per unit in the smallest currency unit.
    pub unit_cost_minor: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
