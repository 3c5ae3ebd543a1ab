//! Stock shelves: one row per SKU and warehouse. A SKU's rows change only
//! under its product row's lock (see `lock_products`), so they are read
//! plainly after it: a fresh statement sees every shelf committed before
//! the lock was granted, including one another call just opened.

use std::collections::BTreeMap;

use backorder_platform::ServiceResult;
use backorder_platform::time::now_ms;
use backorder_platform::warehouse::WarehouseCode;
use sea_orm::sea_query::{CaseStatement, Condition, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::changed_meanwhile;
use crate::domain::{SkuStock, StockPosition};
use crate::store::stock_level::{self, Column};

/// The stock of each of `skus` that exists, by SKU.
pub async fn find_stocks<C: ConnectionTrait>(
    conn: &C,
    skus: &[&str],
) -> ServiceResult<BTreeMap<String, SkuStock>> {
    let rows = stock_level::Entity::find()
        .filter(Column::Sku.is_in(skus.iter().map(|s| (*s).to_owned())))
        .all(conn)
        .await?;
    let mut shelves: BTreeMap<String, BTreeMap<WarehouseCode, StockPosition>> = BTreeMap::new();
    for row in rows {
        let position = StockPosition::from(&row);
        shelves
            .entry(row.sku)
            .or_default()
            .insert(WarehouseCode::stored(row.warehouse), position);
    }
    Ok(shelves
        .into_iter()
        .filter_map(|(sku, shelves)| SkuStock::new(shelves).map(|stock| (sku, stock)))
        .collect())
}

/// The stock of one SKU, if it exists.
pub async fn find_stock<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
) -> ServiceResult<Option<SkuStock>> {
    Ok(find_stocks(conn, &[sku]).await?.remove(sku))
}

/// Opens an empty shelf for `sku` in `warehouse` unless it has one. Call
/// under the SKU's lock, so no other call opens the same shelf meanwhile.
pub async fn open_shelf<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    warehouse: &WarehouseCode,
) -> ServiceResult<()> {
    stock_level::Entity::insert(stock_level::ActiveModel {
        sku: Set(sku.to_owned()),
        warehouse: Set(warehouse.to_string()),
        on_hand: Set(0),
        reserved: Set(0),
        backordered: Set(0),
        waiting_lines: Set(0),
        updated_at: Set(now_ms()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Writes every changed shelf of `changes` (SKU, before, after) with one
/// statement, provided each row still is as `before` has it; unchanged
/// shelves are skipped. One round trip whatever the order's size. Every
/// shelf of `after` must exist (see [`open_shelf`]).
pub async fn save_stocks<C: ConnectionTrait>(
    conn: &C,
    changes: &[(&str, &SkuStock, &SkuStock)],
) -> ServiceResult<()> {
    let mut changed: Vec<(&str, &WarehouseCode, StockPosition, StockPosition)> = Vec::new();
    for (sku, before, after) in changes {
        for (warehouse, shelf) in after.shelves() {
            let was = before.shelves().get(warehouse).copied().unwrap_or_default();
            if was != *shelf {
                changed.push((sku, warehouse, was, *shelf));
            }
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let row = |sku: &str, warehouse: &WarehouseCode| {
        Condition::all()
            .add(Column::Sku.eq(sku))
            .add(Column::Warehouse.eq(warehouse.as_str()))
    };
    // CASE per column: the value of the row's SKU and warehouse.
    let column_case = |value: fn(&StockPosition) -> i64| -> Expr {
        changed
            .iter()
            .fold(CaseStatement::new(), |case, (sku, warehouse, _, after)| {
                case.case(row(sku, warehouse), value(after))
            })
            .into()
    };
    let still_before = changed
        .iter()
        .fold(Condition::any(), |any, (sku, warehouse, before, _)| {
            any.add(
                row(sku, warehouse)
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
        .filter(still_before)
        .exec(conn)
        .await?;
    if written.rows_affected == changed.len() as u64 {
        Ok(())
    } else {
        Err(changed_meanwhile("the stock of the request's SKUs"))
    }
}

/// [`save_stocks`] for one SKU.
pub async fn save_stock<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    before: &SkuStock,
    after: &SkuStock,
) -> ServiceResult<()> {
    save_stocks(conn, &[(sku, before, after)]).await
}
