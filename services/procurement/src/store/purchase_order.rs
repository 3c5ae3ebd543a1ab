//! A purchase order to one supplier: for stock, at most one draft per
//! supplier (the partial unique index `purchase_order_one_stock_draft`);
//! drop-ship, one per supplier and customer order, addressed to the
//! customer, at most one draft per pair (`purchase_order_one_drop_ship_draft`).

use sea_orm::entity::prelude::*;

use super::Address;

/// Row of `purchase_order`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_order")]
pub struct Model {
    /// Purchase order id (UUID v7); descending ids are newest first.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Supplier id.
    pub supplier_id: String,
    /// Status code (see `domain::PoStatus`; the proto enum number).
    pub status: i32,
    /// Date the supplier promised (Unix ms); unset until acknowledged.
    pub promised_at: Option<i64>,
    /// When it was submitted (Unix ms); unset for drafts.
    pub submitted_at: Option<i64>,
    /// When the last units arrived (Unix ms); unset until fully received.
    pub received_at: Option<i64>,
    /// Whether the supplier ships it straight to one customer.
    pub drop_ship: bool,
    /// The customer order a drop-ship purchase order serves; unset for stock.
    pub order_id: Option<String>,
    /// Where a drop-ship purchase order goes; unset for stock.
    pub ship_to_address: Option<Address>,
    /// Carrier of a drop-shipped purchase order; unset until shipped.
    pub carrier: Option<String>,
    /// Tracking number of a drop-shipped purchase order; unset until shipped.
    pub tracking_number: Option<String>,
    /// The date it is now expected by, set when its expected date passed
    /// with it still open (Unix ms); cleared by a new promised date.
    pub delayed_until: Option<i64>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
