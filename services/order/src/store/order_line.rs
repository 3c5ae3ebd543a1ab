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
    /// Latest date promised (Unix ms).
    pub eta_latest: Option<i64>,
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
    /// Unit price in the smallest currency unit, from the sale.
    pub unit_price_minor: i64,
    /// Charge point code the line was sold under; `None` when not charged.
    pub charge_at: Option<i32>,
    /// Payment state code; `None` when not charged.
    pub payment_state: Option<i32>,
    /// Amount charged for the line (minor units).
    pub payment_amount_minor: Option<i64>,
    /// The payment endpoint's last reference.
    pub payment_reference: Option<String>,
    /// When the payment last changed (Unix ms).
    pub payment_updated_at: Option<i64>,
    /// Unix ms.
    pub updated_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
