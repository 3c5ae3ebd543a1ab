//! Products.

use backorder_platform::ServiceResult;
use backorder_platform::warehouse::WarehouseCode;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::domain::{Product, SkuStock};
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

/// Locks the product rows of `skus` for the rest of the transaction
/// (PostgreSQL `FOR UPDATE`; SQLite has a single writer) and returns them.
/// A product's row is its SKU's lock: every change to the SKU's shelves or
/// reservations takes it first. One statement, rows locked in SKU order
/// (PostgreSQL locks them as the sorted scan returns them), so concurrent
/// callers never deadlock.
pub async fn lock_products<C: ConnectionTrait>(
    conn: &C,
    skus: &[&str],
) -> ServiceResult<std::collections::BTreeMap<String, Product>> {
    product::Entity::find()
        .filter(product::Column::Sku.is_in(skus.iter().map(|s| (*s).to_owned())))
        .order_by_asc(product::Column::Sku)
        .lock(LockType::Update)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| Product::try_from(row).map(|p| (p.sku.clone(), p)))
        .collect()
}

/// Sets whether `sku` is drop-shipped; `false` when there is no such
/// product.
pub async fn set_drop_ship<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    drop_ship: bool,
) -> ServiceResult<bool> {
    let written = product::Entity::update_many()
        .col_expr(
            product::Column::DropShip,
            sea_orm::sea_query::Expr::value(drop_ship),
        )
        .filter(product::Column::Sku.eq(sku))
        .exec(conn)
        .await?;
    Ok(written.rows_affected == 1)
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

/// Inserts a product with an empty shelf in the default warehouse.
pub async fn insert_product<C: ConnectionTrait>(
    conn: &C,
    product: &Product,
) -> ServiceResult<SkuStock> {
    product::ActiveModel::from(product::Model::from(product))
        .insert(conn)
        .await?;
    stock_level::ActiveModel {
        sku: Set(product.sku.clone()),
        warehouse: Set(WarehouseCode::DEFAULT.to_owned()),
        on_hand: Set(0),
        reserved: Set(0),
        backordered: Set(0),
        waiting_lines: Set(0),
        updated_at: Set(product.created_at),
    }
    .insert(conn)
    .await?;
    Ok(SkuStock::empty())
}
