//! What the fault tests check once the load stops: every service's books.

use std::collections::{BTreeMap, BTreeSet};

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1 as notif;
use backorder_proto::order::v1 as ord;
use backorder_proto::outbox::v1 as outbox;
use backorder_proto::procurement::v1 as proc_;
use backorder_tests::{SERVICES, Suite};

use crate::invariants::{OrderBooks, check_sku, reservations_of};

use super::{OPENING, SKUS};

/// Every order the order service holds, all pages.
pub(super) async fn all_orders(suite: &Suite) -> Result<Vec<ord::Order>, String> {
    let mut orders = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = suite
            .order()
            .await
            .list_orders(ord::ListOrdersRequest {
                page_size: 500,
                page_token,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("list orders: {e}"))?
            .into_inner();
        orders.extend(page.orders);
        if page.next_page_token.is_empty() {
            return Ok(orders);
        }
        page_token = page.next_page_token;
    }
}

/// Every purchase order procurement holds, all pages.
pub(super) async fn all_purchase_orders(
    suite: &Suite,
) -> Result<Vec<proc_::PurchaseOrder>, String> {
    let mut purchase_orders = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = suite
            .procurement()
            .await
            .list_purchase_orders(proc_::ListPurchaseOrdersRequest {
                page_size: 500,
                page_token,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("list purchase orders: {e}"))?
            .into_inner();
        purchase_orders.extend(page.purchase_orders);
        if page.next_page_token.is_empty() {
            return Ok(purchase_orders);
        }
        page_token = page.next_page_token;
    }
}

/// Every notification about `order_id`, all pages.
pub(super) async fn notifications_of(
    suite: &Suite,
    order_id: &str,
) -> Result<Vec<notif::Notification>, String> {
    let mut notifications = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = suite
            .notification()
            .await
            .list_notifications(notif::ListNotificationsRequest {
                order_id: order_id.to_owned(),
                page_size: 500,
                page_token,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("notifications of {order_id}: {e}"))?
            .into_inner();
        notifications.extend(page.notifications);
        if page.next_page_token.is_empty() {
            return Ok(notifications);
        }
        page_token = page.next_page_token;
    }
}

pub(super) fn is_open(status: i32) -> bool {
    use proc_::PurchaseOrderStatus as Po;
    [
        Po::Draft,
        Po::Submitted,
        Po::Acknowledged,
        Po::PartiallyReceived,
    ]
    .iter()
    .any(|s| *s as i32 == status)
}

/// Reads the books of every service and checks that they agree; the
/// reason they do not, else a summary.
pub(super) async fn check_books(suite: &Suite, accepted: &[String]) -> Result<String, String> {
    // Every accepted order exists, and nothing is still being placed.
    let orders = all_orders(suite).await?;
    let known: BTreeSet<&str> = orders.iter().map(|o| o.id.as_str()).collect();
    let lost: Vec<&String> = accepted
        .iter()
        .filter(|id| !known.contains(id.as_str()))
        .collect();
    if !lost.is_empty() {
        return Err(format!(
            "accepted orders missing from the order service: {lost:?}"
        ));
    }
    let mut books = Vec::with_capacity(orders.len());
    for order in orders {
        let reservations = reservations_of(suite, &order.id).await?;
        books.push(OrderBooks {
            order,
            reservations,
        });
    }
    let purchase_orders = all_purchase_orders(suite).await?;
    // Nothing a service had to tell another was given up.
    for service in SERVICES {
        let parked = suite
            .outbox(service)
            .await
            .list_parked_messages(outbox::ListParkedMessagesRequest {
                page_size: 100,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("parked messages of {service}: {e}"))?
            .into_inner()
            .messages;
        if !parked.is_empty() {
            return Err(format!("{service} parked messages: {parked:#?}"));
        }
    }
    let backlog = suite
        .inventory()
        .await
        .list_backlog(inv::ListBacklogRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .map_err(|e| format!("backlog: {e}"))?
        .into_inner();

    let mut summary = Vec::new();
    for sku in SKUS {
        let level = suite
            .inventory()
            .await
            .get_product(inv::GetProductRequest { sku: sku.into() })
            .await
            .map_err(|e| format!("product {sku}: {e}"))?
            .into_inner()
            .product
            .and_then(|p| p.stock)
            .ok_or_else(|| format!("{sku} has no stock level"))?;
        // Order lines and reservations agree; no unit idles while a line waits.
        check_sku(sku, &level, &books)?;
        // The backlog's counts, kept beside the stock, agree with the lines.
        let waiting_lines = books
            .iter()
            .flat_map(|b| &b.reservations)
            .filter(|r| {
                r.sku == sku
                    && r.state == inv::ReservationState::Waiting as i32
                    && r.waiting_quantity > 0
            })
            .count();
        let entry = backlog.entries.iter().find(|e| e.sku == sku);
        let counted = entry.map_or((0, 0), |e| (e.waiting_lines, e.waiting_units));
        if counted
            != (
                i64::try_from(waiting_lines).unwrap_or(-1),
                level.backordered,
            )
        {
            return Err(format!(
                "{sku}: the backlog counts {counted:?} (lines, units), the reservations {waiting_lines} lines and the stock {} units",
                level.backordered
            ));
        }

        // Stock adds up: what procurement received and what the order
        // service shipped explain inventory's units on hand.
        let received: i64 = purchase_orders
            .iter()
            .flat_map(|po| &po.lines)
            .filter(|l| l.sku == sku)
            .map(|l| l.received_quantity)
            .sum();
        let mut shipped = 0;
        let mut shipped_by_lines = 0;
        for OrderBooks { order, .. } in &books {
            let lines: BTreeMap<&str, &ord::OrderLine> =
                order.lines.iter().map(|l| (l.id.as_str(), l)).collect();
            for shipment in &order.shipments {
                for item in &shipment.items {
                    let line = lines.get(item.line_id.as_str()).ok_or_else(|| {
                        format!(
                            "shipment {} of order {} carries unknown line {}",
                            shipment.id, order.id, item.line_id
                        )
                    })?;
                    if line.sku == sku {
                        shipped += item.quantity;
                    }
                }
            }
            shipped_by_lines += order
                .lines
                .iter()
                .filter(|l| l.sku == sku)
                .map(|l| l.shipped_quantity)
                .sum::<i64>();
        }
        if shipped != shipped_by_lines {
            return Err(format!(
                "{sku}: shipments carried {shipped} units, the lines say {shipped_by_lines} shipped"
            ));
        }
        if level.on_hand != OPENING + received - shipped {
            return Err(format!(
                "{sku}: {} on hand, but opening {OPENING} + received {received} - shipped {shipped} = {}",
                level.on_hand,
                OPENING + received - shipped
            ));
        }

        // Every waiting unit is on an open purchase order: the units still
        // to come on open purchase orders cover the units lines wait for,
        // and every waiting line's demand is on a purchase order.
        let to_come: i64 = purchase_orders
            .iter()
            .filter(|po| !po.drop_ship && is_open(po.status))
            .flat_map(|po| &po.lines)
            .filter(|l| l.sku == sku)
            .map(|l| l.ordered_quantity - l.received_quantity)
            .sum();
        if level.backordered > to_come {
            let open: Vec<String> = purchase_orders
                .iter()
                .filter(|po| is_open(po.status))
                .map(|po| format!("{} {:?}: {:?}", po.id, po.status, po.lines))
                .collect();
            return Err(format!(
                "{sku}: {} units wait but open purchase orders bring only {to_come}; open: {open:#?}",
                level.backordered
            ));
        }
        summary.push(format!(
            "{sku}: on hand {} = {OPENING} + {received} - {shipped}, reserved {}, waiting {} (to come {to_come})",
            level.on_hand, level.reserved, level.backordered
        ));
    }
    let mut waiting_on_closed = 0;
    for OrderBooks {
        order,
        reservations,
    } in &books
    {
        let waiting: Vec<&inv::Reservation> = reservations
            .iter()
            .filter(|r| r.state == inv::ReservationState::Waiting as i32 && r.waiting_quantity > 0)
            .collect();
        if waiting.is_empty() {
            continue;
        }
        let demands = suite
            .procurement()
            .await
            .list_demands(proc_::ListDemandsRequest {
                order_id: order.id.clone(),
            })
            .await
            .map_err(|e| format!("demands of {}: {e}", order.id))?
            .into_inner()
            .demands;
        for reservation in waiting {
            let demand = demands
                .iter()
                .find(|d| d.id == reservation.id)
                .ok_or_else(|| {
                    format!(
                        "order {} line {} waits for {} units but procurement has no demand for it: {demands:?}",
                        order.id, reservation.line_id, reservation.waiting_quantity
                    )
                })?;
            if demand.released
                || demand.purchase_order_id.is_empty()
                || demand.quantity < reservation.waiting_quantity
            {
                return Err(format!(
                    "order {} line {} waits for {} units but its demand is {demand:?}",
                    order.id, reservation.line_id, reservation.waiting_quantity
                ));
            }
            // Stock goes to the oldest waiting line, whatever purchase
            // order brought it, so a line may wait on a purchase order
            // already received while the units for it come on a later
            // one (the totals above count those): worth knowing, no fault.
            let carrier = purchase_orders
                .iter()
                .find(|po| po.id == demand.purchase_order_id);
            if !carrier.is_some_and(|po| is_open(po.status)) {
                waiting_on_closed += 1;
            }
        }
    }

    // No notice is doubled (and none lost): one confirmation per order,
    // one notice per shipment, at most one of each once-only event per
    // line.
    let mut notices = 0;
    for OrderBooks { order, .. } in &books {
        use notif::NotificationEvent as Ev;
        let list = notifications_of(suite, &order.id).await?;
        notices += list.len();
        let mut seen: BTreeMap<(i32, &str), Vec<&str>> = BTreeMap::new();
        for n in &list {
            seen.entry((n.event, n.line_id.as_str()))
                .or_default()
                .push(n.id.as_str());
        }
        let count = |event: Ev| -> usize {
            seen.iter()
                .filter(|((e, _), _)| *e == event as i32)
                .map(|(_, ids)| ids.len())
                .sum()
        };
        let describe = || {
            list.iter()
                .map(|n| {
                    format!(
                        "{} {:?} line {:?}: {}",
                        n.id,
                        Ev::try_from(n.event).unwrap_or(Ev::Unspecified),
                        n.line_id,
                        n.message
                    )
                })
                .collect::<Vec<_>>()
        };
        if count(Ev::OrderConfirmed) != 1 {
            return Err(format!(
                "order {} has {} confirmations: {:#?}",
                order.id,
                count(Ev::OrderConfirmed),
                describe()
            ));
        }
        if count(Ev::Shipped) != order.shipments.len() {
            return Err(format!(
                "order {} has {} shipments but {} shipped notices: {:#?}",
                order.id,
                order.shipments.len(),
                count(Ev::Shipped),
                describe()
            ));
        }
        for ((event, line), ids) in &seen {
            let once = [Ev::Backordered, Ev::EtaKnown, Ev::Ready, Ev::Cancelled]
                .iter()
                .any(|e| *e as i32 == *event);
            if once && ids.len() > 1 {
                return Err(format!(
                    "order {} line {line:?} was told {:?} {} times: {:#?}",
                    order.id,
                    Ev::try_from(*event).unwrap_or(Ev::Unspecified),
                    ids.len(),
                    describe()
                ));
            }
        }
    }
    summary.push(format!(
        "{} orders, {} purchase orders, {notices} notices; {waiting_on_closed} waiting lines' demand on a closed purchase order",
        books.len(),
        purchase_orders.len()
    ));
    Ok(summary.join("; "))
}
