//! Domain values to replies.

use backorder_platform::time::to_timestamp;
use backorder_proto::inventory::v1 as pb;

use crate::domain::{
    Allocation, Part, Product, Promise, Reservation, SkuStock, StockPosition, Warehouse, value_of,
};
use crate::store::queries::BacklogRow;

/// A stock position as sent: `warehouse` empty for a SKU's total.
pub fn stock_level(warehouse: &str, stock: StockPosition) -> pb::StockLevel {
    pb::StockLevel {
        warehouse: warehouse.to_owned(),
        on_hand: stock.on_hand,
        reserved: stock.reserved,
        available: stock.available(),
        backordered: stock.backordered,
    }
}

/// A product with its stock as sent: the total with the SKU's backlog, and
/// each warehouse's shelf without it.
pub fn product(product: &Product, stock: &SkuStock) -> pb::Product {
    pb::Product {
        sku: product.sku.clone(),
        name: product.name.clone(),
        backorder_policy: product.policy.code(),
        backorder_cap: product.policy.cap(),
        stock: Some(stock_level("", stock.total())),
        drop_ship: product.drop_ship,
        price_minor: product.price_minor,
        inbound_margin: product.policy.inbound_margin(),
        inbound_quantity: product.supply.units(),
        lead_time_days: product.supply.lead_time_days,
        create_time: Some(to_timestamp(product.created_at)),
        warehouses: stock
            .shelves()
            .iter()
            .map(|(code, shelf)| {
                let shelf = StockPosition {
                    on_hand: shelf.on_hand,
                    reserved: shelf.reserved,
                    ..StockPosition::default()
                };
                stock_level(code.as_str(), shelf)
            })
            .collect(),
    }
}

/// Parts of a line as sent.
pub fn warehouse_units(parts: &[Part]) -> Vec<pb::WarehouseUnits> {
    parts
        .iter()
        .map(|(warehouse, quantity)| pb::WarehouseUnits {
            warehouse: warehouse.to_string(),
            quantity: *quantity,
        })
        .collect()
}

/// A warehouse as sent.
pub fn warehouse(warehouse: &Warehouse) -> pb::Warehouse {
    pb::Warehouse {
        code: warehouse.code.to_string(),
        name: warehouse.name.clone(),
        rank: warehouse.rank,
        create_time: Some(to_timestamp(warehouse.created_at)),
    }
}

/// A reservation with where its reserved units are and, while it waits,
/// its promise.
pub fn reservation(
    line: &Reservation,
    parts: &[Part],
    promise: Option<&Promise>,
) -> pb::Reservation {
    let (promised_from, promised_to) = match promise {
        Some(p) if line.waiting > 0 => (Some(to_timestamp(p.from)), Some(to_timestamp(p.to))),
        _ => (None, None),
    };
    pb::Reservation {
        reserved_from: warehouse_units(parts),
        promised_from,
        promised_to,
        ..pb::Reservation::from(line)
    }
}

impl From<&Reservation> for pb::Reservation {
    fn from(line: &Reservation) -> Self {
        Self {
            id: line.id.to_string(),
            order_id: line.order_id.to_string(),
            line_id: line.line_id.to_string(),
            sku: line.sku.clone(),
            quantity: line.quantity,
            reserved_quantity: line.reserved,
            waiting_quantity: line.waiting,
            state: line.state.code(),
            create_time: Some(to_timestamp(line.created_at)),
            update_time: Some(to_timestamp(line.updated_at)),
            priority: line.priority,
            priority_reason: line.priority_reason.clone(),
            reserved_from: Vec::new(),
            promised_from: None,
            promised_to: None,
        }
    }
}

impl From<&Allocation> for pb::Allocation {
    fn from(allocation: &Allocation) -> Self {
        Self {
            order_id: allocation.order_id.to_string(),
            line_id: allocation.line_id.to_string(),
            quantity: allocation.quantity,
            line_complete: allocation.line_complete,
            warehouse: allocation.warehouse.to_string(),
        }
    }
}

/// One SKU of the backlog as sent, valued at `price_minor` a unit.
pub fn backlog_entry(row: BacklogRow, price_minor: i64) -> pb::BacklogEntry {
    pb::BacklogEntry {
        waiting_value_minor: value_of(row.waiting_units, price_minor),
        sku: row.sku,
        waiting_lines: row.waiting_lines,
        waiting_units: row.waiting_units,
        oldest_waiting_since: Some(to_timestamp(row.oldest_waiting_since)),
    }
}
