//! A parcel.

use sea_orm::entity::prelude::*;

/// Row of `shipment`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipment")]
pub struct Model {
    /// Shipment id (UUID v7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Order id.
    pub order_id: String,
    /// Carrier's tracking number.
    pub tracking_number: String,
    /// Carrier.
    pub carrier: String,
    /// Status code (1 shipped, 2 delivered).
    pub status: i32,
    /// Unix ms.
    pub shipped_at: i64,
    /// Unix ms.
    pub delivered_at: Option<i64>,
    /// Parcel shared with other orders' shipments, if any.
    pub bundle_id: Option<String>,
    /// Warehouse the parcel left from; empty for a drop shipment.
    pub warehouse: String,
    /// Shipped by the supplier straight to the customer.
    pub drop_ship: bool,
    /// For a drop shipment: the purchase order the supplier shipped.
    pub purchase_order_id: Option<String>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
