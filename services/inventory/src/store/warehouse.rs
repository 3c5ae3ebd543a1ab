//! A place stock is kept.

use backorder_platform::warehouse::WarehouseCode;
use sea_orm::entity::prelude::*;

use crate::domain::Warehouse;

/// Row of `warehouse`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "warehouse")]
pub struct Model {
    /// Code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// Display name.
    pub name: String,
    /// Lowest first when stock is taken.
    pub rank: i32,
    /// Unix ms.
    pub created_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for Warehouse {
    fn from(row: Model) -> Self {
        Self {
            code: WarehouseCode::stored(row.code),
            name: row.name,
            rank: row.rank,
            created_at: row.created_at,
        }
    }
}

impl From<&Warehouse> for Model {
    fn from(warehouse: &Warehouse) -> Self {
        Self {
            code: warehouse.code.to_string(),
            name: warehouse.name.clone(),
            rank: warehouse.rank,
            created_at: warehouse.created_at,
        }
    }
}
