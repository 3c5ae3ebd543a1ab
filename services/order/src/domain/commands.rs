//! What each changing RPC asks for, once parsed: typed ids, trimmed text,
//! bounds checked. Built from requests by `crate::convert`.

use backorder_platform::warehouse::WarehouseCode;
use uuid::Uuid;

/// Cancel every open line of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelOrder {
    /// Order id.
    pub order_id: Uuid,
    /// Reason told to the customer (trimmed; a default when none).
    pub reason: String,
}

/// Cancel one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelLine {
    /// Order id.
    pub order_id: Uuid,
    /// Line id.
    pub line_id: Uuid,
    /// Reason told to the customer (trimmed; a default when none).
    pub reason: String,
}

/// Ship lines in one parcel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewShipment {
    /// Order id.
    pub order_id: Uuid,
    /// Lines to ship; empty for every ready line.
    pub line_ids: Vec<Uuid>,
    /// Tracking number (trimmed).
    pub tracking_number: String,
    /// Carrier (trimmed).
    pub carrier: String,
    /// Warehouse the parcel leaves from; `None` to choose the one holding
    /// the most of what it may take.
    pub warehouse: Option<WarehouseCode>,
}

/// Most orders one parcel may bundle.
pub const MAX_BUNDLED_ORDERS: usize = 20;

/// One parcel for several orders of one customer and address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBundle {
    /// Orders, distinct, as named.
    pub order_ids: Vec<Uuid>,
    /// Tracking number (trimmed).
    pub tracking_number: String,
    /// Carrier (trimmed).
    pub carrier: String,
    /// Warehouse the parcel leaves from; `None` to choose the one holding
    /// the most of what the orders may ship.
    pub warehouse: Option<WarehouseCode>,
}

/// A line got stock (told by inventory): all it waited for, or part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineAllocated {
    /// Order id.
    pub order_id: Uuid,
    /// Line id.
    pub line_id: Uuid,
    /// Units it still waits for: `None` when it is complete, else the
    /// units this allocation reserved (which may ship ahead).
    pub partial: Option<i64>,
    /// Warehouse holding the units it got.
    pub warehouse: WarehouseCode,
}

/// A line's expected arrival (told by procurement).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineEta {
    /// Order id.
    pub order_id: Uuid,
    /// Line id.
    pub line_id: Uuid,
    /// Expected arrival (Unix ms): the earliest date promised.
    pub eta_ms: i64,
    /// Latest date promised (Unix ms), at least `eta_ms`.
    pub eta_latest_ms: i64,
    /// Purchase order carrying the demand.
    pub purchase_order_id: Option<Uuid>,
}

/// A window of placement times, `[start, end)`, either end open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// First instant counted (Unix ms).
    pub start_ms: Option<i64>,
    /// First instant not counted (Unix ms).
    pub end_ms: Option<i64>,
}

/// A supplier shipped drop-ship lines straight to the customer (told by
/// procurement).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropShipment {
    /// Order id.
    pub order_id: Uuid,
    /// The drop-ship purchase order the supplier shipped.
    pub purchase_order_id: Uuid,
    /// Carrier (trimmed).
    pub carrier: String,
    /// Tracking number (trimmed).
    pub tracking_number: String,
    /// Units per line `(line id, units)`, distinct lines, as named.
    pub items: Vec<(Uuid, i64)>,
}
