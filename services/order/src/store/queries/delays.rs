//! Delay offers: the latest one of each line, read with an order's lines,
//! written by the unit of work that makes, answers or settles it.
//!
//! Settling an open offer (an answer, the merchant's rule, a moot) is an
//! update guarded by `state = OPEN`: of two units settling one offer, only
//! the first changes it, and the other learns it lost.

use std::collections::BTreeMap;

use backorder_platform::ServiceResult;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::super::delay_offer::{self, Column};
use super::super::rows::CorruptRow;
use crate::domain::delays::{DelayAnswer, DelayOffer, OfferState};

impl TryFrom<delay_offer::Model> for DelayOffer {
    type Error = CorruptRow;

    fn try_from(row: delay_offer::Model) -> Result<Self, Self::Error> {
        let fail = |problem: String| CorruptRow {
            table: "delay_offer",
            id: row.line_id.clone(),
            problem,
        };
        let uuid = |field: &str, value: &str| {
            Uuid::try_parse(value).map_err(|_| fail(format!("{field} {value:?} is not a UUID")))
        };
        Ok(Self {
            line_id: uuid("line_id", &row.line_id)?,
            order_id: uuid("order_id", &row.order_id)?,
            previous_eta: row.previous_eta,
            new_eta: row.new_eta,
            new_eta_latest: row.new_eta_latest,
            offered_at: row.offered_at,
            answer_by: row.answer_by,
            state: OfferState::try_from(row.state).map_err(|e| fail(e.to_string()))?,
            answer: row
                .answer
                .map(DelayAnswer::try_from)
                .transpose()
                .map_err(|e| fail(e.to_string()))?,
            answered_at: row.answered_at,
        })
    }
}

fn row_of(offer: &DelayOffer) -> delay_offer::Model {
    delay_offer::Model {
        line_id: offer.line_id.to_string(),
        order_id: offer.order_id.to_string(),
        previous_eta: offer.previous_eta,
        new_eta: offer.new_eta,
        new_eta_latest: offer.new_eta_latest,
        offered_at: offer.offered_at,
        answer_by: offer.answer_by,
        state: offer.state.code(),
        answer: offer.answer.map(DelayAnswer::code),
        answered_at: offer.answered_at,
    }
}

/// The latest offer of line `line_id`, if it ever had one.
pub async fn offer_of<C: ConnectionTrait>(
    conn: &C,
    line_id: Uuid,
) -> ServiceResult<Option<DelayOffer>> {
    let row = delay_offer::Entity::find_by_id(line_id.to_string())
        .one(conn)
        .await?;
    Ok(row.map(DelayOffer::try_from).transpose()?)
}

/// The latest offer of each line of the orders `order_ids`, by line id.
pub async fn offers_of_orders<C: ConnectionTrait>(
    conn: &C,
    order_ids: &[Uuid],
) -> ServiceResult<BTreeMap<Uuid, DelayOffer>> {
    if order_ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let rows = delay_offer::Entity::find()
        .filter(Column::OrderId.is_in(order_ids.iter().map(Uuid::to_string)))
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|row| {
            let offer = DelayOffer::try_from(row)?;
            Ok((offer.line_id, offer))
        })
        .collect()
}

/// Writes `offer` as its line's latest, replacing the one before.
pub async fn save_offer<C: ConnectionTrait>(conn: &C, offer: &DelayOffer) -> ServiceResult<()> {
    delay_offer::Entity::insert(delay_offer::ActiveModel::from(row_of(offer)))
        .on_conflict(
            OnConflict::column(Column::LineId)
                .update_columns([
                    Column::OrderId,
                    Column::PreviousEta,
                    Column::NewEta,
                    Column::NewEtaLatest,
                    Column::OfferedAt,
                    Column::AnswerBy,
                    Column::State,
                    Column::Answer,
                    Column::AnsweredAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Closes the open offer of `settled.line_id` as `settled` says (its
/// state, answer and time), provided it is still open: whether this
/// caller settled it.
pub async fn settle_offer<C: ConnectionTrait>(
    conn: &C,
    settled: &DelayOffer,
) -> ServiceResult<bool> {
    let result = delay_offer::Entity::update_many()
        .col_expr(Column::State, Expr::value(settled.state.code()))
        .col_expr(
            Column::Answer,
            Expr::value(settled.answer.map(DelayAnswer::code)),
        )
        .col_expr(Column::AnsweredAt, Expr::value(settled.answered_at))
        .filter(Column::LineId.eq(settled.line_id.to_string()))
        .filter(Column::State.eq(OfferState::Open.code()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Open offers whose time to answer ended by `now`, longest overdue first.
pub async fn due_offers<C: ConnectionTrait>(
    conn: &C,
    now: i64,
    limit: u64,
) -> ServiceResult<Vec<DelayOffer>> {
    let rows = delay_offer::Entity::find()
        .filter(Column::State.eq(OfferState::Open.code()))
        .filter(Column::AnswerBy.lte(now))
        .order_by_asc(Column::AnswerBy)
        .order_by_asc(Column::LineId)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(DelayOffer::try_from)
        .collect::<Result<_, _>>()?)
}
