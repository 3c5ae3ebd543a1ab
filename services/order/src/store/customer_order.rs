//! A customer order.

use sea_orm::entity::prelude::*;

/// Row of `customer_order`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_order")]
pub struct Model {
    /// Order id (UUID v7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `request_id` of the PlaceOrder that created it; a retry resumes it.
    pub request_id: String,
    /// Customer id.
    pub customer_id: String,
    /// Order status code.
    pub status: i32,
    /// Whether the customer accepts backorders.
    pub accept_backorders: bool,
    /// Ship policy code.
    pub ship_policy: i32,
    /// `traceparent` of the sale.
    pub trace_context: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// Fingerprint of the PlaceOrder that created it (hex SHA-256); `None`
    /// for orders stored before fingerprints were kept.
    pub request_hash: Option<String>,
    /// Reservation attempts the sweeper made while the order was pending.
    pub attempts: i32,
    /// When the sweeper may next try a pending order (Unix ms).
    pub next_attempt_at: i64,
    /// Parcel limit of the up-to-n policy; 0 with the others.
    pub max_shipments: i32,
    /// Delivery address; empty when none was given.
    pub ship_to_address: String,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
