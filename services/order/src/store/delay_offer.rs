//! The latest delay offered on a line: the customer's choice to keep
//! waiting or cancel, and how it was settled.

use sea_orm::entity::prelude::*;

/// Row of `delay_offer`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delay_offer")]
pub struct Model {
    /// Line id: one row per line, its latest offer.
    #[sea_orm(primary_key, auto_increment = false)]
    pub line_id: String,
    /// Order id.
    pub order_id: String,
    /// The date before the delay (Unix ms).
    pub previous_eta: i64,
    /// The new earliest date (Unix ms).
    pub new_eta: i64,
    /// The new latest date (Unix ms).
    pub new_eta_latest: i64,
    /// When offered or last refreshed (Unix ms).
    pub offered_at: i64,
    /// When the merchant's rule applies without an answer (Unix ms).
    pub answer_by: i64,
    /// State code (`OfferState`).
    pub state: i32,
    /// Answer code (`DelayAnswer`); `None` while open or when moot.
    pub answer: Option<i32>,
    /// When answered, decided or moot (Unix ms).
    pub answered_at: Option<i64>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
