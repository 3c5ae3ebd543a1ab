//! The units of one line one shipment carried.

use sea_orm::entity::prelude::*;

/// Row of `shipment_item`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipment_item")]
pub struct Model {
    /// Shipment id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub shipment_id: String,
    /// Line id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub line_id: String,
    /// Order id.
    pub order_id: String,
    /// Units.
    pub quantity: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
