//! Shipments.

use backorder_platform::ServiceResult;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::super::rows::read_all;
use super::super::shipment::{self, Column};
use crate::domain::{Shipment, ShipmentStatus};

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
    Ok(read_all(rows)?)
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
    Ok(read_all(rows)?)
}

/// How many shipments an order has had.
pub async fn count_shipments<C: ConnectionTrait>(conn: &C, order_id: Uuid) -> ServiceResult<u32> {
    let count = shipment::Entity::find()
        .filter(Column::OrderId.eq(order_id.to_string()))
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
    Ok(row.map(Shipment::try_from).transpose()?)
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
    })
    .insert(conn)
    .await?;
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
