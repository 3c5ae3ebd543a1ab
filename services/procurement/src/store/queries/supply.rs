//! A SKU's inbound supply, as reported to inventory: its open stock
//! purchase-order lines and the revision of the report.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::domain::PoStatus;
use crate::store::{purchase_order, purchase_order_line, supplier};

/// Takes `sku`'s report row (created at revision 1, else bumped by one)
/// and returns the new revision. The row stays locked until the unit ends,
/// so a concurrent report of the SKU waits and then reads what this unit
/// committed.
pub async fn next_revision<C: ConnectionTrait>(conn: &C, sku: &str) -> Result<i64, DbErr> {
    let table = Alias::new("inbound_revision");
    let revision = Alias::new("revision");
    let statement = Query::insert()
        .into_table(table.clone())
        .columns([Alias::new("sku"), revision.clone()])
        .values_panic([sku.into(), 1i64.into()])
        .on_conflict(
            OnConflict::column(Alias::new("sku"))
                .value(
                    revision.clone(),
                    Expr::col((table, revision.clone())).add(1i64),
                )
                .to_owned(),
        )
        .returning_col(revision)
        .to_owned();
    let row = conn
        .query_one_raw(conn.get_database_backend().build(&statement))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("inbound revision of {sku}")))?;
    row.try_get("", "revision")
}

/// An open stock purchase-order line of a SKU with what its date needs.
pub struct OpenLine {
    /// The line.
    pub line: purchase_order_line::Model,
    /// Its purchase order.
    pub po: purchase_order::Model,
    /// The supplier's lead time.
    pub lead_time_days: i32,
}

/// Lines of `sku` on purchase orders sent to suppliers and still bringing
/// stock (submitted, acknowledged, partly received; never drafts, which
/// nobody has agreed to, nor drop-ship ones, whose goods go to customers).
pub async fn open_lines<C: ConnectionTrait>(conn: &C, sku: &str) -> Result<Vec<OpenLine>, DbErr> {
    let open_stock_orders = Query::select()
        .column(purchase_order::Column::Id)
        .from(purchase_order::Entity)
        .and_where(purchase_order::Column::Status.is_in([
            PoStatus::Submitted.code(),
            PoStatus::Acknowledged.code(),
            PoStatus::PartiallyReceived.code(),
        ]))
        .and_where(purchase_order::Column::DropShip.eq(false))
        .to_owned();
    let lines = purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::Sku.eq(sku))
        .filter(purchase_order_line::Column::PurchaseOrderId.in_subquery(open_stock_orders))
        .all(conn)
        .await?;
    if lines.is_empty() {
        return Ok(Vec::new());
    }
    let pos: BTreeMap<String, purchase_order::Model> = purchase_order::Entity::find()
        .filter(purchase_order::Column::Id.is_in(lines.iter().map(|l| l.purchase_order_id.clone())))
        .all(conn)
        .await?
        .into_iter()
        .map(|po| (po.id.clone(), po))
        .collect();
    let lead_times: BTreeMap<String, i32> = supplier::Entity::find()
        .filter(supplier::Column::Id.is_in(pos.values().map(|po| po.supplier_id.clone())))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id, s.lead_time_days))
        .collect();
    Ok(lines
        .into_iter()
        .filter_map(|line| {
            let po = pos.get(&line.purchase_order_id)?.clone();
            let lead_time_days = lead_times.get(&po.supplier_id).copied().unwrap_or(0);
            Some(OpenLine {
                line,
                po,
                lead_time_days,
            })
        })
        .collect())
}
