//! Shipments.

use std::collections::HashMap;

use backorder_platform::ServiceResult;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::super::rows::CorruptRow;
use super::super::rows::read_all;
use super::super::shipment::{self, Column};
use super::super::shipment_item;
use crate::domain::{Origin, Shipment, ShipmentStatus};

/// Shipments of several orders, oldest first.
pub async fn shipments_of_orders<C: ConnectionTrait>(
    conn: &C,
    order_ids: &[Uuid],
) -> ServiceResult<Vec<Shipment>> {
    let rows = shipment::Entity::find()
        .filter(Column::OrderId.is_in(order_ids.iter().map(Uuid::to_string)))
        .order_by_asc(Column::Id)
        .all(conn)
        .await?;
    with_items(conn, read_all(rows)?).await
}

/// The shipments of one bundled parcel, by id.
pub async fn shipments_of_bundle<C: ConnectionTrait>(
    conn: &C,
    bundle_id: Uuid,
) -> ServiceResult<Vec<Shipment>> {
    let rows = shipment::Entity::find()
        .filter(Column::BundleId.eq(bundle_id.to_string()))
        .order_by_asc(Column::Id)
        .all(conn)
        .await?;
    with_items(conn, read_all(rows)?).await
}

/// How many parcels an order has had from the merchant's warehouses: what
/// its ship policy counts (the supplier's drop shipments are not its
/// parcels).
pub async fn count_parcels<C: ConnectionTrait>(conn: &C, order_id: Uuid) -> ServiceResult<u32> {
    let count = shipment::Entity::find()
        .filter(Column::OrderId.eq(order_id.to_string()))
        .filter(Column::DropShip.eq(false))
        .count(conn)
        .await?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// A shipment by id.
pub async fn find_shipment<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> ServiceResult<Option<Shipment>> {
    let row = shipment::Entity::find_by_id(id.to_string())
        .one(conn)
        .await?;
    let found: Vec<Shipment> = row
        .map(Shipment::try_from)
        .transpose()?
        .into_iter()
        .collect();
    Ok(with_items(conn, found).await?.pop())
}

/// The drop shipment an order already has for a purchase order, if any.
pub async fn find_drop_shipment<C: ConnectionTrait>(
    conn: &C,
    order_id: Uuid,
    purchase_order_id: Uuid,
) -> ServiceResult<Option<Shipment>> {
    let rows = shipment::Entity::find()
        .filter(Column::OrderId.eq(order_id.to_string()))
        .filter(Column::PurchaseOrderId.eq(purchase_order_id.to_string()))
        .all(conn)
        .await?;
    Ok(with_items(conn, read_all(rows)?).await?.pop())
}

/// The shipments with the units of each line they carried (one read).
async fn with_items<C: ConnectionTrait>(
    conn: &C,
    mut shipments: Vec<Shipment>,
) -> ServiceResult<Vec<Shipment>> {
    if shipments.is_empty() {
        return Ok(shipments);
    }
    let rows = shipment_item::Entity::find()
        .filter(shipment_item::Column::ShipmentId.is_in(shipments.iter().map(|s| s.id.to_string())))
        .all(conn)
        .await?;
    let mut by_shipment: HashMap<String, Vec<(Uuid, i64)>> = HashMap::new();
    for row in rows {
        let line_id = Uuid::try_parse(&row.line_id).map_err(|_| CorruptRow {
            table: "shipment_item",
            id: row.shipment_id.clone(),
            problem: format!("line_id {:?} is not a UUID", row.line_id),
        })?;
        by_shipment
            .entry(row.shipment_id)
            .or_default()
            .push((line_id, row.quantity));
    }
    for shipment in &mut shipments {
        shipment.items = by_shipment
            .remove(&shipment.id.to_string())
            .unwrap_or_default();
    }
    Ok(shipments)
}

/// Inserts a shipment.
pub async fn insert_shipment<C: ConnectionTrait>(conn: &C, model: &Shipment) -> ServiceResult<()> {
    shipment::ActiveModel::from(shipment::Model {
        id: model.id.to_string(),
        order_id: model.order_id.to_string(),
        tracking_number: model.tracking_number.clone(),
        carrier: model.carrier.clone(),
        status: model.status.code(),
        shipped_at: model.shipped_at,
        delivered_at: model.delivered_at,
        bundle_id: model.bundle_id.map(|id| id.to_string()),
        warehouse: model
            .warehouse()
            .map(|code| code.as_str().to_owned())
            .unwrap_or_default(),
        drop_ship: matches!(model.origin, Origin::Supplier { .. }),
        purchase_order_id: model.purchase_order_id().map(|id| id.to_string()),
    })
    .insert(conn)
    .await?;
    let items = model.items.iter().map(|(line_id, quantity)| {
        shipment_item::ActiveModel::from(shipment_item::Model {
            shipment_id: model.id.to_string(),
            line_id: line_id.to_string(),
            order_id: model.order_id.to_string(),
            quantity: *quantity,
        })
    });
    if !model.items.is_empty() {
        shipment_item::Entity::insert_many(items)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Marks a shipment delivered.
pub async fn set_shipment_delivered<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    at: i64,
) -> ServiceResult<()> {
    shipment::Entity::update_many()
        .col_expr(
            Column::Status,
            Expr::value(ShipmentStatus::Delivered.code()),
        )
        .col_expr(Column::DeliveredAt, Expr::value(at))
        .filter(Column::Id.eq(id.to_string()))
        .exec(conn)
        .await?;
    Ok(())
}
