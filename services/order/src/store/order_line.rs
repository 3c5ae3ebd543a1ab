//! One line of an order.

use sea_orm::entity::prelude::*;

/// Row of `order_line`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_line")]
pub struct Model {
    /// Line id (UUID v7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Order id.
    pub order_id: String,
    /// Position in the order.
    pub line_no: i32,
    /// SKU.
    pub sku: String,
    /// Units ordered.
    pub quantity: i64,
    /// Units reserved at placement.
    pub reserved_quantity: i64,
    /// Units backordered at placement.
    pub backordered_quantity: i64,
    /// Line status code.
    pub status: i32,
    /// Expected arrival (Unix ms).
    pub eta: Option<i64>,
    /// Purchase order carrying its demand.
    pub purchase_order_id: Option<String>,
    /// Shipment that carried its last units.
    pub shipment_id: Option<String>,
    /// Units shipped so far.
    pub shipped_quantity: i64,
    /// Units reserved for it and not shipped: what may ship now.
    pub ready_quantity: i64,
    /// The supplier ships it straight to the customer.
    pub drop_ship: bool,
    /// Unix ms.
    pub updated_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
