//! Ready units of one line in one warehouse.

use sea_orm::entity::prelude::*;

/// Row of `order_line_stock`: only warehouses holding some units have one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_line_stock")]
pub struct Model {
    /// Line id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub line_id: String,
    /// Warehouse code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub warehouse: String,
    /// Order id, so an order's parts are read with its lines.
    pub order_id: String,
    /// Units reserved for the line there and not shipped (at least 1).
    pub quantity: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
