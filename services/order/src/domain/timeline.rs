//! The timeline operators read: what the order service records about each
//! order, how each service's facts are worded, and how they merge into one
//! sequence.

use backorder_platform::warehouse::WarehouseCode;

use super::charging::PaymentNews;
use super::delays::DelayNews;
use super::lifecycle::{EtaNews, utc_day};
use super::model::{Line, Origin, Shipment};
use super::status::ShipPolicy;

/// Something the order service records on an order's timeline.
#[derive(Clone, Copy, Debug)]
pub enum Recorded<'a> {
    /// Inventory reserved every unit of a line (where they are is told).
    LineReserved(&'a Line),
    /// Part of a line waits for stock (where the rest is is told).
    LineBackordered(&'a Line),
    /// A line waits for the supplier, who ships it straight to the
    /// customer.
    LineDropShip(&'a Line),
    /// The order was placed with this many lines.
    OrderPlaced {
        /// Lines in the order.
        lines: usize,
        /// The ship policy it got (its own or the merchant's default).
        policy: ShipPolicy,
    },
    /// A line was cancelled for `reason`.
    LineCancelled {
        /// The reason told to the customer.
        reason: &'a str,
    },
    /// A line left in a parcel, from the parcel's warehouse or, for a
    /// drop shipment, from the supplier.
    LineShipped {
        /// The line after shipping.
        line: &'a Line,
        /// Units of it in this parcel.
        units: i64,
        /// The parcel.
        shipment: &'a Shipment,
    },
    /// A parcel arrived.
    ShipmentDelivered(&'a Shipment),
    /// A backordered line got its stock.
    LineAllocated {
        /// The line after it.
        line: &'a Line,
        /// Units reserved by this allocation.
        units: i64,
        /// Where they are.
        warehouse: &'a WarehouseCode,
    },
    /// A backordered line got part of its stock, which may ship ahead.
    LinePartlyAllocated {
        /// The line after it.
        line: &'a Line,
        /// Units reserved by this allocation.
        units: i64,
        /// Where they are.
        warehouse: &'a WarehouseCode,
    },
    /// A backordered line was given another SKU or fewer units.
    LineChanged {
        /// What changed and what the line holds now (see
        /// [`super::changes::timeline_detail`]).
        detail: &'a str,
    },
    /// Procurement told a line's ETA.
    Eta {
        /// Whether it is news for the customer.
        news: EtaNews,
        /// Expected arrival (Unix ms).
        eta_ms: i64,
        /// Purchase order carrying the demand (may be empty).
        purchase_order_id: &'a str,
    },
    /// A request to the payment endpoint was made or answered.
    Payment(&'a PaymentNews),
    /// A delay was offered to the customer, answered, decided by the
    /// merchant's rule, or became moot.
    Delay(&'a DelayNews),
}

impl Recorded<'_> {
    /// Event name, lower_snake_case.
    pub fn name(&self) -> &'static str {
        match self {
            Self::LineReserved(_) => "line_reserved",
            Self::LineBackordered(_) => "line_backordered",
            Self::LineDropShip(_) => "line_drop_ship",
            Self::OrderPlaced { .. } => "order_placed",
            Self::LineCancelled { .. } => "line_cancelled",
            Self::LineShipped { line, shipment, .. } => {
                let partly = line.shipped_quantity < line.quantity;
                match (&shipment.origin, partly) {
                    (Origin::Warehouse(_), true) => "line_partly_shipped",
                    (Origin::Warehouse(_), false) => "line_shipped",
                    (Origin::Supplier { .. }, true) => "line_partly_drop_shipped",
                    (Origin::Supplier { .. }, false) => "line_drop_shipped",
                }
            }
            Self::ShipmentDelivered(_) => "shipment_delivered",
            Self::LineAllocated { .. } => "line_allocated",
            Self::LinePartlyAllocated { .. } => "line_partly_allocated",
            Self::LineChanged { .. } => "line_changed",
            Self::Eta { news, .. } => match news {
                EtaNews::Known => "eta_known",
                EtaNews::Changed => "eta_changed",
                EtaNews::Unchanged => "eta_confirmed",
            },
            Self::Payment(news) => news.name(),
            Self::Delay(news) => news.name(),
        }
    }

    /// Detail for people.
    pub fn detail(&self) -> String {
        match self {
            Self::LineReserved(line) => format!(
                "{} x {} reserved: {}",
                line.quantity,
                line.sku,
                line.ready_in.describe()
            ),
            Self::LineBackordered(line) if line.ready_in.is_empty() => format!(
                "{} x {}: {} reserved, {} backordered",
                line.quantity, line.sku, line.reserved_quantity, line.backordered_quantity
            ),
            Self::LineBackordered(line) => format!(
                "{} x {}: {} reserved ({}), {} backordered",
                line.quantity,
                line.sku,
                line.reserved_quantity,
                line.ready_in.describe(),
                line.backordered_quantity
            ),
            Self::LineDropShip(line) => format!(
                "{} x {}: drop-shipped, the supplier ships it straight to the customer (nothing reserved from stock)",
                line.quantity, line.sku
            ),
            Self::OrderPlaced { lines, policy } => {
                format!("{lines} line(s), {}", policy.describe())
            }
            Self::LineCancelled { reason } => (*reason).to_owned(),
            Self::LineChanged { detail } => (*detail).to_owned(),
            Self::LineShipped {
                line,
                units,
                shipment,
            } => {
                let from = match &shipment.origin {
                    Origin::Warehouse(warehouse) => format!("from {warehouse}"),
                    Origin::Supplier { purchase_order_id } => {
                        format!("drop-shipped by the supplier (purchase order {purchase_order_id})")
                    }
                };
                format!(
                    "{units} of {} x {} {from} with {} {} ({} shipped so far)",
                    line.quantity,
                    line.sku,
                    shipment.carrier,
                    shipment.tracking_number,
                    line.shipped_quantity
                )
            }
            Self::ShipmentDelivered(shipment) => {
                format!(
                    "{} {} delivered",
                    shipment.carrier, shipment.tracking_number
                )
            }
            Self::LinePartlyAllocated {
                line,
                units,
                warehouse,
            } => format!(
                "{units} more of {} x {} reserved in {warehouse}; {} ready to ship",
                line.quantity, line.sku, line.ready_quantity
            ),
            Self::LineAllocated {
                line,
                units,
                warehouse,
            } => format!(
                "{} x {} allocated from arriving stock ({units} in {warehouse})",
                line.quantity, line.sku
            ),
            Self::Eta {
                eta_ms,
                purchase_order_id,
                ..
            } => format!(
                "expected {} (purchase order {purchase_order_id})",
                day(*eta_ms)
            ),
            Self::Payment(news) => news.detail(),
            Self::Delay(news) => news.detail(),
        }
    }
}

/// `2023-11-14`: the UTC calendar day of a Unix-ms instant.
pub fn day(ms: i64) -> String {
    utc_day(ms).map_or_else(
        || format!("{ms} ms after the epoch"),
        |d| d.format("%Y-%m-%d").to_string(),
    )
}

/// Detail of inventory's reservation of a line.
pub fn stock_reserved(quantity: i64, sku: &str, reserved: i64, waiting: i64) -> String {
    format!("{quantity} x {sku}: {reserved} reserved now, {waiting} still waiting")
}

/// Detail of inventory's record of a line the supplier drop-ships.
pub fn drop_ship_arranged(quantity: i64, sku: &str) -> String {
    format!("{quantity} x {sku}: drop-shipped by the supplier, no stock held")
}

/// Detail of a later move of a reservation (allocated, issued, released).
pub fn stock_moved(quantity: i64, sku: &str) -> String {
    format!("{quantity} x {sku}")
}

/// Detail of procurement's demand for a line.
pub fn demand(quantity: i64, sku: &str, on_order: Option<(&str, i64)>) -> String {
    match on_order {
        Some((purchase_order_id, eta_ms)) => format!(
            "{quantity} x {sku} on purchase order {purchase_order_id}, expected {}",
            day(eta_ms)
        ),
        None => format!("{quantity} x {sku} awaiting a supplier"),
    }
}

/// Detail of a notice sent to the customer.
pub fn notified(event: &str, channels: &[String]) -> String {
    if channels.is_empty() {
        format!("{event} via no channel")
    } else {
        format!("{event} via {}", channels.join(", "))
    }
}

/// Where an event sorts among others at the same instant: a cause before
/// its effect whichever service recorded it (inventory reserves, then order
/// and procurement record, then later stock moves, then the customer hears).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// Inventory's reservation.
    Reservation = 0,
    /// Order's own events and procurement's demand.
    Record = 1,
    /// Inventory's later moves.
    StockMove = 2,
    /// Notices.
    Notice = 3,
}

/// One fact on the merged timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// When (Unix ms).
    pub at_ms: i64,
    /// Order among facts at the same instant.
    pub rank: Rank,
    /// Service that recorded it.
    pub service: &'static str,
    /// Event name.
    pub event: String,
    /// Line id; empty for the whole order.
    pub line_id: String,
    /// Detail for people.
    pub detail: String,
}

/// Merges every service's facts into time order; facts at the same instant
/// keep cause before effect, then the order each service listed them in.
pub fn merge(mut entries: Vec<Entry>) -> Vec<Entry> {
    entries.sort_by_key(|e| (e.at_ms, e.rank));
    entries
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::super::status::{LineStatus, ShipmentStatus};
    use super::super::warehouses::UnitsByWarehouse;
    use super::*;

    fn code(raw: &str) -> WarehouseCode {
        WarehouseCode::parse("warehouse", raw).expect("a code")
    }

    fn line(quantity: i64, reserved: i64, parts: &[(&str, i64)]) -> Line {
        Line {
            id: Uuid::now_v7(),
            order_id: Uuid::now_v7(),
            line_no: 0,
            sku: "PEN-1".to_owned(),
            quantity,
            reserved_quantity: reserved,
            backordered_quantity: quantity - reserved,
            status: LineStatus::Ready,
            eta: None,
            eta_latest: None,
            purchase_order_id: None,
            shipment_id: None,
            shipped_quantity: 0,
            ready_quantity: reserved,
            ready_in: UnitsByWarehouse::from_entries(parts.iter().map(|(w, u)| (code(w), *u)))
                .expect("parts"),
            drop_ship: false,
            unit_price_minor: 0,
            payment: None,
        }
    }

    #[test]
    fn a_reservation_says_where_the_units_are() {
        let split = line(3, 3, &[("default", 1), ("east", 2)]);
        assert_eq!(
            Recorded::LineReserved(&split).detail(),
            "3 x PEN-1 reserved: 2 from east, 1 from default"
        );
        let part = line(5, 2, &[("west", 2)]);
        assert_eq!(
            Recorded::LineBackordered(&part).detail(),
            "5 x PEN-1: 2 reserved (2 from west), 3 backordered"
        );
        assert_eq!(
            Recorded::LineBackordered(&line(5, 0, &[])).detail(),
            "5 x PEN-1: 0 reserved, 5 backordered"
        );
    }

    #[test]
    fn a_shipped_line_names_the_warehouse_it_left() {
        let mut shipped = line(3, 3, &[("default", 1)]);
        shipped.shipped_quantity = 2;
        let shipment = Shipment {
            id: Uuid::now_v7(),
            order_id: shipped.order_id,
            tracking_number: "T-1".to_owned(),
            carrier: "DHL".to_owned(),
            status: ShipmentStatus::Shipped,
            shipped_at: 0,
            delivered_at: None,
            bundle_id: None,
            items: vec![(shipped.id, 2)],
            origin: Origin::Warehouse(code("east")),
        };
        let event = Recorded::LineShipped {
            line: &shipped,
            units: 2,
            shipment: &shipment,
        };
        assert_eq!(event.name(), "line_partly_shipped");
        assert_eq!(
            event.detail(),
            "2 of 3 x PEN-1 from east with DHL T-1 (2 shipped so far)"
        );
        let west = code("west");
        assert_eq!(
            Recorded::LineAllocated {
                line: &shipped,
                units: 1,
                warehouse: &west
            }
            .detail(),
            "3 x PEN-1 allocated from arriving stock (1 in west)"
        );
    }

    #[test]
    fn a_drop_ship_line_says_the_supplier_ships_it_and_which_purchase_order_did() {
        let mut waiting = line(3, 0, &[]);
        waiting.status = LineStatus::Backordered;
        waiting.drop_ship = true;
        let placed = Recorded::LineDropShip(&waiting);
        assert_eq!(placed.name(), "line_drop_ship");
        assert!(placed.detail().starts_with("3 x PEN-1: drop-shipped"));
        let purchase_order_id = Uuid::now_v7();
        let mut shipment = Shipment {
            id: Uuid::now_v7(),
            order_id: waiting.order_id,
            tracking_number: "T-1".to_owned(),
            carrier: "DHL".to_owned(),
            status: ShipmentStatus::Shipped,
            shipped_at: 0,
            delivered_at: None,
            bundle_id: None,
            items: vec![(waiting.id, 1)],
            origin: Origin::Supplier { purchase_order_id },
        };
        waiting.shipped_quantity = 1;
        let part = Recorded::LineShipped {
            line: &waiting,
            units: 1,
            shipment: &shipment,
        };
        assert_eq!(part.name(), "line_partly_drop_shipped");
        assert_eq!(
            part.detail(),
            format!(
                "1 of 3 x PEN-1 drop-shipped by the supplier (purchase order {purchase_order_id}) with DHL T-1 (1 shipped so far)"
            )
        );
        waiting.shipped_quantity = 3;
        shipment.items = vec![(waiting.id, 2)];
        let rest = Recorded::LineShipped {
            line: &waiting,
            units: 2,
            shipment: &shipment,
        };
        assert_eq!(rest.name(), "line_drop_shipped");
    }

    #[test]
    fn civil_dates_from_unix_ms() {
        assert_eq!(day(0), "1970-01-01");
        assert_eq!(day(1_700_000_000_000), "2023-11-14");
        assert_eq!(day(951_782_400_000), "2000-02-29");
        assert_eq!(day(-1), "1969-12-31");
    }

    #[test]
    fn facts_at_one_instant_keep_cause_before_effect() {
        let entry = |at_ms, rank, event: &str| Entry {
            at_ms,
            rank,
            service: "x",
            event: event.to_owned(),
            line_id: String::new(),
            detail: String::new(),
        };
        let merged = merge(vec![
            entry(5, Rank::Notice, "notified"),
            entry(5, Rank::Record, "placed"),
            entry(5, Rank::Reservation, "reserved"),
            entry(3, Rank::Notice, "earlier"),
            entry(5, Rank::Record, "placed second"),
        ]);
        let events: Vec<&str> = merged.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(
            events,
            ["earlier", "reserved", "placed", "placed second", "notified"]
        );
    }

    #[test]
    fn a_demand_says_where_it_stands() {
        assert_eq!(
            demand(3, "A", Some(("po-1", 0))),
            "3 x A on purchase order po-1, expected 1970-01-01"
        );
        assert_eq!(demand(3, "A", None), "3 x A awaiting a supplier");
        assert_eq!(notified("ready", &[]), "ready via no channel");
        assert_eq!(
            notified("ready", &["email".to_owned(), "sms".to_owned()]),
            "ready via email, sms"
        );
    }
}
