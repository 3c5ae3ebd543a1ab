//! A customer's contact details and chosen channels. The only place the
//! service keeps personal data; deliveries look addresses up here.

use sea_orm::entity::prelude::*;

use crate::domain::{
    Channel, Contact, CustomerDetails, UnknownCode, decode_channels, encode_channels,
};

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
    /// Chosen channels, comma-separated codes (see [`encode_channels`]).
    pub channels: String,
    /// Unix ms.
    pub updated_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The row that stores `details`, changed at `updated_at` (Unix ms).
    pub fn new(details: &CustomerDetails, updated_at: i64) -> Self {
        Self {
            id: details.id.to_string(),
            name: details.name.clone(),
            email: details.contact.email.clone(),
            phone: details.contact.phone.clone(),
            push_token: details.contact.push_token.clone(),
            channels: encode_channels(&details.channels),
            updated_at,
        }
    }

    /// The customer's addresses.
    pub fn contact(&self) -> Contact {
        Contact {
            email: self.email.clone(),
            phone: self.phone.clone(),
            push_token: self.push_token.clone(),
        }
    }

    /// The chosen channels; an unknown stored code is an error.
    pub fn channels(&self) -> Result<Vec<Channel>, UnknownCode> {
        decode_channels(&self.channels)
    }
}
