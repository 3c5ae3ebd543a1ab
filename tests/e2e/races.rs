//! Stock adds up when cancellations, receipts and shipments of one SKU
//! overlap: the books of order and inventory agree once messages settle.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::order::v1 as ord;
use backorder_proto::order::v1::LineStatus;
use backorder_tests::{Suite, rid, settles};

use crate::fixtures::*;

const SKU: &str = "RACE-1";
const OPENING: i64 = 4;

/// Every line of `orders`, as the order service and inventory see it.
async fn books(suite: &Suite, orders: &[String]) -> Result<inv::StockLevel, String> {
    let level = stock(suite, SKU).await;
    let mut reserved = 0;
    let mut waiting = 0;
    for id in orders {
        let order = get_order(suite, id).await;
        let reservations = suite
            .inventory()
            .await
            .list_reservations(inv::ListReservationsRequest {
                order_id: id.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| format!("reservations of {id}: {e}"))?
            .into_inner()
            .reservations;
        for line in &order.lines {
            let reservation = reservations
                .iter()
                .find(|r| r.line_id == line.id)
                .ok_or_else(|| format!("no reservation for line {}", line.id))?;
            let status = LineStatus::try_from(line.status).map_err(|e| e.to_string())?;
            let state =
                inv::ReservationState::try_from(reservation.state).map_err(|e| e.to_string())?;
            let agree = matches!(
                (status, state),
                (LineStatus::Cancelled, inv::ReservationState::Released)
                    | (LineStatus::Ready, inv::ReservationState::Allocated)
                    | (LineStatus::Backordered, inv::ReservationState::Waiting)
                    | (LineStatus::Shipped, inv::ReservationState::Issued)
            );
            if !agree {
                return Err(format!("line {} is {status:?} but {state:?}", line.id));
            }
            if matches!(
                state,
                inv::ReservationState::Allocated | inv::ReservationState::Waiting
            ) {
                if reservation.reserved_quantity + reservation.waiting_quantity != line.quantity {
                    return Err(format!("line {} splits wrongly: {reservation:?}", line.id));
                }
                reserved += reservation.reserved_quantity;
                waiting += reservation.waiting_quantity;
            }
        }
    }
    if (level.reserved, level.backordered) != (reserved, waiting) {
        return Err(format!(
            "stock says {} reserved and {} waiting, the open lines {reserved} and {waiting}",
            level.reserved, level.backordered
        ));
    }
    if level.available != level.on_hand - level.reserved {
        return Err(format!("available does not add up: {level:?}"));
    }
    if level.available > 0 && level.backordered > 0 {
        return Err(format!("units idle while lines wait: {level:?}"));
    }
    Ok(level)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancellations_racing_receipts_leave_stock_that_adds_up_and_no_unit_idle() {
    let suite = Suite::start().await;
    product(&suite, SKU, inv::BackorderPolicy::Allow, OPENING).await;
    let customer_id = customer(&suite, "Racer").await;
    // 24 units asked for, 4 on hand: the first lines are reserved, the
    // rest wait in the queue.
    let mut placed = Vec::new();
    for i in 0..12 {
        placed.push(place(&suite, &customer_id, &[(SKU, 1 + i % 3)]).await);
    }
    let ids: Vec<String> = placed.iter().map(|o| o.id.clone()).collect();

    // Half the orders are cancelled while 12 units arrive in six receipts,
    // all at once: releases cross allocations of the same lines.
    let mut tasks = tokio::task::JoinSet::new();
    for order in placed.iter().step_by(2) {
        let mut orders = suite.order().await;
        let request = ord::CancelOrderLineRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id: order.lines[0].id.clone(),
            reason: "changed my mind".into(),
        };
        tasks.spawn(async move { orders.cancel_order_line(request).await.map(|_| ()) });
    }
    for _ in 0..6 {
        let mut inventory = suite.inventory().await;
        let request = inv::ReceiveStockRequest {
            request_id: rid(),
            sku: SKU.into(),
            quantity: 2,
            purchase_order_id: String::new(),
            warehouse: String::new(),
        };
        tasks.spawn(async move { inventory.receive_stock(request).await.map(|_| ()) });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task")
            .expect("every cancellation and receipt is accepted");
    }

    // Kept: 2+1+3+2+1+3 = 12 units, all on hand now.
    let received = 12;
    let level = settles("the books", WAIT, || books(&suite, &ids)).await;
    assert_eq!(level.on_hand, OPENING + received);
    assert_eq!((level.reserved, level.backordered), (12, 0), "{level:?}");
    // The backlog's totals, kept as counts beside the stock, agree: nothing
    // waits after every line was cancelled or filled.
    let backlog = suite
        .inventory()
        .await
        .list_backlog(backorder_proto::inventory::v1::ListBacklogRequest::default())
        .await
        .expect("backlog")
        .into_inner();
    assert_eq!(
        (
            backlog.total_waiting_lines,
            backlog.total_waiting_units,
            backlog.entries.len()
        ),
        (0, 0, 0)
    );

    // Ship every order still open, at once; stock leaves the shelf.
    let mut tasks = tokio::task::JoinSet::new();
    for order in placed.iter().skip(1).step_by(2) {
        let mut orders = suite.order().await;
        let request = ord::CreateShipmentRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            tracking_number: format!("RACE-{}", order.id),
            carrier: "UPS".into(),
            ..Default::default()
        };
        tasks.spawn(async move { orders.create_shipment(request).await.map(|_| ()) });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task").expect("every open order ships");
    }
    let shipped = 12;
    let level = settles("the books after shipping", WAIT, || async {
        let level = books(&suite, &ids).await?;
        if level.on_hand == OPENING + received - shipped {
            Ok(level)
        } else {
            Err(format!("not issued yet: {level:?}"))
        }
    })
    .await;
    assert_eq!(
        (level.reserved, level.available, level.backordered),
        (0, OPENING, 0)
    );
}
