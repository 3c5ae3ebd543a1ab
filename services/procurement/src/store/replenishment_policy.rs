//! A SKU's replenishment settings.

use sea_orm::entity::prelude::*;

/// Row of `replenishment_policy`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "replenishment_policy")]
pub struct Model {
    /// SKU.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sku: String,
    /// Whether the worker replenishes it.
    pub enabled: bool,
    /// Target service level, percent (50 to 99.9).
    pub service_level_percent: f64,
    /// Days of demand history (7 to 365).
    pub history_days: i32,
    /// Unix ms.
    pub updated_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
