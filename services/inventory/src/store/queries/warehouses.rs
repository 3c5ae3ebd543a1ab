//! Warehouses.

use std::collections::BTreeMap;

use backorder_platform::ServiceResult;
use backorder_platform::warehouse::WarehouseCode;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::domain::Warehouse;
use crate::store::warehouse::{self, Column};

/// A warehouse by code.
pub async fn find_warehouse<C: ConnectionTrait>(
    conn: &C,
    code: &WarehouseCode,
) -> ServiceResult<Option<Warehouse>> {
    Ok(warehouse::Entity::find_by_id(code.to_string())
        .one(conn)
        .await?
        .map(Warehouse::from))
}

/// Stores a new warehouse.
pub async fn insert_warehouse<C: ConnectionTrait>(conn: &C, new: &Warehouse) -> ServiceResult<()> {
    warehouse::ActiveModel::from(warehouse::Model::from(new))
        .insert(conn)
        .await?;
    Ok(())
}

/// Every warehouse's rank: the order stock is taken in. Warehouses are
/// few and their ranks fixed once created.
pub async fn warehouse_ranks<C: ConnectionTrait>(
    conn: &C,
) -> ServiceResult<BTreeMap<WarehouseCode, i32>> {
    let rows: Vec<(String, i32)> = warehouse::Entity::find()
        .select_only()
        .column(Column::Code)
        .column(Column::Rank)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(code, rank)| (WarehouseCode::stored(code), rank))
        .collect())
}

/// Warehouses in rank order (ties by code), after `after` (rank, code).
pub async fn list_warehouses<C: ConnectionTrait>(
    conn: &C,
    after: Option<(i32, &str)>,
    limit: u64,
) -> ServiceResult<Vec<Warehouse>> {
    let mut query = warehouse::Entity::find()
        .order_by_asc(Column::Rank)
        .order_by_asc(Column::Code)
        .limit(limit);
    if let Some((rank, code)) = after {
        query = query.filter(
            Condition::any().add(Column::Rank.gt(rank)).add(
                Condition::all()
                    .add(Column::Rank.eq(rank))
                    .add(Column::Code.gt(code)),
            ),
        );
    }
    Ok(query
        .all(conn)
        .await?
        .into_iter()
        .map(Warehouse::from)
        .collect())
}
