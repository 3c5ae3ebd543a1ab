//! Order lines, read with where their ready units are.

use backorder_platform::ServiceResult;
use backorder_platform::time::now_ms;
use sea_orm::sea_query::{CaseStatement, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::super::order_line::{self, Column};
use super::super::rows::read_all;
use super::parts::settle_lines;
use crate::domain::Line;

/// An order's lines in order.
pub async fn lines_of<C: ConnectionTrait>(conn: &C, order_id: Uuid) -> ServiceResult<Vec<Line>> {
    let rows = order_line::Entity::find()
        .filter(Column::OrderId.eq(order_id.to_string()))
        .order_by_asc(Column::LineNo)
        .all(conn)
        .await?;
    settle_lines(conn, &[order_id], read_all(rows)?).await
}

/// Lines of several orders.
pub async fn lines_of_orders<C: ConnectionTrait>(
    conn: &C,
    order_ids: &[Uuid],
) -> ServiceResult<Vec<Line>> {
    let rows = order_line::Entity::find()
        .filter(Column::OrderId.is_in(order_ids.iter().map(Uuid::to_string)))
        .order_by_asc(Column::LineNo)
        .all(conn)
        .await?;
    settle_lines(conn, order_ids, read_all(rows)?).await
}

/// Writes a line's mutable fields.
pub async fn update_line<C: ConnectionTrait>(conn: &C, line: &Line) -> ServiceResult<()> {
    order_line::Entity::update_many()
        .col_expr(
            Column::ReservedQuantity,
            Expr::value(line.reserved_quantity),
        )
        .col_expr(
            Column::BackorderedQuantity,
            Expr::value(line.backordered_quantity),
        )
        .col_expr(Column::Status, Expr::value(line.status.code()))
        .col_expr(Column::Eta, Expr::value(line.eta))
        .col_expr(Column::EtaLatest, Expr::value(line.eta_latest))
        .col_expr(
            Column::PurchaseOrderId,
            Expr::value(line.purchase_order_id.map(|id| id.to_string())),
        )
        .col_expr(
            Column::ShipmentId,
            Expr::value(line.shipment_id.map(|id| id.to_string())),
        )
        .col_expr(Column::ShippedQuantity, Expr::value(line.shipped_quantity))
        .col_expr(Column::ReadyQuantity, Expr::value(line.ready_quantity))
        .col_expr(Column::DropShip, Expr::value(line.drop_ship))
        .col_expr(Column::UpdatedAt, Expr::value(now_ms()))
        .filter(Column::Id.eq(line.id.to_string()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Writes the mutable fields of several lines with one statement (a CASE
/// per column on the line id), whatever their number.
pub async fn update_lines<C: ConnectionTrait>(conn: &C, lines: &[Line]) -> ServiceResult<()> {
    let Some((first, rest)) = lines.split_first() else {
        return Ok(());
    };
    let per_line = |value: &dyn Fn(&Line) -> Expr| -> Expr {
        rest.iter()
            .fold(
                CaseStatement::new().case(Column::Id.eq(first.id.to_string()), value(first)),
                |case, line| case.case(Column::Id.eq(line.id.to_string()), value(line)),
            )
            .into()
    };
    order_line::Entity::update_many()
        .col_expr(
            Column::ReservedQuantity,
            per_line(&|l| Expr::value(l.reserved_quantity)),
        )
        .col_expr(
            Column::BackorderedQuantity,
            per_line(&|l| Expr::value(l.backordered_quantity)),
        )
        .col_expr(Column::Status, per_line(&|l| Expr::value(l.status.code())))
        .col_expr(Column::Eta, per_line(&|l| Expr::value(l.eta)))
        .col_expr(Column::EtaLatest, per_line(&|l| Expr::value(l.eta_latest)))
        .col_expr(
            Column::PurchaseOrderId,
            per_line(&|l| Expr::value(l.purchase_order_id.map(|id| id.to_string()))),
        )
        .col_expr(
            Column::ShipmentId,
            per_line(&|l| Expr::value(l.shipment_id.map(|id| id.to_string()))),
        )
        .col_expr(
            Column::ShippedQuantity,
            per_line(&|l| Expr::value(l.shipped_quantity)),
        )
        .col_expr(
            Column::ReadyQuantity,
            per_line(&|l| Expr::value(l.ready_quantity)),
        )
        .col_expr(Column::DropShip, per_line(&|l| Expr::value(l.drop_ship)))
        .col_expr(Column::UpdatedAt, Expr::value(now_ms()))
        .filter(Column::Id.is_in(lines.iter().map(|l| l.id.to_string())))
        .exec(conn)
        .await?;
    Ok(())
}

/// Writes what a line is (its SKU and units), which only ChangeOrderLine
/// changes; [`update_line`] writes the rest.
pub async fn set_line_item<C: ConnectionTrait>(conn: &C, line: &Line) -> ServiceResult<()> {
    order_line::Entity::update_many()
        .col_expr(Column::Sku, Expr::value(line.sku.clone()))
        .col_expr(Column::Quantity, Expr::value(line.quantity))
        .col_expr(Column::UpdatedAt, Expr::value(now_ms()))
        .filter(Column::Id.eq(line.id.to_string()))
        .exec(conn)
        .await?;
    Ok(())
}
