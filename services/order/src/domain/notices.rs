//! Every customer-facing word the order service writes: the details of the
//! notices it asks the notification service to send. Each detail is built to
//! fit the notification service's bound ([`MAX_NOTICE_DETAIL_CHARS`]), so an
//! order this service accepts always yields notices that are accepted too.

use uuid::Uuid;

use super::charging::{Told, format_minor};
use super::lifecycle::utc_day;
use super::limits::MAX_NOTICE_DETAIL_CHARS;
use super::model::{Line, Shipment};
use super::status::LineStatus;

/// The reason told to the customer when a cancellation names none.
pub const DEFAULT_CANCEL_REASON: &str = "cancelled on request";

/// What a notice is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// The order was placed.
    OrderConfirmed,
    /// A line waits for stock.
    Backordered,
    /// A backordered line's first ETA.
    EtaKnown,
    /// A backordered line's ETA moved.
    EtaChanged,
    /// A line got its stock.
    Ready,
    /// A parcel left.
    Shipped,
    /// A parcel arrived.
    Delivered,
    /// A line was cancelled.
    Cancelled,
    /// A backordered line was given another SKU or fewer units.
    LineChanged,
    /// A line's amount was captured.
    Charged,
    /// A line's captured amount was refunded.
    Refunded,
    /// A backordered line's date slipped: the customer may keep waiting
    /// or cancel.
    DelayOffered,
}

/// A parcel's carrier and tracking number, told with shipping notices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parcel {
    /// Carrier's tracking number.
    pub tracking_number: String,
    /// Carrier.
    pub carrier: String,
}

/// One message for the customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// What it is about.
    pub kind: NoticeKind,
    /// The line it concerns; `None` for the whole order.
    pub line_id: Option<Uuid>,
    /// Free text, at most [`MAX_NOTICE_DETAIL_CHARS`] characters.
    pub detail: String,
    /// Expected arrival (Unix ms), for ETA notices.
    pub eta: Option<i64>,
    /// Latest expected arrival (Unix ms) when the date is a range.
    pub eta_latest: Option<i64>,
    /// The parcel, for shipping notices.
    pub parcel: Option<Parcel>,
}

impl Notice {
    fn about(kind: NoticeKind, line_id: Option<Uuid>, detail: String) -> Self {
        Self {
            kind,
            line_id,
            detail: fit(detail),
            eta: None,
            eta_latest: None,
            parcel: None,
        }
    }

    /// The order was placed: what it contains.
    pub fn order_confirmed(lines: &[Line]) -> Self {
        let summary = order_summary(lines.iter().map(|l| (l.quantity, l.sku.as_str())));
        Self::about(NoticeKind::OrderConfirmed, None, summary)
    }

    /// Part of a line waits for stock, or all of it for the supplier who
    /// ships it straight to the customer.
    pub fn backordered(line: &Line) -> Self {
        let detail = if line.drop_ship {
            format!(
                "{} is on backorder: it ships directly from the supplier, and you will get its tracking number when it leaves",
                quantity_of(line)
            )
        } else {
            format!(
                "{} of {} x {} are on backorder: the item is out of stock",
                line.backordered_quantity, line.quantity, line.sku
            )
        };
        let mut notice = Self::about(NoticeKind::Backordered, Some(line.id), detail);
        // The date promised at the sale goes with the first notice.
        notice.eta = line.eta;
        notice.eta_latest = line.eta_latest.filter(|_| line.eta.is_some());
        notice
    }

    /// A backordered line's expected arrival, first known or changed.
    pub fn eta(changed: bool, line: &Line, eta_ms: i64) -> Self {
        let kind = if changed {
            NoticeKind::EtaChanged
        } else {
            NoticeKind::EtaKnown
        };
        let mut notice = Self::about(kind, Some(line.id), quantity_of(line));
        notice.eta = Some(eta_ms);
        notice.eta_latest = line.eta_latest;
        notice
    }

    /// A backordered line's date slipped to `eta`..`eta_latest` (Unix
    /// ms): the offer to keep waiting or cancel (see
    /// [`super::delays::offer_detail`]).
    pub fn delay_offered(line: &Line, detail: String, eta: i64, eta_latest: i64) -> Self {
        let mut notice = Self::about(NoticeKind::DelayOffered, Some(line.id), detail);
        notice.eta = Some(eta);
        notice.eta_latest = Some(eta_latest);
        notice
    }

    /// A backordered line got all its stock.
    pub fn ready(line: &Line) -> Self {
        let detail = format!("{} is in stock and ready to ship", quantity_of(line));
        Self::about(NoticeKind::Ready, Some(line.id), detail)
    }

    /// A line's amount was taken (after a capture) or given back (after a
    /// refund), such as `2 x LAMP-9 charged 25.00`: minor units shown
    /// with two decimals.
    pub fn payment(told: Told, line: &Line, amount_minor: i64) -> Self {
        let (kind, verb) = match told {
            Told::Charged => (NoticeKind::Charged, "charged"),
            Told::Refunded => (NoticeKind::Refunded, "refunded"),
        };
        let detail = format!(
            "{} {verb} {}",
            quantity_of(line),
            format_minor(amount_minor)
        );
        Self::about(kind, Some(line.id), detail)
    }

    /// A backordered line changed (see [`super::changes::notice_detail`]).
    pub fn line_changed(line: &Line, detail: String) -> Self {
        Self::about(NoticeKind::LineChanged, Some(line.id), detail)
    }

    /// A line was cancelled, and why.
    pub fn cancelled(line: &Line, reason: &str) -> Self {
        let detail = format!("{} cancelled: {reason}", quantity_of(line));
        Self::about(NoticeKind::Cancelled, Some(line.id), detail)
    }

    /// A parcel left with `lines` (as they are after it, in the order of
    /// the shipment's items): what each carried, and for a line that
    /// shipped in part, how many are still to come and when.
    pub fn shipped(shipment: &Shipment, lines: &[Line]) -> Self {
        let parts: Vec<String> = lines
            .iter()
            .zip(&shipment.items)
            .map(|(line, (_, units))| {
                if line.shipped_quantity < line.quantity {
                    let rest = line.quantity - line.shipped_quantity;
                    // A ready line split across warehouses has the rest in
                    // hand: another parcel, not a date, is what follows.
                    let expected = if line.status == LineStatus::Ready {
                        "in another parcel".to_owned()
                    } else {
                        line.eta.and_then(utc_day).map_or_else(
                            || "date to follow".to_owned(),
                            |day| format!("expected {day}"),
                        )
                    };
                    format!(
                        "{units} of {} x {} (the other {rest}: {expected})",
                        line.quantity, line.sku
                    )
                } else {
                    format!("{units} x {}", line.sku)
                }
            })
            .collect();
        let detail = format!("{} line(s) shipped: {}", lines.len(), parts.join(", "));
        let mut notice = Self::about(NoticeKind::Shipped, None, detail);
        notice.parcel = Some(parcel_of(shipment));
        notice
    }

    /// A parcel arrived.
    pub fn delivered(shipment: &Shipment) -> Self {
        let mut notice = Self::about(
            NoticeKind::Delivered,
            None,
            "your parcel was delivered".to_owned(),
        );
        notice.parcel = Some(parcel_of(shipment));
        notice
    }
}

fn parcel_of(shipment: &Shipment) -> Parcel {
    Parcel {
        tracking_number: shipment.tracking_number.clone(),
        carrier: shipment.carrier.clone(),
    }
}

fn quantity_of(line: &Line) -> String {
    format!("{} x {}", line.quantity, line.sku)
}

/// `"2 x PEN-1, 1 x INK-2"`: the lines of an order, in order, as many as
/// fit the notice bound; the rest are counted (`"... and 12 more lines"`).
pub fn order_summary<'a>(lines: impl ExactSizeIterator<Item = (i64, &'a str)>) -> String {
    let total = lines.len();
    let mut summary = String::new();
    let mut used = 0;
    for (listed, (quantity, sku)) in lines.enumerate() {
        let entry = format!("{quantity} x {sku}");
        let separator = if listed == 0 { "" } else { ", " };
        let after = total - listed - 1;
        let needed =
            used + separator.len() + entry.chars().count() + more_lines(after).chars().count();
        if needed > MAX_NOTICE_DETAIL_CHARS {
            summary.push_str(&more_lines(total - listed));
            return fit(summary);
        }
        summary.push_str(separator);
        summary.push_str(&entry);
        used += separator.len() + entry.chars().count();
    }
    fit(summary)
}

/// `" and N more line(s)"`, or nothing when no line is left out.
fn more_lines(count: usize) -> String {
    match count {
        0 => String::new(),
        1 => " and 1 more line".to_owned(),
        n => format!(" and {n} more lines"),
    }
}

/// Keeps a detail inside the notice bound. The builders above stay inside
/// it for every order the API accepts; this guards the bound should a
/// limit ever move.
fn fit(detail: String) -> String {
    if detail.chars().count() <= MAX_NOTICE_DETAIL_CHARS {
        return detail;
    }
    let mut cut: String = detail.chars().take(MAX_NOTICE_DETAIL_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use backorder_platform::warehouse::{MAX_CODE_LEN, WarehouseCode};

    use super::super::limits::{MAX_LINES, MAX_QUANTITY, MAX_REASON_CHARS, MAX_SKU_BYTES};
    use super::super::model::Origin;
    use super::super::status::ShipmentStatus;
    use super::super::warehouses::UnitsByWarehouse;
    use super::*;

    fn line(quantity: i64, sku: &str) -> Line {
        Line {
            id: Uuid::now_v7(),
            order_id: Uuid::now_v7(),
            line_no: 0,
            sku: sku.to_owned(),
            quantity,
            reserved_quantity: 0,
            backordered_quantity: quantity,
            status: LineStatus::Backordered,
            eta: None,
            eta_latest: None,
            purchase_order_id: None,
            shipment_id: None,
            shipped_quantity: 0,
            ready_quantity: 0,
            ready_in: UnitsByWarehouse::new(),
            drop_ship: false,
            unit_price_minor: 0,
            payment: None,
        }
    }

    #[test]
    fn a_small_order_is_listed_whole() {
        let lines = [line(2, "PEN-1"), line(1, "INK-2")];
        let notice = Notice::order_confirmed(&lines);
        assert_eq!(notice.detail, "2 x PEN-1, 1 x INK-2");
        assert_eq!(notice.kind, NoticeKind::OrderConfirmed);
        assert_eq!(notice.line_id, None);
    }

    #[test]
    fn the_largest_order_fits_the_notice_bound_and_counts_what_it_leaves_out() {
        let lines: Vec<Line> = (0..MAX_LINES)
            .map(|i| line(MAX_QUANTITY, &format!("{i:0>64}")))
            .collect();
        assert_eq!(lines[0].sku.len(), 64);
        let detail = Notice::order_confirmed(&lines).detail;
        assert!(
            detail.chars().count() <= MAX_NOTICE_DETAIL_CHARS,
            "{} chars",
            detail.chars().count()
        );
        let listed = detail.matches(" x ").count();
        assert!(listed >= 10, "lists as many lines as fit: {listed}");
        assert!(
            detail.ends_with(&format!(" and {} more lines", MAX_LINES - listed)),
            "{detail}"
        );
        assert!(!detail.contains('…'), "cut at a line, not mid-word");
    }

    #[test]
    fn the_summary_uses_the_budget_exactly_up_to_its_end() {
        // Lines of 100 characters: "1 x " + 96.
        for count in 1..=30 {
            let lines: Vec<Line> = (0..count).map(|_| line(1, &"S".repeat(96))).collect();
            let detail = Notice::order_confirmed(&lines).detail;
            assert!(detail.chars().count() <= MAX_NOTICE_DETAIL_CHARS, "{count}");
            let listed = detail.matches("1 x ").count();
            if listed < count {
                assert!(detail.ends_with(&more_lines(count - listed)), "{detail}");
            }
        }
        let one = line(1, "A");
        assert_eq!(
            order_summary([(one.quantity, one.sku.as_str())].into_iter()),
            "1 x A"
        );
    }

    #[test]
    fn every_notice_of_a_worst_case_line_fits() {
        let mut worst = line(MAX_QUANTITY, &"W".repeat(MAX_SKU_BYTES));
        worst.backordered_quantity = MAX_QUANTITY;
        let reason = "r".repeat(MAX_REASON_CHARS);
        let shipment = Shipment {
            id: Uuid::now_v7(),
            order_id: worst.order_id,
            tracking_number: "T".repeat(100),
            carrier: "C".repeat(100),
            status: ShipmentStatus::Shipped,
            shipped_at: 0,
            delivered_at: None,
            bundle_id: None,
            items: vec![(worst.id, 1); MAX_LINES],
            origin: Origin::Warehouse(
                WarehouseCode::parse("warehouse", &"w".repeat(MAX_CODE_LEN)).expect("longest code"),
            ),
        };
        let mut worst_drop_ship = worst.clone();
        worst_drop_ship.drop_ship = true;
        for notice in [
            Notice::backordered(&worst),
            Notice::backordered(&worst_drop_ship),
            Notice::eta(false, &worst, 0),
            Notice::eta(true, &worst, 0),
            Notice::ready(&worst),
            Notice::cancelled(&worst, &reason),
            Notice::shipped(&shipment, &vec![worst.clone(); MAX_LINES]),
            Notice::delivered(&shipment),
        ] {
            assert!(
                notice.detail.chars().count() <= MAX_NOTICE_DETAIL_CHARS,
                "{:?}",
                notice.kind
            );
        }
    }

    #[test]
    fn a_drop_ship_line_is_on_backorder_from_the_supplier_not_for_lack_of_stock() {
        let mut waiting = line(2, "PEN-1");
        waiting.drop_ship = true;
        let detail = Notice::backordered(&waiting).detail;
        assert!(
            detail.contains("ships directly from the supplier"),
            "{detail}"
        );
        assert!(!detail.contains("out of stock"), "{detail}");
        assert!(detail.starts_with("2 x PEN-1"), "{detail}");
    }

    #[test]
    fn an_overlong_detail_is_cut_to_the_bound() {
        let cut = fit("x".repeat(5000));
        assert_eq!(cut.chars().count(), MAX_NOTICE_DETAIL_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn a_split_ready_line_says_the_rest_follows_without_naming_warehouses() {
        let mut split = line(3, "PEN-1");
        split.status = LineStatus::Ready;
        split.shipped_quantity = 2;
        split.ready_quantity = 1;
        let east = WarehouseCode::parse("warehouse", "east").expect("code");
        split.ready_in = UnitsByWarehouse::of(WarehouseCode::default_warehouse(), 1);
        let shipment = Shipment {
            id: Uuid::now_v7(),
            order_id: split.order_id,
            tracking_number: "T".to_owned(),
            carrier: "C".to_owned(),
            status: ShipmentStatus::Shipped,
            shipped_at: 0,
            delivered_at: None,
            bundle_id: None,
            items: vec![(split.id, 2)],
            origin: Origin::Warehouse(east),
        };
        let detail = Notice::shipped(&shipment, &[split]).detail;
        assert_eq!(
            detail,
            "1 line(s) shipped: 2 of 3 x PEN-1 (the other 1: in another parcel)"
        );
        assert!(!detail.contains("east") && !detail.contains("default"));
    }
}
