//! A sellable item.

use sea_orm::entity::prelude::*;

/// Row of `product`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product")]
pub struct Model {
    /// SKU.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Policy code (see `domain::BackorderPolicy`).
    pub backorder_policy: i32,
    /// Cap for the capped policy.
    pub backorder_cap: i64,
    /// Unix ms.
    pub created_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
