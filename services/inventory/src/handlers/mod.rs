//! The RPCs, one file per family. Each handler parses its request into a
//! command, runs one unit of work (which claims the request id first, so a
//! concurrent twin waits and then gets the stored answer) and converts the
//! answer. The rules themselves live in [`crate::domain`].

mod allocation;
mod backlog;
mod changes;
mod history;
mod products;
mod promises;
mod queue;
mod reservations;
mod shipments;
mod stock;
mod warehouses;

use backorder_platform::ServiceResult;
use backorder_platform::service::ServiceContext;
use backorder_platform::warehouse::WarehouseCode;
use backorder_proto::inventory::v1 as pb;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::domain::{Reservation, SkuStock};
use crate::store::queries;
use crate::{convert, wording};

/// The inventory gRPC service.
#[derive(Clone)]
pub struct InventoryApi {
    context: ServiceContext,
}

impl InventoryApi {
    /// Serves from the service's context (database, unit of work).
    pub fn new(context: ServiceContext) -> Self {
        Self { context }
    }
}

/// Locks `sku` (its product row, see [`queries::lock_products`]) and
/// returns its stock as it is now, after any change that committed while
/// this call waited.
async fn lock_stock<C: ConnectionTrait>(conn: &C, sku: &str) -> ServiceResult<SkuStock> {
    if queries::lock_products(conn, &[sku]).await?.is_empty() {
        return Err(wording::product_not_found(sku));
    }
    queries::find_stock(conn, sku)
        .await?
        .ok_or_else(|| wording::product_not_found(sku))
}

/// [`lock_stock`] for a movement in `warehouse`, which must exist: its
/// shelf for the SKU is opened when it has none yet.
async fn lock_stock_in<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    warehouse: &WarehouseCode,
) -> ServiceResult<SkuStock> {
    if warehouse.as_str() != WarehouseCode::DEFAULT
        && queries::find_warehouse(conn, warehouse).await?.is_none()
    {
        return Err(wording::warehouse_not_found(warehouse));
    }
    let stock = lock_stock(conn, sku).await?;
    if stock.shelves().contains_key(warehouse) {
        return Ok(stock);
    }
    queries::open_shelf(conn, sku, warehouse).await?;
    queries::find_stock(conn, sku)
        .await?
        .ok_or_else(|| wording::product_not_found(sku))
}

/// Locks the SKU of an order line, then reads the line under the lock: as
/// it is now, after any change that committed while this call waited. The
/// first, unlocked read is only used to find which SKU to lock; a line
/// given another SKU meanwhile (ChangeReservation) is refused with
/// `ABORTED`, and a retry locks the new SKU.
async fn lock_line<C: ConnectionTrait>(
    conn: &C,
    order_id: Uuid,
    line_id: Uuid,
) -> ServiceResult<(SkuStock, Reservation)> {
    let not_found = || wording::reservation_not_found(order_id, line_id);
    let found = queries::find_reservation(conn, order_id, line_id)
        .await?
        .ok_or_else(not_found)?;
    let stock = lock_stock(conn, &found.sku).await?;
    let line = queries::find_reservation(conn, order_id, line_id)
        .await?
        .ok_or_else(not_found)?;
    if line.sku != found.sku {
        return Err(wording::line_changed_meanwhile(line_id));
    }
    Ok((stock, line))
}

/// The product as it stands after a stock movement inside `conn`.
async fn product_after_move<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    stock: &SkuStock,
) -> ServiceResult<pb::Product> {
    let product = queries::find_product(conn, sku)
        .await?
        .ok_or_else(|| wording::product_not_found(sku))?;
    Ok(convert::product(&product, stock))
}
