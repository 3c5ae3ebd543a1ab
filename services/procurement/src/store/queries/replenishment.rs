//! Replenishment: policies, what is on order of some SKUs, and the open
//! replenishment demand of a SKU (at most one: the partial unique index
//! `demand_one_open_replenishment`).

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TryInsertResult,
};

use super::demands::open;
use crate::domain::PoStatus;
use crate::store::m20261205_000203_replenishment::OPEN_REPLENISHMENT;
use crate::store::{demand, purchase_order, purchase_order_line, replenishment_policy};

/// Stores a SKU's policy, replacing the one it had, in one statement: two
/// callers setting the same SKU at once both succeed, the later one last.
pub async fn upsert_policy<C: ConnectionTrait>(
    conn: &C,
    model: replenishment_policy::Model,
) -> Result<(), DbErr> {
    use replenishment_policy::Column;
    replenishment_policy::Entity::insert(replenishment_policy::ActiveModel::from(model))
        .on_conflict(
            OnConflict::column(Column::Sku)
                .update_columns([
                    Column::Enabled,
                    Column::ServiceLevelPercent,
                    Column::HistoryDays,
                    Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// A SKU's policy.
pub async fn find_policy<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
) -> Result<Option<replenishment_policy::Model>, DbErr> {
    replenishment_policy::Entity::find_by_id(sku.to_owned())
        .one(conn)
        .await
}

/// Enabled policies with SKU after `after`, by SKU.
pub async fn enabled_policies<C: ConnectionTrait>(
    conn: &C,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<replenishment_policy::Model>, DbErr> {
    use replenishment_policy::Column;
    let mut query = replenishment_policy::Entity::find()
        .filter(Column::Enabled.eq(true))
        .order_by_asc(Column::Sku)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(Column::Sku.gt(after));
    }
    query.all(conn).await
}

/// Units of each of `skus` on order: ordered and not yet received, on
/// purchase orders that will still bring stock (drafts, submitted,
/// acknowledged, partly received; never drop-ship ones, whose goods go to
/// customers). SKUs with none are left out.
pub async fn on_order<C: ConnectionTrait>(
    conn: &C,
    skus: &[String],
) -> Result<BTreeMap<String, i64>, DbErr> {
    use purchase_order_line::Column;
    if skus.is_empty() {
        return Ok(BTreeMap::new());
    }
    let open_stock_orders = Query::select()
        .column(purchase_order::Column::Id)
        .from(purchase_order::Entity)
        .and_where(purchase_order::Column::Status.is_in([
            PoStatus::Draft.code(),
            PoStatus::Submitted.code(),
            PoStatus::Acknowledged.code(),
            PoStatus::PartiallyReceived.code(),
        ]))
        .and_where(purchase_order::Column::DropShip.eq(false))
        .to_owned();
    let lines = purchase_order_line::Entity::find()
        .filter(Column::Sku.is_in(skus.iter().cloned()))
        .filter(Column::PurchaseOrderId.in_subquery(open_stock_orders))
        .all(conn)
        .await?;
    let mut units = BTreeMap::new();
    for line in lines {
        let awaited = line
            .ordered_quantity
            .saturating_sub(line.received_quantity)
            .max(0);
        let total: &mut i64 = units.entry(line.sku).or_default();
        *total = total.saturating_add(awaited);
    }
    Ok(units)
}

/// The open replenishment demand of each of `skus` that has one.
pub async fn open_demands<C: ConnectionTrait>(
    conn: &C,
    skus: &[String],
) -> Result<BTreeMap<String, demand::Model>, DbErr> {
    use demand::Column;
    if skus.is_empty() {
        return Ok(BTreeMap::new());
    }
    let rows = demand::Entity::find()
        .filter(Column::Sku.is_in(skus.iter().cloned()))
        .filter(Column::Replenishment.eq(true))
        .filter(open())
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|d| (d.sku.clone(), d)).collect())
}

/// Inserts replenishment demand `model` unless its SKU has an open one;
/// `false` when it does. On PostgreSQL an insert racing another
/// transaction's uncommitted one waits for it, then does nothing if that
/// one committed: a replica that loses the race learns it quietly.
pub async fn insert_demand_if_none_open<C: ConnectionTrait>(
    conn: &C,
    model: demand::Model,
) -> Result<bool, DbErr> {
    // Written as the index's own predicate, literally: SQLite matches a
    // partial index's conflict target only by its exact terms.
    let target = OnConflict::column(demand::Column::Sku)
        .target_and_where(Expr::cust(OPEN_REPLENISHMENT))
        .do_nothing()
        .to_owned();
    let inserted = demand::Entity::insert(demand::ActiveModel::from(model))
        .on_conflict(target)
        .try_insert()
        .exec_without_returning(conn)
        .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(n) if n > 0))
}

/// Closes the open replenishment demand of `sku` on purchase order
/// `purchase_order_id`: its line was fully received at `now`. Rows changed.
pub async fn close_received<C: ConnectionTrait>(
    conn: &C,
    purchase_order_id: &str,
    sku: &str,
    now: i64,
) -> Result<u64, DbErr> {
    use demand::Column;
    let result = demand::Entity::update_many()
        .col_expr(Column::ReceivedAt, Expr::value(now))
        .filter(Column::PurchaseOrderId.eq(purchase_order_id))
        .filter(Column::Sku.eq(sku))
        .filter(Column::Replenishment.eq(true))
        .filter(open())
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}
