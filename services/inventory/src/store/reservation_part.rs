//! The units of one line reserved in one warehouse: a line may hold stock
//! in several.

use sea_orm::entity::prelude::*;

/// Row of `reservation_part`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reservation_part")]
pub struct Model {
    /// Reservation id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub reservation_id: String,
    /// Warehouse code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub warehouse: String,
    /// Units reserved there, on the shelf.
    pub reserved: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
