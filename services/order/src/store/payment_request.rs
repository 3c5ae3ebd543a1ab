//! A request to the merchant's payment endpoint; its id is the
//! `Idempotency-Key` of every attempt.

use sea_orm::entity::prelude::*;

/// Row of `payment_request`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_request")]
pub struct Model {
    /// Request id (UUID v7), the idempotency key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Order id.
    pub order_id: String,
    /// Line id.
    pub line_id: String,
    /// Action code (`PaymentAction`).
    pub action: i32,
    /// Amount asked, in the smallest currency unit.
    pub amount_minor: i64,
    /// The endpoint's reference of the line's previous approved answer
    /// (the authorisation a capture takes); empty for an authorisation.
    pub prior_reference: String,
    /// State code (`RequestState`).
    pub state: i32,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due (Unix ms); a claimed request's is the
    /// end of its claim; `None` once answered.
    pub next_attempt_at: Option<i64>,
    /// Why the last attempt got no answer.
    pub last_error: Option<String>,
    /// The endpoint's reference in its answer.
    pub reference: Option<String>,
    /// `traceparent` of the span that made the request.
    pub trace_context: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
