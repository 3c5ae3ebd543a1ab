//! Stored rows into replies. A stored status that is no known code is an
//! internal error, never passed on as a number the caller cannot read.

use std::collections::BTreeMap;

use backorder_platform::time::{to_timestamp, to_timestamp_opt};
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::procurement::v1 as pb;

use crate::domain::PoStatus;
use crate::store::{demand, purchase_order, purchase_order_line, supplier, supplier_item};

/// The status of a stored purchase order.
pub fn status(po: &purchase_order::Model) -> ServiceResult<PoStatus> {
    PoStatus::try_from(po.status)
        .map_err(|unknown| ServiceError::Internal(format!("purchase order {}: {unknown}", po.id)))
}

/// An offer.
pub fn item(item: &supplier_item::Model) -> pb::SupplierItem {
    pb::SupplierItem {
        supplier_id: item.supplier_id.clone(),
        sku: item.sku.clone(),
        unit_cost_minor: item.unit_cost_minor,
        minimum_order_quantity: item.minimum_order_quantity,
        case_pack: item.case_pack,
        preferred: item.preferred,
        drop_ship: item.drop_ship,
    }
}

/// A supplier with its offers.
pub fn supplier(supplier: &supplier::Model, items: &[supplier_item::Model]) -> pb::Supplier {
    pb::Supplier {
        id: supplier.id.clone(),
        name: supplier.name.clone(),
        lead_time_days: supplier.lead_time_days,
        items: items.iter().map(item).collect(),
        create_time: Some(to_timestamp(supplier.created_at)),
        auto_submit_hours: supplier.auto_submit_hours,
    }
}

/// Suppliers, each with its offers out of `items`.
pub fn suppliers(rows: &[supplier::Model], items: &[supplier_item::Model]) -> Vec<pb::Supplier> {
    let mut by_supplier: BTreeMap<&str, Vec<supplier_item::Model>> = BTreeMap::new();
    for offer in items {
        by_supplier
            .entry(offer.supplier_id.as_str())
            .or_default()
            .push(offer.clone());
    }
    rows.iter()
        .map(|s| {
            let items = by_supplier
                .get(s.id.as_str())
                .map_or(&[][..], Vec::as_slice);
            supplier(s, items)
        })
        .collect()
}

/// A purchase order line.
pub fn line(line: &purchase_order_line::Model) -> pb::PurchaseOrderLine {
    pb::PurchaseOrderLine {
        sku: line.sku.clone(),
        demand_quantity: line.demand_quantity,
        ordered_quantity: line.ordered_quantity,
        received_quantity: line.received_quantity,
        unit_cost_minor: line.unit_cost_minor,
    }
}

/// A purchase order with its lines.
pub fn purchase_order(
    po: &purchase_order::Model,
    lines: &[purchase_order_line::Model],
) -> ServiceResult<pb::PurchaseOrder> {
    Ok(pb::PurchaseOrder {
        id: po.id.clone(),
        supplier_id: po.supplier_id.clone(),
        status: status(po)?.code(),
        lines: lines.iter().map(line).collect(),
        promised_time: to_timestamp_opt(po.promised_at),
        create_time: Some(to_timestamp(po.created_at)),
        submit_time: to_timestamp_opt(po.submitted_at),
        receive_time: to_timestamp_opt(po.received_at),
        update_time: Some(to_timestamp(po.updated_at)),
        drop_ship: po.drop_ship,
        order_id: po.order_id.clone().unwrap_or_default(),
        ship_to_address: po
            .ship_to_address
            .as_ref()
            .map(|a| a.0.clone())
            .unwrap_or_default(),
        carrier: po.carrier.clone().unwrap_or_default(),
        tracking_number: po.tracking_number.clone().unwrap_or_default(),
        delayed_until: to_timestamp_opt(po.delayed_until),
    })
}

/// Purchase orders, each with its lines out of `lines`.
pub fn purchase_orders(
    rows: &[purchase_order::Model],
    lines: &[purchase_order_line::Model],
) -> ServiceResult<Vec<pb::PurchaseOrder>> {
    let mut by_po: BTreeMap<&str, Vec<purchase_order_line::Model>> = BTreeMap::new();
    for l in lines {
        by_po
            .entry(l.purchase_order_id.as_str())
            .or_default()
            .push(l.clone());
    }
    rows.iter()
        .map(|po| {
            let lines = by_po.get(po.id.as_str()).map_or(&[][..], Vec::as_slice);
            purchase_order(po, lines)
        })
        .collect()
}

/// A demand.
pub fn demand(d: &demand::Model) -> pb::Demand {
    pb::Demand {
        id: d.id.clone(),
        sku: d.sku.clone(),
        quantity: d.quantity,
        order_id: d.order_id.clone(),
        line_id: d.line_id.clone(),
        purchase_order_id: d.purchase_order_id.clone().unwrap_or_default(),
        eta: to_timestamp_opt(d.eta),
        released: d.released,
        create_time: Some(to_timestamp(d.created_at)),
        drop_ship: d.drop_ship,
    }
}
