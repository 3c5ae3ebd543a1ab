//! Each service's records of an order as timeline entries.

use backorder_platform::time::from_timestamp;
use backorder_platform::time::to_timestamp;
use backorder_proto::inventory::v1::{self as inventory_pb, ReservationState};
use backorder_proto::notification::v1::{self as notification_pb, Channel, NotificationEvent};
use backorder_proto::order::v1 as pb;
use backorder_proto::procurement::v1 as procurement_pb;

use crate::domain::timeline::{self, Entry, Rank};
use crate::store::order_event;

fn ms(ts: Option<&prost_types::Timestamp>) -> i64 {
    ts.map(from_timestamp).unwrap_or_default()
}

/// The order service's own events.
pub fn from_order_events(events: Vec<order_event::Model>) -> impl Iterator<Item = Entry> {
    events.into_iter().map(|e| Entry {
        at_ms: e.created_at,
        rank: Rank::Record,
        service: "order",
        event: e.event,
        line_id: e.line_id,
        detail: e.detail,
    })
}

/// Inventory's reservations: when each was made, and its later move.
pub fn from_reservations(list: Vec<inventory_pb::Reservation>) -> Vec<Entry> {
    let mut entries = Vec::new();
    for r in list {
        let created = ms(r.create_time.as_ref());
        let updated = ms(r.update_time.as_ref());
        let state = ReservationState::try_from(r.state);
        // A drop-shipped line holds no stock: saying "0 reserved, 0
        // waiting" would read as a line that was never served.
        let (event, detail) = if state == Ok(ReservationState::DropShip) {
            (
                "drop_ship_arranged",
                timeline::drop_ship_arranged(r.quantity, &r.sku),
            )
        } else {
            (
                "stock_reserved",
                timeline::stock_reserved(
                    r.quantity,
                    &r.sku,
                    r.reserved_quantity,
                    r.waiting_quantity,
                ),
            )
        };
        entries.push(Entry {
            at_ms: created,
            rank: Rank::Reservation,
            service: "inventory",
            event: event.to_owned(),
            line_id: r.line_id.clone(),
            detail,
        });
        let later = match state {
            Ok(ReservationState::Allocated) if updated > created => Some("stock_allocated"),
            Ok(ReservationState::Issued) => Some("stock_issued"),
            Ok(ReservationState::Released) => Some("reservation_released"),
            _ => None,
        };
        if let Some(name) = later {
            entries.push(Entry {
                at_ms: updated,
                rank: Rank::StockMove,
                service: "inventory",
                event: name.to_owned(),
                line_id: r.line_id,
                detail: timeline::stock_moved(r.quantity, &r.sku),
            });
        }
    }
    entries
}

/// Procurement's demand for the order's lines.
pub fn from_demands(list: Vec<procurement_pb::Demand>) -> impl Iterator<Item = Entry> {
    list.into_iter().map(|d| {
        let on_order = match (&d.purchase_order_id, &d.eta) {
            (po, Some(eta)) if !po.is_empty() => Some((po.as_str(), from_timestamp(eta))),
            _ => None,
        };
        Entry {
            at_ms: ms(d.create_time.as_ref()),
            rank: Rank::Record,
            service: "procurement",
            event: if d.released {
                "demand_closed"
            } else {
                "demand_added"
            }
            .to_owned(),
            detail: timeline::demand(d.quantity, &d.sku, on_order),
            line_id: d.line_id,
        }
    })
}

fn lower_name(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix).to_lowercase()
}

/// The notices the customer was sent, with their channels.
pub fn from_notifications(list: Vec<notification_pb::Notification>) -> impl Iterator<Item = Entry> {
    list.into_iter().map(|n| {
        let event = NotificationEvent::try_from(n.event)
            .map(|e| lower_name(e.as_str_name(), "NOTIFICATION_EVENT_"))
            .unwrap_or_default();
        let channels: Vec<String> = n
            .deliveries
            .iter()
            .filter_map(|d| Channel::try_from(d.channel).ok())
            .map(|c| lower_name(c.as_str_name(), "CHANNEL_"))
            .collect();
        Entry {
            at_ms: ms(n.create_time.as_ref()),
            rank: Rank::Notice,
            service: "notification",
            event: "customer_notified".to_owned(),
            detail: timeline::notified(&event, &channels),
            line_id: n.line_id,
        }
    })
}

/// An entry as answered.
pub fn entry_to_proto(entry: Entry) -> pb::TimelineEvent {
    pb::TimelineEvent {
        time: Some(to_timestamp(entry.at_ms)),
        service: entry.service.to_owned(),
        event: entry.event,
        line_id: entry.line_id,
        detail: entry.detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drop_shipped_reservation_is_not_told_as_stock_reserved() {
        let reservation = |state: ReservationState| inventory_pb::Reservation {
            line_id: "l1".to_owned(),
            sku: "DS-1".to_owned(),
            quantity: 3,
            state: state as i32,
            ..Default::default()
        };
        let entries = from_reservations(vec![
            reservation(ReservationState::DropShip),
            reservation(ReservationState::Waiting),
        ]);
        let told: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e.event.as_str(), e.detail.as_str()))
            .collect();
        assert_eq!(
            told,
            [
                (
                    "drop_ship_arranged",
                    "3 x DS-1: drop-shipped by the supplier, no stock held"
                ),
                (
                    "stock_reserved",
                    "3 x DS-1: 0 reserved now, 0 still waiting"
                ),
            ]
        );
    }
}
