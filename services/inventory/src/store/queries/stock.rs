//! Stock levels: the row every change to a SKU locks first.

use std::collections::BTreeMap;

use backorder_platform::ServiceResult;
use backorder_platform::time::now_ms;
use sea_orm::sea_query::{CaseStatement, Condition, Expr, LockType};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{DEFAULT_WAREHOUSE, changed_meanwhile};
use crate::domain::StockPosition;
use crate::store::stock_level;

/// A product's stock level in the default warehouse.
pub async fn find_stock<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
) -> ServiceResult<Option<StockPosition>> {
    let row = stock_level::Entity::find_by_id((sku.to_owned(), DEFAULT_WAREHOUSE.to_owned()))
        .one(conn)
        .await?;
    Ok(row.as_ref().map(StockPosition::from))
}

/// Stock levels of several SKUs, by SKU.
pub async fn find_stocks<C: ConnectionTrait>(
    conn: &C,
    skus: Vec<String>,
) -> ServiceResult<BTreeMap<String, StockPosition>> {
    let rows = stock_level::Entity::find()
        .filter(stock_level::Column::Sku.is_in(skus))
        .filter(stock_level::Column::Warehouse.eq(DEFAULT_WAREHOUSE))
        .all(conn)
        .await?;
    Ok(rows
        .iter()
        .map(|row| (row.sku.clone(), StockPosition::from(row)))
        .collect())
}

/// Locks a SKU's stock row for the rest of the transaction (PostgreSQL
/// `FOR UPDATE`; SQLite has a single writer) and returns it as it is now,
/// after any transaction it waited for. Lock several SKUs in SKU order so
/// concurrent transactions never deadlock.
pub async fn lock_stock<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
) -> ServiceResult<Option<StockPosition>> {
    let row = stock_level::Entity::find_by_id((sku.to_owned(), DEFAULT_WAREHOUSE.to_owned()))
        .lock(LockType::Update)
        .one(conn)
        .await?;
    Ok(row.as_ref().map(StockPosition::from))
}

/// Locks the stock rows of several SKUs with one statement, in SKU order
/// (PostgreSQL locks rows as the sorted scan returns them, so concurrent
/// callers never deadlock), and returns them as they are now.
pub async fn lock_stocks<C: ConnectionTrait>(
    conn: &C,
    skus: &[&str],
) -> ServiceResult<BTreeMap<String, StockPosition>> {
    let rows = stock_level::Entity::find()
        .filter(stock_level::Column::Sku.is_in(skus.iter().map(|s| (*s).to_owned())))
        .filter(stock_level::Column::Warehouse.eq(DEFAULT_WAREHOUSE))
        .order_by_asc(stock_level::Column::Sku)
        .lock(LockType::Update)
        .all(conn)
        .await?;
    Ok(rows
        .iter()
        .map(|row| (row.sku.clone(), StockPosition::from(row)))
        .collect())
}

/// Writes `after` over the stock position of `sku`, provided it still is
/// `before`.
pub async fn save_stock<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    before: StockPosition,
    after: StockPosition,
) -> ServiceResult<()> {
    use stock_level::Column;
    if before == after {
        return Ok(());
    }
    let written = stock_level::Entity::update_many()
        .col_expr(Column::OnHand, Expr::value(after.on_hand))
        .col_expr(Column::Reserved, Expr::value(after.reserved))
        .col_expr(Column::Backordered, Expr::value(after.backordered))
        .col_expr(Column::WaitingLines, Expr::value(after.waiting_lines))
        .col_expr(Column::UpdatedAt, Expr::value(now_ms()))
        .filter(Column::Sku.eq(sku))
        .filter(Column::Warehouse.eq(DEFAULT_WAREHOUSE))
        .filter(Column::OnHand.eq(before.on_hand))
        .filter(Column::Reserved.eq(before.reserved))
        .filter(Column::Backordered.eq(before.backordered))
        .exec(conn)
        .await?;
    if written.rows_affected == 1 {
        Ok(())
    } else {
        Err(changed_meanwhile(&format!("the stock of {sku}")))
    }
}

/// Writes every changed position of `changes` (SKU, before, after) with one
/// statement, provided each row still is `before`; unchanged SKUs are
/// skipped. One round trip whatever the order's size.
pub async fn save_stocks<C: ConnectionTrait>(
    conn: &C,
    changes: &[(&str, StockPosition, StockPosition)],
) -> ServiceResult<()> {
    use stock_level::Column;
    let changed: Vec<_> = changes
        .iter()
        .filter(|(_, before, after)| before != after)
        .collect();
    let Some(((first_sku, _, first_after), rest)) = changed.split_first().map(|(f, r)| (*f, r))
    else {
        return Ok(());
    };
    // CASE per column: the value of the row's SKU.
    let column_case = |value: fn(&StockPosition) -> i64| -> Expr {
        rest.iter()
            .fold(
                CaseStatement::new().case(Column::Sku.eq(*first_sku), value(first_after)),
                |case, (sku, _, after)| case.case(Column::Sku.eq(*sku), value(after)),
            )
            .into()
    };
    let still_before = changed
        .iter()
        .fold(Condition::any(), |any, (sku, before, _)| {
            any.add(
                Condition::all()
                    .add(Column::Sku.eq(*sku))
                    .add(Column::OnHand.eq(before.on_hand))
                    .add(Column::Reserved.eq(before.reserved))
                    .add(Column::Backordered.eq(before.backordered)),
            )
        });
    let written = stock_level::Entity::update_many()
        .col_expr(Column::OnHand, column_case(|p| p.on_hand))
        .col_expr(Column::Reserved, column_case(|p| p.reserved))
        .col_expr(Column::Backordered, column_case(|p| p.backordered))
        .col_expr(Column::WaitingLines, column_case(|p| p.waiting_lines))
        .col_expr(Column::UpdatedAt, Expr::value(now_ms()))
        .filter(Column::Warehouse.eq(DEFAULT_WAREHOUSE))
        .filter(still_before)
        .exec(conn)
        .await?;
    if written.rows_affected == changed.len() as u64 {
        Ok(())
    } else {
        Err(changed_meanwhile("the stock of the order's SKUs"))
    }
}
