//! What callers ask for, parsed: every field checked and typed, so the
//! rules and the store never see a raw request.

use backorder_platform::warehouse::WarehouseCode;
use uuid::Uuid;

use super::{PoStatus, Quantity, ShipToAddress};

/// A supplier to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSupplier {
    /// Name, trimmed.
    pub name: String,
    /// Days from submission to arrival, 0 to [`super::MAX_LEAD_TIME_DAYS`].
    pub lead_time_days: i32,
}

/// A supplier's offer for one SKU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferTerms {
    /// The supplier.
    pub supplier_id: Uuid,
    /// The SKU.
    pub sku: String,
    /// Cost per unit in the smallest currency unit, 0 or more.
    pub unit_cost_minor: i64,
    /// Minimum order quantity.
    pub minimum_order_quantity: Quantity,
    /// Units per case.
    pub case_pack: Quantity,
    /// Whether the supplier becomes the SKU's preferred one.
    pub preferred: bool,
    /// Whether the supplier ships the SKU straight to customers.
    pub drop_ship: bool,
}

/// Backorder demand of one order line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDemand {
    /// The inventory reservation that is short.
    pub demand_id: Uuid,
    /// The SKU short.
    pub sku: String,
    /// Units short.
    pub quantity: Quantity,
    /// The order.
    pub order_id: Uuid,
    /// The order line.
    pub line_id: Uuid,
    /// For a drop-ship line, where the supplier ships it; `None` for
    /// demand that restocks a warehouse.
    pub ship_to: Option<ShipToAddress>,
}

/// A supplier's (first or moved) promised date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acknowledgement {
    /// The purchase order.
    pub purchase_order_id: Uuid,
    /// The promised date (Unix ms).
    pub promised_at: i64,
}

/// Units of one SKU received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptLine {
    /// The SKU.
    pub sku: String,
    /// Units received.
    pub quantity: Quantity,
}

/// Goods received against a purchase order: each SKU once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The purchase order.
    pub purchase_order_id: Uuid,
    /// What arrived, 1 to [`super::MAX_RECEIPT_LINES`] lines.
    pub lines: Vec<ReceiptLine>,
    /// Warehouse it arrived at (inventory owns warehouses; a code it does
    /// not know parks the receipt's message until the warehouse exists).
    pub warehouse: WarehouseCode,
}

/// Cancelling a purchase order (the reason is checked, not stored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancellation {
    /// The purchase order.
    pub purchase_order_id: Uuid,
}

/// The supplier's word that it shipped a drop-ship purchase order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropShipment {
    /// The purchase order.
    pub purchase_order_id: Uuid,
    /// Carrier, trimmed, 1 to [`super::MAX_CARRIER_CHARS`] characters.
    pub carrier: String,
    /// Tracking number, trimmed, 1 to [`super::MAX_TRACKING_CHARS`]
    /// characters.
    pub tracking_number: String,
}

/// Which purchase orders a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PurchaseOrderFilter {
    /// Only this supplier's.
    pub supplier_id: Option<Uuid>,
    /// Only those in this status.
    pub status: Option<PoStatus>,
}

/// A SKU's replenishment settings.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyTerms {
    /// The SKU.
    pub sku: String,
    /// Whether the worker replenishes it.
    pub enabled: bool,
    /// Target service level, [`super::MIN_SERVICE_LEVEL_PERCENT`] to
    /// [`super::MAX_SERVICE_LEVEL_PERCENT`].
    pub service_level_percent: f64,
    /// Days of history, [`super::MIN_HISTORY_DAYS`] to
    /// [`super::MAX_HISTORY_DAYS`].
    pub history_days: i32,
}

/// How often a supplier's drafts are submitted without an operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SupplierSchedule {
    /// The supplier.
    pub supplier_id: Uuid,
    /// Hours, 0 (off) to [`super::MAX_AUTO_SUBMIT_HOURS`].
    pub auto_submit_hours: i32,
}
