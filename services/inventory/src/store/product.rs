//! A sellable item.

use backorder_platform::ServiceError;
use sea_orm::entity::prelude::*;

use crate::domain::{BackorderPolicy, InboundSupply, Lot, Product};

/// Row of `product`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product")]
pub struct Model {
    /// SKU.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Policy code (see [`BackorderPolicy`]).
    pub backorder_policy: i32,
    /// Cap for the capped policy.
    pub backorder_cap: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Short lines go to the supplier (see [`Product::drop_ship`]).
    pub drop_ship: bool,
    /// Unit price, smallest currency unit.
    pub price_minor: i64,
    /// Revision of the inbound supply held (0: none yet).
    pub inbound_revision: i64,
    /// Inbound lots (JSON array of [`Lot`]).
    pub inbound_lots: String,
    /// The preferred supplier's lead time; unset when none offers the SKU.
    pub lead_time_days: Option<i32>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for Product {
    type Error = ServiceError;

    /// A stored row as a domain product; an unknown policy code is refused
    /// (the service answers `INTERNAL`) rather than guessed.
    fn try_from(row: Model) -> Result<Self, Self::Error> {
        let policy = BackorderPolicy::try_from((row.backorder_policy, row.backorder_cap))
            .map_err(|e| ServiceError::Internal(format!("product {}: {e}", row.sku)))?;
        let lots: Vec<Lot> = serde_json::from_str(&row.inbound_lots).map_err(|e| {
            ServiceError::Internal(format!("product {}: stored inbound lots: {e}", row.sku))
        })?;
        Ok(Self {
            sku: row.sku,
            name: row.name,
            policy,
            created_at: row.created_at,
            drop_ship: row.drop_ship,
            price_minor: row.price_minor,
            supply: InboundSupply::new(row.inbound_revision, lots, row.lead_time_days),
        })
    }
}

impl From<&Product> for Model {
    fn from(product: &Product) -> Self {
        Self {
            sku: product.sku.clone(),
            name: product.name.clone(),
            backorder_policy: product.policy.code(),
            backorder_cap: product.policy.cap(),
            created_at: product.created_at,
            drop_ship: product.drop_ship,
            price_minor: product.price_minor,
            inbound_revision: product.supply.revision,
            inbound_lots: lots_json(&product.supply.lots),
            lead_time_days: product.supply.lead_time_days,
        }
    }
}

/// Lots as stored.
pub fn lots_json(lots: &[Lot]) -> String {
    // Serialising plain numbers and strings cannot fail.
    serde_json::to_string(lots).unwrap_or_else(|_| "[]".to_owned())
}
