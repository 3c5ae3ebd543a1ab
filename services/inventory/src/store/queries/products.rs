//! Products.

use backorder_platform::ServiceResult;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::DEFAULT_WAREHOUSE;
use crate::domain::{Product, StockPosition};
use crate::store::{product, stock_level};

/// A product by SKU.
pub async fn find_product<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
) -> ServiceResult<Option<Product>> {
    product::Entity::find_by_id(sku.to_owned())
        .one(conn)
        .await?
        .map(Product::try_from)
        .transpose()
}

/// Products by SKU, for several SKUs in one read.
pub async fn find_products<C: ConnectionTrait>(
    conn: &C,
    skus: &[&str],
) -> ServiceResult<std::collections::BTreeMap<String, Product>> {
    product::Entity::find()
        .filter(product::Column::Sku.is_in(skus.iter().map(|s| (*s).to_owned())))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| Product::try_from(row).map(|p| (p.sku.clone(), p)))
        .collect()
}

/// Products with SKU after `after`, by SKU.
pub async fn list_products<C: ConnectionTrait>(
    conn: &C,
    after: Option<&str>,
    limit: u64,
) -> ServiceResult<Vec<Product>> {
    let mut query = product::Entity::find()
        .order_by_asc(product::Column::Sku)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(product::Column::Sku.gt(after));
    }
    query
        .all(conn)
        .await?
        .into_iter()
        .map(Product::try_from)
        .collect()
}

/// Inserts a product with an empty stock level.
pub async fn insert_product<C: ConnectionTrait>(
    conn: &C,
    product: &Product,
) -> ServiceResult<StockPosition> {
    product::ActiveModel::from(product::Model::from(product))
        .insert(conn)
        .await?;
    let stock = stock_level::ActiveModel {
        sku: Set(product.sku.clone()),
        warehouse: Set(DEFAULT_WAREHOUSE.to_owned()),
        on_hand: Set(0),
        reserved: Set(0),
        backordered: Set(0),
        waiting_lines: Set(0),
        updated_at: Set(product.created_at),
    }
    .insert(conn)
    .await?;
    Ok(StockPosition::from(&stock))
}
