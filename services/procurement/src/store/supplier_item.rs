//! A supplier's offer for one SKU.

use sea_orm::entity::prelude::*;

/// Row of `supplier_item`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supplier_item")]
pub struct Model {
    /// Supplier id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub supplier_id: String,
    /// SKU.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sku: String,
    /// Cost per unit in the smallest currency unit.
    pub unit_cost_minor: i64,
    /// Minimum order quantity, at least 1.
    pub minimum_order_quantity: i64,
    /// Units per case, at least 1.
    pub case_pack: i64,
    /// Whether this supplier gets the SKU's backorder demand (at most one
    /// offer per SKU).
    pub preferred: bool,
    /// Whether the supplier ships the SKU straight to customers.
    pub drop_ship: bool,
    /// Unix ms.
    pub updated_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
