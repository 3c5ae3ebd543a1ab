//! Charging: unit prices and payment summaries on `order_line`, and the
//! `payment_request` queue.
//!
//! A worker claims a due request by moving `next_attempt_at` past the
//! attempt, guarded by the value it read (a lease: a worker that dies
//! mid-call leaves it due again once the lease ends), and records the
//! outcome only if its claim still stands, so two replicas never both
//! count or answer one attempt. Answered requests have no
//! `next_attempt_at` and leave the worker's partial index.

use backorder_platform::ServiceResult;
use backorder_platform::time::now_ms;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::super::order_line;
use super::super::payment_request::{self, Column};
use super::super::rows::CorruptRow;
use crate::domain::Line;
use crate::domain::charging::{Outcome, PaymentAction, RequestState};

/// A request to the payment endpoint, as the worker sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequest {
    /// Request id, the idempotency key.
    pub id: Uuid,
    /// Order id.
    pub order_id: Uuid,
    /// Line id.
    pub line_id: Uuid,
    /// What is asked.
    pub action: PaymentAction,
    /// Amount (minor units).
    pub amount_minor: i64,
    /// The reference of the line's previous approved answer.
    pub prior_reference: String,
    /// Attempts made before this one.
    pub attempts: i32,
    /// When it is due (Unix ms): the guard of a claim.
    pub next_attempt_at: i64,
    /// `traceparent` of the span that made it.
    pub trace_context: Option<String>,
}

impl TryFrom<payment_request::Model> for PaymentRequest {
    type Error = CorruptRow;

    fn try_from(row: payment_request::Model) -> Result<Self, Self::Error> {
        let fail = |problem: String| CorruptRow {
            table: "payment_request",
            id: row.id.clone(),
            problem,
        };
        let uuid = |field: &str, value: &str| {
            Uuid::try_parse(value).map_err(|_| fail(format!("{field} {value:?} is not a UUID")))
        };
        Ok(Self {
            id: uuid("id", &row.id)?,
            order_id: uuid("order_id", &row.order_id)?,
            line_id: uuid("line_id", &row.line_id)?,
            action: PaymentAction::try_from(row.action).map_err(|e| fail(e.to_string()))?,
            amount_minor: row.amount_minor,
            prior_reference: row.prior_reference.clone(),
            attempts: row.attempts,
            next_attempt_at: row
                .next_attempt_at
                .ok_or_else(|| fail("answered, not due".to_owned()))?,
            trace_context: row.trace_context.clone(),
        })
    }
}

/// Writes the unit price inventory gave each line at the sale.
pub async fn set_unit_prices<C: ConnectionTrait>(conn: &C, lines: &[Line]) -> ServiceResult<()> {
    for line in lines.iter().filter(|l| l.unit_price_minor != 0) {
        order_line::Entity::update_many()
            .col_expr(
                order_line::Column::UnitPriceMinor,
                Expr::value(line.unit_price_minor),
            )
            .filter(order_line::Column::Id.eq(line.id.to_string()))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Writes a line's payment summary as it stands on `line`.
pub async fn save_line_payment<C: ConnectionTrait>(conn: &C, line: &Line) -> ServiceResult<()> {
    let Some(payment) = &line.payment else {
        return Ok(());
    };
    order_line::Entity::update_many()
        .col_expr(
            order_line::Column::ChargeAt,
            Expr::value(Some(payment.charge_at.code())),
        )
        .col_expr(
            order_line::Column::PaymentState,
            Expr::value(Some(payment.state.code())),
        )
        .col_expr(
            order_line::Column::PaymentAmountMinor,
            Expr::value(Some(payment.amount_minor)),
        )
        .col_expr(
            order_line::Column::PaymentReference,
            Expr::value(Some(payment.reference.clone())),
        )
        .col_expr(
            order_line::Column::PaymentUpdatedAt,
            Expr::value(Some(payment.updated_at)),
        )
        .filter(order_line::Column::Id.eq(line.id.to_string()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Queues `request`, due at once.
pub async fn insert_request<C: ConnectionTrait>(
    conn: &C,
    request: &PaymentRequest,
) -> ServiceResult<()> {
    let now = now_ms();
    let row = payment_request::Model {
        id: request.id.to_string(),
        order_id: request.order_id.to_string(),
        line_id: request.line_id.to_string(),
        action: request.action.code(),
        amount_minor: request.amount_minor,
        prior_reference: request.prior_reference.clone(),
        state: RequestState::Pending.code(),
        attempts: 0,
        next_attempt_at: Some(request.next_attempt_at),
        last_error: None,
        reference: None,
        trace_context: request.trace_context.clone(),
        created_at: now,
        updated_at: now,
    };
    payment_request::Entity::insert(payment_request::ActiveModel::from(row))
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Unanswered requests due at `now`, longest due first.
pub async fn due_requests<C: ConnectionTrait>(
    conn: &C,
    now: i64,
    limit: u64,
) -> ServiceResult<Vec<PaymentRequest>> {
    let rows = payment_request::Entity::find()
        .filter(Column::NextAttemptAt.is_not_null())
        .filter(Column::NextAttemptAt.lte(now))
        .order_by_asc(Column::NextAttemptAt)
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(PaymentRequest::try_from)
        .collect::<Result<_, _>>()?)
}

/// Claims `request` for an attempt, due again at `until` unless answered
/// before, provided no one moved it since it was read: whether this caller
/// won the claim.
pub async fn claim_request<C: ConnectionTrait>(
    conn: &C,
    request: &PaymentRequest,
    until: i64,
) -> ServiceResult<bool> {
    let result = payment_request::Entity::update_many()
        .col_expr(Column::NextAttemptAt, Expr::value(Some(until)))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now_ms()))
        .filter(Column::Id.eq(request.id.to_string()))
        .filter(Column::NextAttemptAt.eq(request.next_attempt_at))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records an attempt that got no answer, due again at `at`, under the
/// claim that set `claimed_until`: whether the claim still stood.
pub async fn record_retry<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    claimed_until: i64,
    at: i64,
    error: &str,
) -> ServiceResult<bool> {
    let result = payment_request::Entity::update_many()
        .col_expr(Column::NextAttemptAt, Expr::value(Some(at)))
        .col_expr(Column::LastError, Expr::value(Some(error.to_owned())))
        .col_expr(Column::UpdatedAt, Expr::value(now_ms()))
        .filter(Column::Id.eq(id.to_string()))
        .filter(Column::NextAttemptAt.eq(claimed_until))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records the endpoint's answer under the claim that set
/// `claimed_until`: whether the claim still stood (else nothing changed,
/// and the caller must not act on the answer).
pub async fn record_answer<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    claimed_until: i64,
    outcome: Outcome,
    reference: &str,
) -> ServiceResult<bool> {
    let result = payment_request::Entity::update_many()
        .col_expr(Column::State, Expr::value(outcome.request_state().code()))
        .col_expr(Column::NextAttemptAt, Expr::value(None::<i64>))
        .col_expr(Column::Reference, Expr::value(Some(reference.to_owned())))
        .col_expr(Column::LastError, Expr::value(None::<String>))
        .col_expr(Column::UpdatedAt, Expr::value(now_ms()))
        .filter(Column::Id.eq(id.to_string()))
        .filter(Column::NextAttemptAt.eq(claimed_until))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
