//! Inbound supply and the promises of waiting lines.

use backorder_platform::ServiceResult;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::queue::{QueueKey, queue_query};
use super::reservations::lines;
use crate::domain::{InboundSupply, Promise, Reservation};
use crate::store::product::{self, lots_json};
use crate::store::reservation::{self, Column};

/// Stores `supply` as `sku`'s inbound supply unless a snapshot of the same
/// or a later revision is held: `false` then (and for an unknown SKU).
pub async fn set_supply<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    supply: &InboundSupply,
) -> ServiceResult<bool> {
    let written = product::Entity::update_many()
        .col_expr(
            product::Column::InboundRevision,
            Expr::value(supply.revision),
        )
        .col_expr(
            product::Column::InboundLots,
            Expr::value(lots_json(&supply.lots)),
        )
        .col_expr(
            product::Column::LeadTimeDays,
            Expr::value(supply.lead_time_days),
        )
        .filter(product::Column::Sku.eq(sku))
        .filter(product::Column::InboundRevision.lt(supply.revision))
        .exec(conn)
        .await?;
    Ok(written.rows_affected == 1)
}

/// A waiting line with the promise it was last given.
pub struct PromisedLine {
    /// The line.
    pub line: Reservation,
    /// Its promise.
    pub promise: Option<Promise>,
}

/// Waiting lines of `sku` in queue order after `after`, with their
/// promises: the same index range read as allocation's.
pub async fn promised_queue<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    after: Option<&QueueKey>,
    limit: u64,
) -> ServiceResult<Vec<PromisedLine>> {
    let rows = queue_query(sku, after, limit).all(conn).await?;
    let promises: Vec<Option<Promise>> = rows.iter().map(reservation::Model::promise).collect();
    Ok(lines(rows)?
        .into_iter()
        .zip(promises)
        .map(|(line, promise)| PromisedLine { line, promise })
        .collect())
}

/// Writes the promise of reservation `id` (none clears it).
pub async fn set_promise<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    promise: Option<&Promise>,
) -> ServiceResult<()> {
    reservation::Entity::update_many()
        .col_expr(Column::PromisedFrom, Expr::value(promise.map(|p| p.from)))
        .col_expr(Column::PromisedTo, Expr::value(promise.map(|p| p.to)))
        .col_expr(
            Column::PromisedPo,
            Expr::value(promise.and_then(|p| p.purchase_order_id.clone())),
        )
        .filter(Column::Id.eq(id.to_string()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Inserts the reservations of an order's lines, each with its promise, in
/// one statement.
pub async fn insert_promised<C: ConnectionTrait>(
    conn: &C,
    lines: &[(Reservation, Option<Promise>)],
) -> ServiceResult<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let rows = lines.iter().map(|(line, promise)| {
        reservation::ActiveModel::from(reservation::Model {
            promised_from: promise.as_ref().map(|p| p.from),
            promised_to: promise.as_ref().map(|p| p.to),
            promised_po: promise.as_ref().and_then(|p| p.purchase_order_id.clone()),
            ..reservation::Model::from(line)
        })
    });
    reservation::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The promises of reservations `ids` that have one.
pub async fn promises_of<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> ServiceResult<std::collections::HashMap<Uuid, Promise>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows = reservation::Entity::find()
        .filter(Column::Id.is_in(ids.iter().map(Uuid::to_string)))
        .filter(Column::PromisedFrom.is_not_null())
        .all(conn)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| Some((Uuid::try_parse(&row.id).ok()?, row.promise()?)))
        .collect())
}
