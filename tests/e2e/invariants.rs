//! Checks of the books shared by the tests that load the suite: order
//! lines and inventory's reservations agree, and a SKU's stock level is
//! the sum of its lines.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::order::v1 as ord;
use backorder_proto::order::v1::LineStatus;
use backorder_tests::Suite;

/// One order as the order service sees it, with inventory's reservations
/// of its lines.
pub struct OrderBooks {
    pub order: ord::Order,
    pub reservations: Vec<inv::Reservation>,
}

/// Reads every order of `ids` and its reservations (errors are reasons:
/// the books are read again until they settle).
pub async fn read_orders(suite: &Suite, ids: &[String]) -> Result<Vec<OrderBooks>, String> {
    let mut books = Vec::with_capacity(ids.len());
    for id in ids {
        let order = suite
            .order()
            .await
            .get_order(ord::GetOrderRequest {
                order_id: id.clone(),
            })
            .await
            .map_err(|e| format!("order {id}: {e}"))?
            .into_inner()
            .order
            .ok_or_else(|| format!("order {id} came without its order"))?;
        let reservations = reservations_of(suite, id).await?;
        books.push(OrderBooks {
            order,
            reservations,
        });
    }
    Ok(books)
}

/// Every reservation inventory holds for order `id`.
pub async fn reservations_of(suite: &Suite, id: &str) -> Result<Vec<inv::Reservation>, String> {
    let mut reservations = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = suite
            .inventory()
            .await
            .list_reservations(inv::ListReservationsRequest {
                order_id: id.to_owned(),
                page_size: 500,
                page_token,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("reservations of {id}: {e}"))?
            .into_inner();
        reservations.extend(page.reservations);
        if page.next_page_token.is_empty() {
            return Ok(reservations);
        }
        page_token = page.next_page_token;
    }
}

/// Whether an order line's status and its reservation's state say the same.
fn agree(status: LineStatus, state: inv::ReservationState) -> bool {
    matches!(
        (status, state),
        (LineStatus::Cancelled, inv::ReservationState::Released)
            | (LineStatus::Ready, inv::ReservationState::Allocated)
            | (LineStatus::Backordered, inv::ReservationState::Waiting)
            | (LineStatus::Shipped, inv::ReservationState::Issued)
    )
}

/// The lines of `sku` in `books` against inventory's `level` of it: every
/// line's status matches its reservation's state, an open line's units
/// are split between reserved and waiting as the order service counts
/// them, the stock level's reserved and waiting units are the sums over
/// the lines, available is on hand less reserved, and no unit is idle
/// while a line waits.
pub fn check_sku(sku: &str, level: &inv::StockLevel, books: &[OrderBooks]) -> Result<(), String> {
    let mut reserved = 0;
    let mut waiting = 0;
    for OrderBooks {
        order,
        reservations,
    } in books
    {
        for line in order.lines.iter().filter(|l| l.sku == sku) {
            let mut of_line = reservations.iter().filter(|r| r.line_id == line.id);
            let reservation = of_line.next().ok_or_else(|| {
                format!(
                    "order {} line {} ({sku}) has no reservation",
                    order.id, line.id
                )
            })?;
            if let Some(other) = of_line.next() {
                return Err(format!(
                    "order {} line {} has two reservations: {reservation:?} and {other:?}",
                    order.id, line.id
                ));
            }
            let status = LineStatus::try_from(line.status).map_err(|e| e.to_string())?;
            let state =
                inv::ReservationState::try_from(reservation.state).map_err(|e| e.to_string())?;
            if !agree(status, state) {
                return Err(format!(
                    "order {} line {} ({sku}) is {status:?} but its reservation is {state:?}: {reservation:?}",
                    order.id, line.id
                ));
            }
            if matches!(
                state,
                inv::ReservationState::Allocated | inv::ReservationState::Waiting
            ) {
                let open = line.quantity - line.shipped_quantity;
                if reservation.reserved_quantity + reservation.waiting_quantity != open {
                    return Err(format!(
                        "order {} line {} ({sku}) has {open} units open but its reservation splits them wrongly: {reservation:?}",
                        order.id, line.id
                    ));
                }
                if line.ready_quantity != reservation.reserved_quantity {
                    return Err(format!(
                        "order {} line {} ({sku}) has {} units ready, inventory reserved {}",
                        order.id, line.id, line.ready_quantity, reservation.reserved_quantity
                    ));
                }
                reserved += reservation.reserved_quantity;
                waiting += reservation.waiting_quantity;
            }
        }
    }
    if (level.reserved, level.backordered) != (reserved, waiting) {
        return Err(format!(
            "{sku}: stock says {} reserved and {} waiting, the open lines {reserved} and {waiting}",
            level.reserved, level.backordered
        ));
    }
    if level.available != level.on_hand - level.reserved {
        return Err(format!("{sku}: available does not add up: {level:?}"));
    }
    if level.available > 0 && level.backordered > 0 {
        return Err(format!("{sku}: units idle while lines wait: {level:?}"));
    }
    Ok(())
}
