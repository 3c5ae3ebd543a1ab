//! A company procurement buys from.

use sea_orm::entity::prelude::*;

/// Row of `supplier`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supplier")]
pub struct Model {
    /// Supplier id (UUID v7); ascending ids are creation order.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Name.
    pub name: String,
    /// Days from submission to arrival when no date was promised.
    pub lead_time_days: i32,
    /// Its drafts are submitted once this many hours old; 0: never
    /// automatically.
    pub auto_submit_hours: i32,
    /// Unix ms.
    pub created_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
