//! Domain values to replies.

use backorder_platform::time::to_timestamp;
use backorder_proto::inventory::v1 as pb;

use crate::domain::{Allocation, Product, Reservation, StockPosition};
use crate::store::queries::{BacklogRow, DEFAULT_WAREHOUSE};

/// A stock position as sent.
pub fn stock_level(stock: StockPosition) -> pb::StockLevel {
    pb::StockLevel {
        warehouse: DEFAULT_WAREHOUSE.to_owned(),
        on_hand: stock.on_hand,
        reserved: stock.reserved,
        available: stock.available(),
        backordered: stock.backordered,
    }
}

/// A product with its stock as sent.
pub fn product(product: &Product, stock: StockPosition) -> pb::Product {
    pb::Product {
        sku: product.sku.clone(),
        name: product.name.clone(),
        backorder_policy: product.policy.code(),
        backorder_cap: product.policy.cap(),
        stock: Some(stock_level(stock)),
        create_time: Some(to_timestamp(product.created_at)),
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
        }
    }
}

/// One SKU of the backlog as sent.
pub fn backlog_entry(row: BacklogRow) -> pb::BacklogEntry {
    pb::BacklogEntry {
        sku: row.sku,
        waiting_lines: row.waiting_lines,
        waiting_units: row.waiting_units,
        oldest_waiting_since: Some(to_timestamp(row.oldest_waiting_since)),
    }
}
