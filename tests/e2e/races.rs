//! Stock adds up when cancellations, receipts and shipments of one SKU
//! overlap: the books of order and inventory agree once messages settle.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::order::v1 as ord;
use backorder_tests::{Suite, rid, settles};

use crate::fixtures::*;
use crate::invariants::{check_sku, read_orders};

const SKU: &str = "RACE-1";
const OPENING: i64 = 4;

/// Every line of `orders`, as the order service and inventory see it.
async fn books(suite: &Suite, orders: &[String]) -> Result<inv::StockLevel, String> {
    let level = stock(suite, SKU).await;
    let books = read_orders(suite, orders).await?;
    check_sku(SKU, &level, &books)?;
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
