//! A customer's contact details and chosen channels. The only place the
//! service keeps personal data; deliveries look addresses up here.

use sea_orm::entity::prelude::*;

/// Row of `customer`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer")]
pub struct Model {
    /// Customer id (UUID), the same as in orders.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Name used in messages.
    pub name: String,
    /// E-mail address; empty when not given.
    pub email: String,
    /// Phone number for SMS; empty when not given.
    pub phone: String,
    /// App push token; empty when not given.
    pub push_token: String,
    /// Chosen channels, comma-separated codes (see `domain::encode_channels`).
    pub channels: String,
    /// Unix ms.
    pub updated_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
